namespace ModelCsi.Core.Signing;

/// <summary>What a signature rule does with the models it matches.</summary>
public enum SignatureMode
{
    /// <summary>No check and no registry request.</summary>
    Off,

    /// <summary>Check; a model that fails is still mounted, and the failure is logged, counted and reported.</summary>
    Warn,

    /// <summary>Check; a model that fails is refused before any layer is fetched.</summary>
    Enforce,
}
