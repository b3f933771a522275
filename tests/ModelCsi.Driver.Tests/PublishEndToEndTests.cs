using Csi.V1;
using Grpc.Core;
using ModelCsi.Core.Mounting;
using ModelCsi.Driver.Tests.Support;
using ModelCsi.TestSupport;
using Xunit;
using AccessMode = Csi.V1.VolumeCapability.Types.AccessMode.Types.Mode;

namespace ModelCsi.Driver.Tests;

/// <summary>
/// The real driver process, driven over its unix socket exactly as kubelet drives it, pulling from a
/// real registry into its cache and bind-mounting for real into a temp "kubelet" directory.
/// </summary>
public sealed class PublishEndToEndTests(ModelDriverFixture fixture) : IClassFixture<ModelDriverFixture>, IDisposable
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(90);
    private readonly ScratchDirectory _kubelet = new();

    private Node.NodeClient Client => new(fixture.Driver.Channel);

    private static CallOptions Deadline => new(deadline: DateTime.UtcNow + Patience);

    public void Dispose() => _kubelet.Dispose();

    /// <summary>What kubelet sends for an inline volume of a pod with podInfoOnMount: SINGLE_NODE_WRITER and pod keys.</summary>
    private NodePublishVolumeRequest InlinePublish(string reference, string pod = "infer-0", string? volumeId = null)
    {
        var uid = Guid.NewGuid().ToString();
        return new NodePublishVolumeRequest
        {
            VolumeId = volumeId ?? "csi-" + Guid.NewGuid().ToString("N"),
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
                ["csi.storage.k8s.io/pod.name"] = pod,
                ["csi.storage.k8s.io/pod.namespace"] = "ml",
                ["csi.storage.k8s.io/pod.uid"] = uid,
                ["csi.storage.k8s.io/serviceAccount.name"] = "default",
                ["csi.storage.k8s.io/ephemeral"] = "true",
            },
        };
    }

    private async Task UnpublishAsync(NodePublishVolumeRequest published) =>
        await Client.NodeUnpublishVolumeAsync(new NodeUnpublishVolumeRequest { VolumeId = published.VolumeId, TargetPath = published.TargetPath }, Deadline);

    private int SampleBlobGets() =>
        fixture.Sample.Manifest.Layers.Sum(l => fixture.Proxy.CountRequests("GET", "/blobs/" + l.Digest));

    private static MountInfoEntry? MountAt(string target) =>
        MountInfoParser.FindByMountPoint(MountInfoParser.Parse(File.ReadAllText("/proc/self/mountinfo")), target);

    [Fact]
    public async Task An_inline_volume_shows_the_model_files_read_only_and_unpublish_removes_it()
    {
        var request = InlinePublish(fixture.SampleReference);

        await Client.NodePublishVolumeAsync(request, Deadline);

        foreach (var (relative, content) in fixture.SampleFiles)
        {
            Assert.Equal(content, await File.ReadAllBytesAsync(Path.Combine(request.TargetPath, relative)));
        }

        var write = Record.Exception(() => File.WriteAllText(Path.Combine(request.TargetPath, "config.json"), "changed"));
        Assert.NotNull(write);
        Assert.Contains("Read-only file system", write.Message, StringComparison.Ordinal);
        var create = Record.Exception(() => File.WriteAllText(Path.Combine(request.TargetPath, "new-file"), "x"));
        Assert.NotNull(create);

        var mount = MountAt(request.TargetPath);
        Assert.NotNull(mount);
        Assert.True(mount.IsReadOnly);
        Assert.Contains("nosuid", mount.MountOptions);
        Assert.Contains("nodev", mount.MountOptions);
        // A bind mount of the cache's model directory: the root is the model's path inside the cache filesystem.
        Assert.EndsWith("/cache/models/" + fixture.Sample.ManifestDigest["sha256:".Length..], mount.Root, StringComparison.Ordinal);

        await UnpublishAsync(request);

        Assert.Null(MountAt(request.TargetPath));
        Assert.False(Directory.Exists(request.TargetPath));
    }

    [Fact]
    public async Task Twenty_pods_publishing_one_model_at_once_cause_one_download()
    {
        var repository = "e2e/" + Guid.NewGuid().ToString("N")[..10];
        var files = new Dictionary<string, byte[]> { ["weights/model.safetensors"] = OciTestContent.RandomBytes(4_000_000, 20), ["config.json"] = "{}"u8.ToArray() };
        var packed = await TestModels.PushAsync(fixture.Registry.Host, repository, "v1", TestModels.WriteDirectory(fixture.Sources.Path, files));
        var requests = Enumerable.Range(0, 20).Select(i => InlinePublish($"{fixture.Proxy.Host}/{repository}:v1", $"pod-{i}")).ToList();

        await Task.WhenAll(requests.Select(r => Client.NodePublishVolumeAsync(r, Deadline).ResponseAsync));

        foreach (var layer in packed.Manifest.Layers)
        {
            Assert.Equal(1, fixture.Proxy.CountRequests("GET", "/blobs/" + layer.Digest));
        }

        foreach (var request in requests)
        {
            Assert.Equal(files["weights/model.safetensors"], await File.ReadAllBytesAsync(Path.Combine(request.TargetPath, "weights", "model.safetensors")));
        }

        await Task.WhenAll(requests.Select(UnpublishAsync));
        Assert.All(requests, r => Assert.Null(MountAt(r.TargetPath)));
    }

    [Fact]
    public async Task Publishing_again_is_OK_and_unpublishing_twice_is_OK()
    {
        var request = InlinePublish(fixture.SampleReference);

        await Client.NodePublishVolumeAsync(request, Deadline);
        var downloads = SampleBlobGets();
        await Client.NodePublishVolumeAsync(request, Deadline);
        await UnpublishAsync(request);
        await UnpublishAsync(request);

        Assert.Equal(downloads, SampleBlobGets());
        Assert.Null(MountAt(request.TargetPath));
        Assert.False(Directory.Exists(request.TargetPath));
    }

    [Fact]
    public async Task The_same_target_with_another_model_is_AlreadyExists()
    {
        var request = InlinePublish(fixture.SampleReference);
        var other = Guid.NewGuid().ToString("N")[..8];
        await TestModels.PushAsync(fixture.Registry.Host, "e2e/other-" + other, "v1",
            TestModels.WriteDirectory(fixture.Sources.Path, new Dictionary<string, byte[]> { ["config.json"] = "{\"other\":1}"u8.ToArray() }));
        await Client.NodePublishVolumeAsync(request, Deadline);

        var conflicting = request.Clone();
        conflicting.VolumeContext["modelRef"] = $"{fixture.Proxy.Host}/e2e/other-{other}:v1";
        var error = await Assert.ThrowsAsync<RpcException>(() => Client.NodePublishVolumeAsync(conflicting, Deadline).ResponseAsync);

        Assert.Equal(StatusCode.AlreadyExists, error.StatusCode);
        await UnpublishAsync(request);
    }

    [Fact]
    public async Task A_subPath_mounts_only_that_folder_of_the_model()
    {
        var request = InlinePublish(fixture.SampleReference);
        request.VolumeContext["subPath"] = "tokenizer";

        await Client.NodePublishVolumeAsync(request, Deadline);

        Assert.Equal(fixture.SampleFiles["tokenizer/vocab.txt"], await File.ReadAllBytesAsync(Path.Combine(request.TargetPath, "vocab.txt")));
        Assert.False(File.Exists(Path.Combine(request.TargetPath, "config.json")));
        await UnpublishAsync(request);
    }

    [Fact]
    public async Task A_persistent_volume_with_a_writer_mode_is_mounted_read_only()
    {
        var request = InlinePublish(fixture.SampleReference);
        request.VolumeContext.Remove("csi.storage.k8s.io/ephemeral");

        await Client.NodePublishVolumeAsync(request, Deadline);

        Assert.True(MountAt(request.TargetPath)!.IsReadOnly);
        var write = Record.Exception(() => File.WriteAllText(Path.Combine(request.TargetPath, "new-file"), "x"));
        Assert.IsAssignableFrom<IOException>(write);
        await Client.NodeUnpublishVolumeAsync(new NodeUnpublishVolumeRequest { VolumeId = request.VolumeId, TargetPath = request.TargetPath }, Deadline);
    }

    public static TheoryData<string, StatusCode, string> Failures => new()
    {
        { "missing tag", StatusCode.NotFound, "resolve manifest" },
        { "bad reference", StatusCode.InvalidArgument, "invalid" },
        { "registry down", StatusCode.Unavailable, "resolve manifest" },
        { "no credentials", StatusCode.PermissionDenied, "resolve manifest" },
        { "wrong password", StatusCode.PermissionDenied, "resolve manifest" },
    };

    [Theory]
    [MemberData(nameof(Failures))]
    public async Task Each_failure_gets_its_status_code_and_a_message_naming_the_reference_and_step(string @case, StatusCode expected, string step)
    {
        var reference = @case switch
        {
            "missing tag" => $"{fixture.Proxy.Host}/e2e/tiny:no-such-tag",
            "bad reference" => $"{fixture.Proxy.Host}/Upper/Case:v1",
            "registry down" => $"127.0.0.1:{FreePort.Pick()}/e2e/tiny:v1",
            _ => $"{fixture.AuthRegistry.Host}/e2e/private:v1",
        };
        var request = InlinePublish(reference);
        if (@case == "wrong password")
        {
            request.Secrets["username"] = BasicAuthRegistryFixture.User;
            request.Secrets["password"] = "not-the-password";
        }

        var error = await Assert.ThrowsAsync<RpcException>(() => Client.NodePublishVolumeAsync(request, Deadline).ResponseAsync);

        Assert.Equal(expected, error.StatusCode);
        Assert.Contains(reference.Split('/')[^1].Split(':')[0], error.Status.Detail, StringComparison.OrdinalIgnoreCase);
        Assert.Contains(step, error.Status.Detail, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("not-the-password", error.Status.Detail, StringComparison.Ordinal);
        Assert.Null(MountAt(request.TargetPath));
    }

    [Fact]
    public async Task Credentials_in_the_volume_secrets_open_a_private_registry()
    {
        var files = new Dictionary<string, byte[]> { ["config.json"] = "{\"private\":true}"u8.ToArray() };
        var credential = Core.Oci.RegistryCredential.Basic(BasicAuthRegistryFixture.User, BasicAuthRegistryFixture.Password);
        await TestModels.PushAsync(fixture.AuthRegistry.Host, "e2e/private-ok", "v1", TestModels.WriteDirectory(fixture.Sources.Path, files), credential: credential);
        var request = InlinePublish($"{fixture.AuthRegistry.Host}/e2e/private-ok:v1");
        request.Secrets["username"] = BasicAuthRegistryFixture.User;
        request.Secrets["password"] = BasicAuthRegistryFixture.Password;

        await Client.NodePublishVolumeAsync(request, Deadline);

        Assert.Equal(files["config.json"], await File.ReadAllBytesAsync(Path.Combine(request.TargetPath, "config.json")));
        Assert.DoesNotContain(BasicAuthRegistryFixture.Password, fixture.Driver.Output, StringComparison.Ordinal);
        Assert.DoesNotContain(BasicAuthRegistryFixture.User, fixture.Driver.Output, StringComparison.Ordinal);
        await UnpublishAsync(request);
    }

    [Fact]
    public async Task A_blob_corrupted_in_the_registry_is_DataLoss_naming_the_digest()
    {
        var repository = "e2e/corrupt-" + Guid.NewGuid().ToString("N")[..8];
        var packed = await TestModels.PushAsync(fixture.Registry.Host, repository, "v1",
            TestModels.WriteDirectory(fixture.Sources.Path, new Dictionary<string, byte[]> { ["model.safetensors"] = OciTestContent.RandomBytes(100_000, 30) }));
        var layer = packed.Manifest.Layers.Single();
        TestModels.CorruptBlobInStorage(fixture.Registry, layer.Digest);
        var request = InlinePublish($"{fixture.Proxy.Host}/{repository}:v1");

        var error = await Assert.ThrowsAsync<RpcException>(() => Client.NodePublishVolumeAsync(request, Deadline).ResponseAsync);

        Assert.Equal(StatusCode.DataLoss, error.StatusCode);
        Assert.Contains(layer.Digest, error.Status.Detail, StringComparison.Ordinal);
        Assert.Null(MountAt(request.TargetPath));
        Assert.False(Directory.Exists(Path.Combine(fixture.Driver.RootDir, "cache", "models", packed.ManifestDigest["sha256:".Length..])));
    }
}
