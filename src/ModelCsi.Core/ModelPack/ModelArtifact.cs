namespace ModelCsi.Core.ModelPack;

/// <summary>A manifest accepted as a model artifact: its family and every layer, parsed.</summary>
public sealed record ModelArtifact(ArtifactFamily Family, IReadOnlyList<ModelLayer> Layers);
