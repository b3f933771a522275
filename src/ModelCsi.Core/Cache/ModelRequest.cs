namespace ModelCsi.Core.Cache;

/// <summary>A request for a model: the raw reference string (the store parses it) and the volume's secrets.</summary>
public sealed record ModelRequest(string Reference, IReadOnlyDictionary<string, string> Secrets)
{
    public static readonly IReadOnlyDictionary<string, string> NoSecrets = new Dictionary<string, string>();

    public ModelRequest(string reference)
        : this(reference, NoSecrets)
    {
    }

    /// <summary>Who asks (secrets and pod), for credential lookup; null means the <see cref="Secrets"/> alone.</summary>
    public Oci.Credentials.CredentialContext? Credentials { get; init; }

    /// <summary>The layers wanted; null for the whole model. A subset is cached apart from the whole model but shares its blobs.</summary>
    public ModelPack.LayerSelection? Selection { get; init; }

    /// <summary>When a tag is resolved at the registry; null for kubelet's default rule (see <see cref="PullPolicies.Effective"/>).</summary>
    public PullPolicy? PullPolicy { get; init; }

    /// <summary>Told how the pull goes (pod Events); null for none.</summary>
    public IPullObserver? Observer { get; init; }

    /// <summary>
    /// Who will use the model, if anyone: the model is leased to it in the same step as it is handed out, so an
    /// eviction cannot slip in between. Null for a caller that only wants the model in the cache.
    /// </summary>
    public LeaseHolder? Holder { get; init; }

    // Secrets must never reach a log line, so the generated record printer (which would list them) is replaced.
    public override string ToString() => Reference;
}
