using System.CommandLine;
using ModelCsi.Core.Signing;

namespace ModelCsi.Cli.Commands;

/// <summary><c>modelcsi sign &lt;ref&gt; --key key.pem</c>: attaches a cosign-compatible key-based signature to a model.</summary>
public sealed class SignCommand : RegistryCommand
{
    private readonly Option<string> _key = new("--key")
    {
        Description = "Private key, unencrypted PEM (PKCS#8, or SEC1/PKCS#1): ECDSA P-256/P-384, RSA or Ed25519. "
            + "Encrypted keys, cosign's own format included, are not supported",
        Required = true,
    };

    public SignCommand(CliConsole console, GlobalOptions globals)
        : base("sign", "Sign a model's manifest digest the way 'cosign sign --key' does without a transparency log: "
            + "a simple-signing payload and its signature in a manifest at tag sha256-<hex>.sig (cosign's legacy format, "
            + "which the driver's signature policy and cosign verify accept). A tag is resolved to its digest first; the digest is signed.",
            "The model to sign, by tag or digest", console, globals)
    {
        AddSymbols([Reference], [_key]);
    }

    protected override async Task<int> ExecuteAsync(RegistryCommandContext context, CancellationToken cancellationToken)
    {
        var reference = context.Reference;
        using var key = SigningKey.Load(context.ParseResult.GetValue(_key) ?? string.Empty);
        using var connection = await context.ConnectAsync(cancellationToken);
        var digest = (await connection.Repository.GetManifestAsync(reference.TagOrDigest, cancellationToken)).Digest;
        var signatureManifest = await CosignSignatureWriter.SignAsync(connection.Repository, digest, key, cancellationToken);
        await context.Console.Out.WriteLineAsync($"signed {reference.WithDigest(digest)}");
        await context.Console.Out.WriteLineAsync(
            $"key {key.Fingerprint}; signature at {reference.Registry}/{reference.Repository}:{CosignFormat.SignatureTag(digest)} ({signatureManifest})");
        return ExitCodes.Success;
    }
}
