namespace ModelCsi.Core.Signing;

/// <summary>One signature layer as found in the registry, before any check.</summary>
public sealed record CosignSignature
{
    /// <summary>Where it was found, for messages: e.g. <c>tag sha256-….sig, layer 1</c>.</summary>
    public required string Location { get; init; }

    /// <summary>True for a sigstore bundle (payload = bundle JSON, signature inside); false for a simple-signing layer.</summary>
    public bool IsBundle { get; init; }

    /// <summary>The signed bytes (the layer blob), or the bundle JSON; null when they could not be used (see <see cref="Problem"/>).</summary>
    public byte[]? Payload { get; init; }

    /// <summary>The <c>dev.cosignproject.cosign/signature</c> annotation as written (base64); null when absent.</summary>
    public string? SignatureText { get; init; }

    /// <summary>True when a keyless certificate is attached.</summary>
    public bool HasCertificate { get; init; }

    /// <summary>Why the layer cannot be checked (payload too large), or null.</summary>
    public string? Problem { get; init; }
}
