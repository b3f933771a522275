using System.Text;
using Csi.V1;
using Grpc.Core;
using ModelCsi.Driver.Tests.Support;
using ModelCsi.TestSupport;
using Xunit;
using AccessMode = Csi.V1.VolumeCapability.Types.AccessMode.Types.Mode;

namespace ModelCsi.Driver.Tests;

/// <summary>Volumes that select part of a model, published by the real driver over its socket from the real registry with real mounts.</summary>
public sealed class SelectivePublishTests(ModelDriverFixture fixture) : IClassFixture<ModelDriverFixture>, IDisposable
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(90);
    private readonly ScratchDirectory _kubelet = new();

    private Node.NodeClient Client => new(fixture.Driver.Channel);

    private static CallOptions Deadline => new(deadline: DateTime.UtcNow + Patience);

    public void Dispose() => _kubelet.Dispose();

    private NodePublishVolumeRequest InlinePublish(string reference, params (string Key, string Value)[] attributes)
    {
        var uid = Guid.NewGuid().ToString();
        var request = new NodePublishVolumeRequest
        {
            VolumeId = "csi-" + Guid.NewGuid().ToString("N"),
            TargetPath = _kubelet.Combine("pods", uid, "volumes", "kubernetes.io~csi", "model", "mount"),
            Readonly = true,
            VolumeCapability = new VolumeCapability
            {
                Mount = new VolumeCapability.Types.MountVolume(),
                AccessMode = new VolumeCapability.Types.AccessMode { Mode = AccessMode.SingleNodeWriter },
            },
            VolumeContext =
            {
                ["modelRef"] = reference,
                ["csi.storage.k8s.io/pod.uid"] = uid,
                ["csi.storage.k8s.io/ephemeral"] = "true",
            },
        };
        foreach (var (key, value) in attributes)
        {
            request.VolumeContext[key] = value;
        }

        return request;
    }

    private async Task UnpublishAsync(NodePublishVolumeRequest published) =>
        await Client.NodeUnpublishVolumeAsync(new NodeUnpublishVolumeRequest { VolumeId = published.VolumeId, TargetPath = published.TargetPath }, Deadline);

    private static List<string> FilesUnder(string root) =>
        Directory.EnumerateFiles(root, "*", SearchOption.AllDirectories).Select(f => Path.GetRelativePath(root, f)).Order(StringComparer.Ordinal).ToList();

    private int Gets(Core.Oci.OciDescriptor layer) => fixture.Proxy.CountRequests("GET", "/blobs/" + layer.Digest);

    private async Task<(string Reference, IReadOnlyDictionary<string, Core.Oci.OciDescriptor> Layers)> PushTiktokenModelAsync(int seed)
    {
        var repository = OciTestContent.UniqueRepository("sel");
        var (_, layers) = await HandPackedModel.PushAsync(fixture.Registry.Host, repository, "v1",
        [
            new HandPackedFile("tiktoken.model", "application/vnd.cncf.model.weight.config.v1.raw", Encoding.UTF8.GetBytes($"IQ== {seed}\n")),
            new HandPackedFile("model.gguf", "application/vnd.cncf.model.weight.v1.raw", OciTestContent.RandomBytes(400_000, seed)),
            new HandPackedFile("docs/README.md", "application/vnd.cncf.model.doc.v1.raw", Encoding.UTF8.GetBytes($"# gguf {seed}\n")),
        ]);
        return ($"{fixture.Proxy.Host}/{repository}:v1", layers);
    }

    [Fact]
    public async Task Excluding_weights_mounts_the_tiktoken_weight_config_but_never_fetches_the_gguf_weight()
    {
        var (reference, layers) = await PushTiktokenModelAsync(1);
        var request = InlinePublish(reference, ("excludeWeights", "true"));

        await Client.NodePublishVolumeAsync(request, Deadline);

        Assert.Equal(["docs/README.md", "tiktoken.model"], FilesUnder(request.TargetPath));
        Assert.Equal(0, Gets(layers["model.gguf"]));
        Assert.Equal(1, Gets(layers["tiktoken.model"]));
        await UnpublishAsync(request);
        Assert.False(Directory.Exists(request.TargetPath));
    }

    [Fact]
    public async Task The_reference_drivers_exclude_file_patterns_key_leaves_the_matching_files_out()
    {
        var (reference, layers) = await PushTiktokenModelAsync(2);
        var request = InlinePublish(reference, ("model.csi.modelpack.org/exclude-file-patterns", """["*.gguf", "docs/**"]"""));

        await Client.NodePublishVolumeAsync(request, Deadline);

        Assert.Equal(["tiktoken.model"], FilesUnder(request.TargetPath));
        Assert.Equal(0, Gets(layers["model.gguf"]));
        Assert.Equal(0, Gets(layers["docs/README.md"]));
        await UnpublishAsync(request);
    }

    [Fact]
    public async Task A_subset_and_the_whole_model_mounted_side_by_side_share_the_bytes_they_have_in_common()
    {
        var (reference, layers) = await PushTiktokenModelAsync(3);
        var subset = InlinePublish(reference, ("includePatterns", "tiktoken.model"));
        var whole = InlinePublish(reference);

        await Client.NodePublishVolumeAsync(subset, Deadline);
        await Client.NodePublishVolumeAsync(whole, Deadline);

        Assert.Equal(["tiktoken.model"], FilesUnder(subset.TargetPath));
        Assert.Equal(["docs/README.md", "model.gguf", "tiktoken.model"], FilesUnder(whole.TargetPath));
        Assert.All(layers.Values, l => Assert.Equal(1, Gets(l)));
        Assert.Equal(
            new Mono.Unix.UnixFileInfo(Path.Combine(subset.TargetPath, "tiktoken.model")).Inode,
            new Mono.Unix.UnixFileInfo(Path.Combine(whole.TargetPath, "tiktoken.model")).Inode);
        await UnpublishAsync(subset);
        await UnpublishAsync(whole);
    }

    [Fact]
    public async Task Publishing_the_same_target_again_with_another_selection_is_already_exists_and_the_same_one_succeeds()
    {
        var (reference, _) = await PushTiktokenModelAsync(4);
        var request = InlinePublish(reference, ("excludeWeights", "true"));
        await Client.NodePublishVolumeAsync(request, Deadline);

        var again = request.Clone();
        again.VolumeContext["excludeWeights"] = "TRUE";
        await Client.NodePublishVolumeAsync(again, Deadline);

        var other = request.Clone();
        other.VolumeContext.Remove("excludeWeights");
        var error = await Assert.ThrowsAsync<RpcException>(async () => await Client.NodePublishVolumeAsync(other, Deadline));
        Assert.Equal(StatusCode.AlreadyExists, error.StatusCode);
        Assert.Contains("whole model", error.Status.Detail, StringComparison.Ordinal);
        await UnpublishAsync(request);
    }

    [Theory]
    [InlineData("includePatterns", "[\"ok/*\", \"../escape\"]", "'[\"ok/*\", \"../escape\"]'")]
    [InlineData("excludePatterns", "model.[gguf", "'model.[gguf'")]
    [InlineData("includePatterns", "[]", "'[]'")]
    [InlineData("excludeWeights", "maybe", "'maybe'")]
    public async Task An_invalid_selection_is_invalid_argument_naming_the_value_and_mounts_nothing(string key, string value, string quoted)
    {
        var request = InlinePublish(fixture.SampleReference, (key, value));

        var error = await Assert.ThrowsAsync<RpcException>(async () => await Client.NodePublishVolumeAsync(request, Deadline));

        Assert.Equal(StatusCode.InvalidArgument, error.StatusCode);
        Assert.Contains(key, error.Status.Detail, StringComparison.Ordinal);
        Assert.Contains(quoted, error.Status.Detail, StringComparison.Ordinal);
        Assert.False(Directory.Exists(request.TargetPath));
    }

    [Fact]
    public async Task A_selection_that_matches_no_layer_is_invalid_argument_listing_the_model_paths()
    {
        var (reference, layers) = await PushTiktokenModelAsync(5);
        var request = InlinePublish(reference, ("includePatterns", "*.safetensors"));

        var error = await Assert.ThrowsAsync<RpcException>(async () => await Client.NodePublishVolumeAsync(request, Deadline));

        Assert.Equal(StatusCode.InvalidArgument, error.StatusCode);
        Assert.Contains("matches nothing", error.Status.Detail, StringComparison.Ordinal);
        Assert.Contains("model.gguf", error.Status.Detail, StringComparison.Ordinal);
        Assert.All(layers.Values, l => Assert.Equal(0, Gets(l)));
    }
}
