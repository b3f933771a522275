using ModelCsi.Core.ModelPack;
using ModelCsi.Core.Oci;
using Xunit;

namespace ModelCsi.Core.Tests.ModelPack;

public sealed class ArtifactClassifierTests
{
    private static readonly string SomeDigest = Digest.Of("x"u8);

    private static OciManifest Manifest(string? artifactType, string configType, params string[] layerTypes) => new()
    {
        MediaType = OciMediaTypes.ImageManifest,
        ArtifactType = artifactType,
        Config = new OciDescriptor { MediaType = configType, Digest = SomeDigest, Size = 1 },
        Layers = layerTypes.Select((type, i) => new OciDescriptor { MediaType = type, Digest = Digest.Of([(byte)i]), Size = 1 }).ToList(),
    };

    [Theory]
    [InlineData(ModelPackMediaTypes.CncfManifest, ModelPackMediaTypes.CncfConfig, ArtifactFamily.Cncf)]
    [InlineData(null, ModelPackMediaTypes.CncfConfig, ArtifactFamily.Cncf)]
    [InlineData(ModelPackMediaTypes.CncfManifest, OciMediaTypes.EmptyJson, ArtifactFamily.Cncf)]
    [InlineData(ModelPackMediaTypes.CnaiManifest, ModelPackMediaTypes.CnaiConfig, ArtifactFamily.Cnai)]
    [InlineData(null, ModelPackMediaTypes.CnaiConfig, ArtifactFamily.Cnai)]
    [InlineData(null, ModelPackMediaTypes.KitOpsConfig, ArtifactFamily.KitOps)]
    [InlineData(ModelPackMediaTypes.KitOpsConfig, ModelPackMediaTypes.KitOpsConfig, ArtifactFamily.KitOps)]
    public void Model_artifacts_are_recognised_by_artifact_type_or_config_type(string? artifactType, string configType, ArtifactFamily expected)
    {
        var artifact = ArtifactClassifier.Classify(Manifest(artifactType, configType, "application/vnd.cncf.model.weight.v1.raw"));

        Assert.Equal(expected, artifact.Family);
        Assert.Equal(LayerKind.Weight, Assert.Single(artifact.Layers).MediaType.Kind);
    }

    [Fact]
    public void Layers_are_returned_parsed_in_manifest_order()
    {
        var artifact = ArtifactClassifier.Classify(Manifest(
            null, ModelPackMediaTypes.KitOpsConfig,
            "application/vnd.kitops.modelkit.model.v1.tar", "application/vnd.kitops.modelkit.docs.v1.tar+gzip"));

        Assert.Equal([LayerKind.Weight, LayerKind.Doc], artifact.Layers.Select(layer => layer.MediaType.Kind));
        Assert.Equal(LayerForm.TarGzip, artifact.Layers[1].MediaType.Form);
    }

    [Fact]
    public void A_plain_container_image_is_rejected_naming_its_config_type()
    {
        var image = Manifest(null, "application/vnd.oci.image.config.v1+json", "application/vnd.oci.image.layer.v1.tar+gzip");

        var error = Assert.Throws<UnsupportedArtifactException>(() => ArtifactClassifier.Classify(image));

        Assert.Equal("application/vnd.oci.image.config.v1+json", error.ConfigMediaType);
        Assert.Contains("application/vnd.oci.image.config.v1+json", error.Message, StringComparison.Ordinal);
        Assert.Contains("(none)", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void An_unknown_artifact_type_is_rejected_naming_it()
    {
        var helm = Manifest("application/vnd.cncf.helm.chart", "application/vnd.cncf.helm.config.v1+json");

        var error = Assert.Throws<UnsupportedArtifactException>(() => ArtifactClassifier.Classify(helm));

        Assert.Equal("application/vnd.cncf.helm.chart", error.ArtifactType);
        Assert.Contains("application/vnd.cncf.helm.chart", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void An_unknown_layer_in_a_model_artifact_is_rejected_naming_digest_and_type()
    {
        var manifest = Manifest(ModelPackMediaTypes.CncfManifest, ModelPackMediaTypes.CncfConfig,
            "application/vnd.cncf.model.weight.v1.raw", "application/vnd.oci.image.layer.v1.tar+gzip");

        var error = Assert.Throws<UnsupportedLayerException>(() => ArtifactClassifier.Classify(manifest));

        Assert.Equal(manifest.Layers[1].Digest, error.Digest);
        Assert.Contains(manifest.Layers[1].Digest, error.Message, StringComparison.Ordinal);
        Assert.Contains("application/vnd.oci.image.layer.v1.tar+gzip", error.Message, StringComparison.Ordinal);
    }
}
