using System.Diagnostics;

namespace ModelCsi.TestSupport;

/// <summary>
/// Runs the <c>openssl</c> command line, so test keys and signatures are made independently of the code under test.
/// </summary>
public static class OpenSsl
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);

    /// <summary>Generates a key pair in <paramref name="directory"/>; returns (private PEM path, public PEM path).</summary>
    /// <param name="kind"><c>p256</c>, <c>p384</c>, <c>rsa</c> or <c>ed25519</c>.</param>
    public static (string PrivateKey, string PublicKey) GenerateKey(string directory, string kind, string name = "key")
    {
        var privateKey = Path.Combine(directory, name + ".pem");
        var publicKey = Path.Combine(directory, name + ".pub");
        var algorithm = kind switch
        {
            "p256" => "-algorithm EC -pkeyopt ec_paramgen_curve:P-256",
            "p384" => "-algorithm EC -pkeyopt ec_paramgen_curve:P-384",
            "rsa" => "-algorithm RSA -pkeyopt rsa_keygen_bits:2048",
            "ed25519" => "-algorithm ed25519",
            _ => throw new ArgumentException($"unknown key kind {kind}", nameof(kind)),
        };
        Run($"genpkey {algorithm} -out {privateKey}");
        Run($"pkey -in {privateKey} -pubout -out {publicKey}");
        return (privateKey, publicKey);
    }

    /// <summary>Signs as cosign does: SHA-256 then ECDSA (DER) or RSA PKCS#1 v1.5; Ed25519 over the raw bytes.</summary>
    public static byte[] Sign(string privateKey, byte[] payload, bool ed25519 = false)
    {
        var directory = Path.GetDirectoryName(privateKey)!;
        var input = Path.Combine(directory, "payload-" + Guid.NewGuid().ToString("N"));
        var output = input + ".sig";
        File.WriteAllBytes(input, payload);
        Run(ed25519
            ? $"pkeyutl -sign -inkey {privateKey} -rawin -in {input} -out {output}"
            : $"dgst -sha256 -sign {privateKey} -out {output} {input}");
        return File.ReadAllBytes(output);
    }

    /// <summary>True when openssl accepts <paramref name="signature"/> over <paramref name="payload"/> (SHA-256, ECDSA or RSA).</summary>
    public static bool Verify(string publicKey, byte[] payload, byte[] signature)
    {
        var directory = Path.GetDirectoryName(publicKey)!;
        var input = Path.Combine(directory, "verify-" + Guid.NewGuid().ToString("N"));
        File.WriteAllBytes(input, payload);
        File.WriteAllBytes(input + ".sig", signature);
        return TryRun($"dgst -sha256 -verify {publicKey} -signature {input}.sig {input}", out _);
    }

    /// <summary><c>sha256:&lt;hex&gt;</c> of the DER SubjectPublicKeyInfo, computed by openssl.</summary>
    public static string Fingerprint(string publicKey)
    {
        var der = publicKey + ".der";
        Run($"pkey -pubin -in {publicKey} -outform DER -out {der}");
        return "sha256:" + Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(File.ReadAllBytes(der)));
    }

    public static void Run(string arguments)
    {
        if (!TryRun(arguments, out var error))
        {
            throw new InvalidOperationException($"openssl {arguments} failed: {error}");
        }
    }

    private static bool TryRun(string arguments, out string error)
    {
        var start = new ProcessStartInfo("openssl", arguments) { RedirectStandardError = true, RedirectStandardOutput = true };
        using var process = Process.Start(start) ?? throw new InvalidOperationException("openssl did not start");
        var stderr = process.StandardError.ReadToEndAsync();
        var stdout = process.StandardOutput.ReadToEndAsync();
        if (!process.WaitForExit(Timeout))
        {
            process.Kill();
            throw new TimeoutException($"openssl {arguments} did not finish");
        }

        error = stderr.Result + stdout.Result;
        return process.ExitCode == 0;
    }
}
