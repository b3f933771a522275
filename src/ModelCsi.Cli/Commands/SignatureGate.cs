using ModelCsi.Core.Oci;
using ModelCsi.Core.Signing;

namespace ModelCsi.Cli.Commands;

/// <summary>
/// <c>--verify-key</c> of commands that fetch a model: resolves the reference to a digest, checks its signature
/// (enforce), and hands back a repository client pinned to that digest, so what is fetched is what was verified.
/// </summary>
public static class SignatureGate
{
    /// <returns>The repository to fetch from: pinned to the verified digest, or the connection's own when no key is given.</returns>
    /// <exception cref="SignaturePolicyViolationException">No signature by one of the keys over the digest.</exception>
    public static async Task<RepositoryClient> CheckAsync(
        IReadOnlyList<string>? keyPaths, RegistryConnection connection, CliConsole console, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(connection);
        ArgumentNullException.ThrowIfNull(console);
        if (keyPaths is null || keyPaths.Count == 0)
        {
            return connection.Repository;
        }

        var keys = keyPaths.Select(TrustedKey.Load).ToList();
        var reference = connection.Repository.Reference;
        var digest = (await connection.Repository.GetManifestAsync(reference.TagOrDigest, cancellationToken)).Digest;
        var verifier = new ModelSignatureVerifier(SignaturePolicy.ForKeys("--verify-key", SignatureMode.Enforce, keys), SignatureMetrics.Unexported());
        var verdict = await verifier.VerifyAsync(connection.Repository, reference, digest, cancellationToken);
        await console.Error.WriteLineAsync($"verified signature of {reference.WithDigest(digest)} by key {verdict.KeyFingerprint}");
        return connection.Pinned(digest);
    }
}
