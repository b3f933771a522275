using ModelCsi.Core.ModelPack;
using Xunit;

namespace ModelCsi.Core.Tests.ModelPack;

public sealed class LayerMediaTypeTests
{
    [Theory]
    [InlineData("application/vnd.cncf.model.weight.v1.raw", ArtifactFamily.Cncf, LayerKind.Weight, LayerForm.Raw)]
    [InlineData("application/vnd.cncf.model.weight.v1.tar", ArtifactFamily.Cncf, LayerKind.Weight, LayerForm.Tar)]
    [InlineData("application/vnd.cncf.model.weight.v1.tar+gzip", ArtifactFamily.Cncf, LayerKind.Weight, LayerForm.TarGzip)]
    [InlineData("application/vnd.cncf.model.weight.v1.tar+zstd", ArtifactFamily.Cncf, LayerKind.Weight, LayerForm.TarZstd)]
    [InlineData("application/vnd.cncf.model.weight.config.v1.raw", ArtifactFamily.Cncf, LayerKind.WeightConfig, LayerForm.Raw)]
    [InlineData("application/vnd.cncf.model.weight.config.v1.tar", ArtifactFamily.Cncf, LayerKind.WeightConfig, LayerForm.Tar)]
    [InlineData("application/vnd.cncf.model.doc.v1.tar+gzip", ArtifactFamily.Cncf, LayerKind.Doc, LayerForm.TarGzip)]
    [InlineData("application/vnd.cncf.model.code.v1.raw", ArtifactFamily.Cncf, LayerKind.Code, LayerForm.Raw)]
    [InlineData("application/vnd.cncf.model.dataset.v1.tar+zstd", ArtifactFamily.Cncf, LayerKind.Dataset, LayerForm.TarZstd)]
    [InlineData("application/vnd.cnai.model.weight.v1.raw", ArtifactFamily.Cnai, LayerKind.Weight, LayerForm.Raw)]
    [InlineData("application/vnd.cnai.model.weight.config.v1.tar", ArtifactFamily.Cnai, LayerKind.WeightConfig, LayerForm.Tar)]
    [InlineData("application/vnd.cnai.model.doc.v1.tar+gzip", ArtifactFamily.Cnai, LayerKind.Doc, LayerForm.TarGzip)]
    [InlineData("application/vnd.cnai.model.dataset.v1.tar+zstd", ArtifactFamily.Cnai, LayerKind.Dataset, LayerForm.TarZstd)]
    [InlineData("application/vnd.kitops.modelkit.model.v1.tar", ArtifactFamily.KitOps, LayerKind.Weight, LayerForm.Tar)]
    [InlineData("application/vnd.kitops.modelkit.modelpart.v1.tar+gzip", ArtifactFamily.KitOps, LayerKind.ModelPart, LayerForm.TarGzip)]
    [InlineData("application/vnd.kitops.modelkit.code.v1.tar+zstd", ArtifactFamily.KitOps, LayerKind.Code, LayerForm.TarZstd)]
    [InlineData("application/vnd.kitops.modelkit.dataset.v1.tar", ArtifactFamily.KitOps, LayerKind.Dataset, LayerForm.Tar)]
    [InlineData("application/vnd.kitops.modelkit.docs.v1.tar", ArtifactFamily.KitOps, LayerKind.Doc, LayerForm.Tar)]
    [InlineData("application/vnd.kitops.modelkit.prompts.v1.tar", ArtifactFamily.KitOps, LayerKind.Prompts, LayerForm.Tar)]
    public void Known_layer_media_types_parse_and_print_back_unchanged(string text, ArtifactFamily family, LayerKind kind, LayerForm form)
    {
        Assert.True(LayerMediaType.TryParse(text, out var parsed));
        Assert.Equal(new LayerMediaType(family, kind, form), parsed);
        Assert.Equal(text, parsed.ToString());
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("application/vnd.oci.image.layer.v1.tar+gzip")]
    [InlineData("application/vnd.docker.image.rootfs.diff.tar.gzip")]
    [InlineData("application/vnd.cncf.model.weight.v1.zip")]
    [InlineData("application/vnd.cncf.model.weights.v1.raw")]
    [InlineData("application/vnd.cncf.model.weight.v2.raw")]
    [InlineData("application/vnd.cncf.model.weight.config.v1")]
    [InlineData("application/vnd.cncf.model.v1.raw")]
    [InlineData("application/vnd.kitops.modelkit.model.v1.raw")]
    [InlineData("application/vnd.kitops.modelkit.weight.v1.tar")]
    [InlineData("APPLICATION/VND.CNCF.MODEL.WEIGHT.V1.RAW")]
    [InlineData("application/vnd.cncf.model.manifest.v1+json")]
    public void Other_media_types_are_not_layer_types(string? text)
    {
        Assert.False(LayerMediaType.TryParse(text, out _));
    }

    [Fact]
    public void Parse_names_the_rejected_media_type()
    {
        var error = Assert.Throws<FormatException>(() => LayerMediaType.Parse("application/vnd.oci.image.layer.v1.tar"));
        Assert.Contains("application/vnd.oci.image.layer.v1.tar", error.Message, StringComparison.Ordinal);
    }
}
