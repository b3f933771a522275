using Microsoft.Extensions.Logging;
using ModelCsi.Core.Signing;

namespace ModelCsi.Cli.Commands;

/// <summary>
/// <c>--verify-key</c> of commands that fetch a model: an enforce policy with the given keys for every repository,
/// handed to the pull pipeline, which checks the resolved digest before fetching any layer (so what is fetched is
/// what was verified).
/// </summary>
public static class SignatureGate
{
    public const string RuleName = "--verify-key";

    /// <returns>The verifier, or null when no key is given.</returns>
    /// <exception cref="SignatureKeyException">A key file cannot be used (a usage error).</exception>
    public static IModelSignatureVerifier? For(IReadOnlyList<string>? keyPaths, ILoggerFactory loggers)
    {
        ArgumentNullException.ThrowIfNull(loggers);
        if (keyPaths is null || keyPaths.Count == 0)
        {
            return null;
        }

        var keys = keyPaths.Select(TrustedKey.Load).ToList();
        return new ModelSignatureVerifier(
            SignaturePolicy.ForKeys(RuleName, SignatureMode.Enforce, keys), SignatureMetrics.Unexported(), loggers.CreateLogger<ModelSignatureVerifier>());
    }
}
