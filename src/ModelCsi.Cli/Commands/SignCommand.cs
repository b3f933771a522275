using System.CommandLine;
using ModelCsi.Cli.Output;
using ModelCsi.Core.Oci;
using ModelCsi.Core.Signing;

namespace ModelCsi.Cli.Commands;

/// <summary><c>modelcsi sign &lt;ref&gt; --key key.pem</c>: attaches a cosign-compatible key-based signature to a model.</summary>
public sealed class SignCommand : Command
{
    private readonly CliConsole _console;
    private readonly GlobalOptions _globals;
    private readonly RegistryCommandOptions _registry = new();

    private readonly Argument<string> _reference = new("ref") { Description = "The model to sign, by tag or digest" };

    private readonly Option<string> _key = new("--key")
    {
        Description = "Private key, unencrypted PEM (PKCS#8, or SEC1/PKCS#1): ECDSA P-256/P-384, RSA or Ed25519. "
            + "Encrypted keys, cosign's own format included, are not supported",
        Required = true,
    };

    public SignCommand(CliConsole console, GlobalOptions globals)
        : base("sign", "Sign a model's manifest digest the way 'cosign sign --key' does without a transparency log: "
            + "a simple-signing payload and its signature in a manifest at tag sha256-<hex>.sig (cosign's legacy format, "
            + "which the driver's signature policy and cosign verify accept). A tag is resolved to its digest first; the digest is signed.")
    {
        _console = console;
        _globals = globals;
        Add(_reference);
        Add(_key);
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
            using var key = SigningKey.Load(parseResult.GetValue(_key) ?? string.Empty);
            using var connection = await RegistryConnection.OpenAsync(parseResult, _registry, _console, reference, loggers, cancellationToken);
            var digest = (await connection.Repository.GetManifestAsync(reference.TagOrDigest, cancellationToken)).Digest;
            var signatureManifest = await CosignSignatureWriter.SignAsync(connection.Repository, digest, key, cancellationToken);
            await _console.Out.WriteLineAsync($"signed {reference.WithDigest(digest)}");
            await _console.Out.WriteLineAsync(
                $"key {key.Fingerprint}; signature at {reference.Registry}/{reference.Repository}:{CosignFormat.SignatureTag(digest)} ({signatureManifest})");
            return ExitCodes.Success;
        }
        catch (Exception e)
        {
            return ErrorReport.Write(e, $"sign {referenceText}", _console, verbose);
        }
    }
}
