namespace ModelCsi.Core.ModelPack;

/// <summary>How <see cref="ModelPacker"/> lays out an artifact.</summary>
public sealed record PackOptions
{
    /// <summary>Layer form for every file; raw by default, as modctl 0.1 and later write.</summary>
    public LayerForm Form { get; init; } = LayerForm.Raw;

    /// <summary>Per-kind overrides of <see cref="Form"/>, e.g. compress docs and code but not weights.</summary>
    public IReadOnlyDictionary<LayerKind, LayerForm>? FormByKind { get; init; }

    /// <summary>Media type strings to write: cncf (the spec) or cnai (what Harbor keys on). KitOps is read-only.</summary>
    public ArtifactFamily Family { get; init; } = ArtifactFamily.Cncf;

    /// <summary>The config's descriptor; <c>createdAt</c> defaults to the fixed mtime so packs are reproducible.</summary>
    public ModelDescriptor? Descriptor { get; init; }

    /// <summary>The config's <c>config</c> section.</summary>
    public ModelProperties? Config { get; init; }

    /// <summary>Seconds since the epoch used as every file's mtime (SOURCE_DATE_EPOCH); 0 when unset.</summary>
    public long SourceDateEpoch { get; init; }

    public LayerForm FormFor(LayerKind kind) =>
        FormByKind is not null && FormByKind.TryGetValue(kind, out var form) ? form : Form;
}
