namespace ModelCsi.Core.Oci;

/// <summary>The TLS settings that need their own HTTP handler; endpoints with equal profiles share a pool.</summary>
internal readonly record struct TlsProfile(bool SkipVerify, string? CaBundlePath, string? ClientCertificatePath, string? ClientKeyPath)
{
    public static readonly TlsProfile Default = default;
}
