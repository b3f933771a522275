namespace ModelCsi.Core.Signing;

/// <summary>What one trusted key says about one signature over one payload.</summary>
public enum KeyCheck
{
    /// <summary>The key made this signature over these bytes.</summary>
    Valid,

    /// <summary>Well-formed, but not made by this key over these bytes.</summary>
    Invalid,

    /// <summary>Cannot be a signature of this key's algorithm at all (wrong length, broken DER, truncated).</summary>
    Malformed,

    /// <summary>This key made the signature, but over other bytes (only RSA can tell).</summary>
    SignedOtherBytes,
}
