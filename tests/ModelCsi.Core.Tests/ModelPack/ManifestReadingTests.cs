using System.Text;
using ModelCsi.Core.ModelPack;
using Xunit;

namespace ModelCsi.Core.Tests.ModelPack;

/// <summary>
/// Malformed manifests are ModelPack format errors (DataLoss for the driver), never a bare JsonException or a
/// NullReferenceException. The inputs are shapes the manifest fuzz target found.
/// </summary>
public sealed class ManifestReadingTests
{
    private const string Digest = "sha256:0000000000000000000000000000000000000000000000000000000000000000";

    [Theory]
    [InlineData("""{age.titVersion":2,"mediaType":"on","config":{"mediaType":"appli""")]
    [InlineData("""{"schemaVersion":2}""")]
    [InlineData("""{"schemaVersion":2,"config":{"mediaType":"x","digest":"sha","size":1}}""")]
    [InlineData("""{"config":{"digest":"sha","size":1},"layers":[]}""")]
    [InlineData("""{"config":{"mediaType":7,"digest":"sha","size":1},"layers":[]}""")]
    [InlineData("""{"config":{"mediaType":"x","digest":"sha","size":1},"layers":[{"mediaType":"x","digest":"sha","size":1,"annotations":{"a":{}}}]}""")]
    [InlineData("null")]
    [InlineData("")]
    public void Json_that_is_not_a_manifest_is_a_format_error(string json)
    {
        var error = Assert.Throws<ModelPackFormatException>(() => ModelPackJson.ReadManifest(Encoding.UTF8.GetBytes(json)));

        Assert.True(error.Message.Length < 512, error.Message);
    }

    [Theory]
    [InlineData("""{"config":null,"layers":[]}""")]
    [InlineData($$"""{"config":{"mediaType":"application/vnd.cncf.model.config.v1+json","digest":"{{Digest}}","size":2},"layers":null}""")]
    [InlineData($$"""{"config":{"mediaType":"application/vnd.cncf.model.config.v1+json","digest":"{{Digest}}","size":2},"layers":[null]}""")]
    public void A_manifest_with_null_parts_is_a_format_error_when_classified(string json)
    {
        var manifest = ModelPackJson.ReadManifest(Encoding.UTF8.GetBytes(json));

        Assert.Throws<ModelPackFormatException>(() => ArtifactClassifier.Classify(manifest));
    }
}
