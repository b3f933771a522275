using System.CommandLine;
using ModelCsi.Core.Signing;

namespace ModelCsi.Cli.Commands;

/// <summary><c>modelcsi verify &lt;ref&gt; --key pub.pem</c>: checks a model's cosign signatures against public keys.</summary>
public sealed class VerifyCommand : RegistryCommand
{
    private readonly Option<string[]> _keys = new("--key")
    {
        Description = "Trusted public key (PEM file, e.g. cosign.pub); repeat for several. Any one valid signature passes",
        Required = true,
        AllowMultipleArgumentsPerToken = false,
    };

    public VerifyCommand(CliConsole console, GlobalOptions globals)
        : base("verify", "Check that a model carries a valid cosign signature (key-based, .sig tag or OCI referrers) by one of the "
            + "given keys over its manifest digest. A tag is resolved to the digest it names now; that digest is checked.\n\n"
            + ExitCodes.SignatureHelpText + "\n(other failures: the exit codes of modelcsi --help)",
            "The model to verify, by tag or digest", console, globals)
    {
        AddSymbols([Reference], [_keys]);
    }

    protected override async Task<int> ExecuteAsync(RegistryCommandContext context, CancellationToken cancellationToken)
    {
        var reference = context.Reference;
        var keys = (context.ParseResult.GetValue(_keys) ?? []).Select(TrustedKey.Load).ToList();
        using var connection = await context.ConnectAsync(cancellationToken);
        var digest = (await connection.Repository.GetManifestAsync(reference.TagOrDigest, cancellationToken)).Digest;
        // Warn mode: the verdict comes back instead of an exception, whatever the outcome.
        var verifier = new ModelSignatureVerifier(SignaturePolicy.ForKeys("--key", SignatureMode.Warn, keys), SignatureMetrics.Unexported());
        var verdict = await verifier.VerifyAsync(connection.Repository, reference, digest, cancellationToken);
        var pinned = reference.WithDigest(digest);
        if (verdict.Outcome == SignatureOutcome.Verified)
        {
            await context.Console.Out.WriteLineAsync($"verified {pinned}");
            await context.Console.Out.WriteLineAsync($"key {verdict.KeyFingerprint}: {verdict.Reason}");
            return ExitCodes.Success;
        }

        await context.Console.Error.WriteLineAsync(
            $"error: verify {pinned}: {SignatureMetrics.Label(verdict.Outcome).Replace('_', ' ')}: {verdict.Reason}");
        return SignatureExitCodes.For(verdict.Outcome);
    }
}
