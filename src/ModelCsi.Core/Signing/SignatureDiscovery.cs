namespace ModelCsi.Core.Signing;

/// <summary>What the registry holds for one manifest digest.</summary>
public sealed record SignatureDiscovery
{
    public required IReadOnlyList<CosignSignature> Signatures { get; init; }

    /// <summary>Whether the registry answered the OCI 1.1 referrers API (false: it has none, the tag scheme alone was used).</summary>
    public bool ReferrersApi { get; init; }
}
