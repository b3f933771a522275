using System.CommandLine;
using ModelCsi.Cli.Output;
using ModelCsi.Core.Oci;
using ModelCsi.Core.Signing;

namespace ModelCsi.Cli.Commands;

/// <summary><c>modelcsi verify &lt;ref&gt; --key pub.pem</c>: checks a model's cosign signatures against public keys.</summary>
public sealed class VerifyCommand : Command
{
    private readonly CliConsole _console;
    private readonly GlobalOptions _globals;
    private readonly RegistryCommandOptions _registry = new();

    private readonly Argument<string> _reference = new("ref") { Description = "The model to verify, by tag or digest" };

    private readonly Option<string[]> _keys = new("--key")
    {
        Description = "Trusted public key (PEM file, e.g. cosign.pub); repeat for several. Any one valid signature passes",
        Required = true,
        AllowMultipleArgumentsPerToken = false,
    };

    public VerifyCommand(CliConsole console, GlobalOptions globals)
        : base("verify", "Check that a model carries a valid cosign signature (key-based, .sig tag or OCI referrers) by one of the "
            + "given keys over its manifest digest. A tag is resolved to the digest it names now; that digest is checked.\n\n"
            + ExitCodes.SignatureHelpText + "\n(other failures: the exit codes of modelcsi --help)")
    {
        _console = console;
        _globals = globals;
        Add(_reference);
        Add(_keys);
        _registry.AddTo(this);
        SetAction(RunAsync);
    }

    private async Task<int> RunAsync(ParseResult parseResult, CancellationToken cancellationToken)
    {
        var referenceText = parseResult.GetValue(_reference) ?? string.Empty;
        var verbose = parseResult.GetValue(_globals.Verbose);
        using var loggers = CliLogging.Create(verbose);
        try
        {
            var reference = OciReference.Parse(referenceText);
            var keys = (parseResult.GetValue(_keys) ?? []).Select(TrustedKey.Load).ToList();
            using var connection = await RegistryConnection.OpenAsync(parseResult, _registry, _console, reference, loggers, cancellationToken);
            var digest = (await connection.Repository.GetManifestAsync(reference.TagOrDigest, cancellationToken)).Digest;
            // Warn mode: the verdict comes back instead of an exception, whatever the outcome.
            var verifier = new ModelSignatureVerifier(SignaturePolicy.ForKeys("--key", SignatureMode.Warn, keys), SignatureMetrics.Unexported());
            var verdict = await verifier.VerifyAsync(connection.Repository, reference, digest, cancellationToken);
            var pinned = reference.WithDigest(digest);
            if (verdict.Outcome == SignatureOutcome.Verified)
            {
                await _console.Out.WriteLineAsync($"verified {pinned}");
                await _console.Out.WriteLineAsync($"key {verdict.KeyFingerprint}: {verdict.Reason}");
                return ExitCodes.Success;
            }

            await _console.Error.WriteLineAsync($"error: verify {pinned}: {SignatureMetrics.Label(verdict.Outcome).Replace('_', ' ')}: {verdict.Reason}");
            return SignatureExitCodes.For(verdict.Outcome);
        }
        catch (Exception e)
        {
            return ErrorReport.Write(e, $"verify {referenceText}", _console, verbose);
        }
    }
}
