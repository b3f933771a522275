using Xunit;
using Csi.V1;
using Grpc.Core;
using Microsoft.Extensions.Logging.Abstractions;
using ModelCsi.Core.Cache;
using ModelCsi.Core.Mounting;
using ModelCsi.Core.State;
using ModelCsi.Driver.Grpc;
using ModelCsi.Driver.Options;
using ModelCsi.Driver.Tests.Support;
using ModelCsi.TestSupport;
using AccessMode = Csi.V1.VolumeCapability.Types.AccessMode.Types.Mode;

namespace ModelCsi.Driver.Tests;

/// <summary>
/// Node logic on the in-memory mounter: no root needed. What only real mounts can show (read-only binds, stacking
/// in the kernel) stays in <see cref="NodePublishTests"/> and the socket tests.
/// </summary>
public sealed class NodeServiceTests : IDisposable
{
    private const string Reference = "registry.local/models/tiny:1";
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);

    private readonly TempDirectory _temp = new();
    private readonly InMemoryMounter _mounter = new();
    private readonly FakeModelStore _models;
    private readonly TestLifetime _lifetime = new();
    private readonly PublishedVolumeStore _volumes;
    private readonly OwnMounts _ownMounts;
    private readonly NodeService _node;

    public NodeServiceTests()
    {
        _models = new FakeModelStore(_temp.Combine("models"));
        _volumes = new PublishedVolumeStore(_temp.Combine("root"), NullLogger<PublishedVolumeStore>.Instance);
        _ownMounts = new OwnMounts(_mounter, NullLogger<OwnMounts>.Instance);
        _node = new NodeService(
            Microsoft.Extensions.Options.Options.Create(new DriverOptions
            {
                Endpoint = "unix:///unused.sock",
                NodeId = "node-a",
                RootDir = _temp.Combine("root"),
                KubeletDir = _temp.Combine("kubelet"),
                OperationLockWait = TimeSpan.FromMilliseconds(100),
            }),
            _models,
            _mounter,
            _ownMounts,
            _volumes,
            new VolumeOperationLocks(),
            new PublishedLeases(),
            _lifetime,
            TimeProvider.System,
            new CsiMetrics(Prometheus.Metrics.NewCustomRegistry()),
            NullLogger<NodeService>.Instance);
    }

    public void Dispose()
    {
        _lifetime.Dispose();
        _temp.Dispose();
    }

    private string Target(string pod = "pod-1") => _temp.Combine("kubelet", "pods", pod, "volumes", "model", "mount");

    [Fact]
    public async Task A_publish_binds_the_model_read_only_records_it_and_leases_it_to_the_target()
    {
        await PublishAsync(Publish(Target()));

        var mount = Assert.IsType<Core.Mounting.MountInfoEntry>(_mounter.FindMount(Target()));
        Assert.True(mount.IsReadOnly);
        Assert.Equal(_models.ModelPathOf(Reference), mount.Root);
        Assert.NotNull(_volumes.Find("vol-1", Target()));
        Assert.Equal([LeaseHolder.Volume("vol-1", Target())], _models.Leases.Holders(FakeModelStore.DigestOf(Reference)));
    }

    [Fact]
    public async Task A_volume_published_at_two_targets_keeps_its_model_leased_until_both_are_unpublished()
    {
        await PublishAsync(Publish(Target("pod-1")));
        await PublishAsync(Publish(Target("pod-2")));

        await UnpublishAsync("vol-1", Target("pod-1"));

        Assert.Equal(1, _models.Leases.Count(FakeModelStore.DigestOf(Reference)));
        Assert.NotNull(_mounter.FindMount(Target("pod-2")));
        await UnpublishAsync("vol-1", Target("pod-2"));
        Assert.False(_models.Leases.IsHeld(FakeModelStore.DigestOf(Reference)));
    }

    [Fact]
    public async Task Publishes_retries_and_unpublishes_at_many_targets_never_read_the_mount_table()
    {
        var targets = Enumerable.Range(1, 5).Select(i => Target("pod-" + i)).ToList();

        foreach (var target in targets)
        {
            await PublishAsync(Publish(target));
            await PublishAsync(Publish(target));
        }
        foreach (var target in targets)
        {
            await UnpublishAsync("vol-1", target);
            await UnpublishAsync("vol-1", target);
        }

        Assert.Equal(0, _mounter.MountTableReads);
        Assert.All(targets, target => Assert.Equal(0, _mounter.Depth(target)));
    }

    [Fact]
    public async Task A_bind_replaced_behind_the_drivers_back_is_not_unmounted_as_ours()
    {
        await PublishAsync(Publish(Target()));
        _mounter.RemountBehindTheDriversBack(Target());

        var unpublish = await Assert.ThrowsAsync<RpcException>(() => UnpublishAsync("vol-1", Target()));
        var republish = await Assert.ThrowsAsync<RpcException>(() => PublishAsync(Publish(Target())));

        Assert.Equal(StatusCode.FailedPrecondition, unpublish.StatusCode);
        Assert.Equal(StatusCode.AlreadyExists, republish.StatusCode);
        Assert.Equal(1, _mounter.Depth(Target()));
        Assert.NotNull(_volumes.Find("vol-1", Target()));
    }

    [Fact]
    public async Task An_idempotent_retry_keeps_one_lease()
    {
        await PublishAsync(Publish(Target()));
        await PublishAsync(Publish(Target()));

        Assert.Equal(1, _models.Leases.Count(FakeModelStore.DigestOf(Reference)));
        Assert.Equal(1, _mounter.Depth(Target()));
    }

    [Fact]
    public async Task Unpublish_leaves_a_foreign_mount_stacked_over_ours_alone()
    {
        await PublishAsync(Publish(Target()));
        _mounter.MountForeign(Target());

        var error = await Assert.ThrowsAsync<RpcException>(() => UnpublishAsync("vol-1", Target()));

        Assert.Equal(StatusCode.FailedPrecondition, error.StatusCode);
        Assert.Equal(2, _mounter.Depth(Target()));
        Assert.Equal("tmpfs", _mounter.FindMount(Target())!.FilesystemType);
        Assert.NotNull(_volumes.Find("vol-1", Target()));
    }

    [Fact]
    public async Task Unpublish_never_unmounts_a_foreign_mount_at_a_target_without_record()
    {
        Directory.CreateDirectory(Target());
        _mounter.MountForeign(Target());

        await UnpublishAsync("vol-9", Target());

        Assert.Equal(1, _mounter.Depth(Target()));
        Assert.DoesNotContain(_mounter.Calls, c => c.StartsWith("unmount", StringComparison.Ordinal));
        Assert.True(Directory.Exists(Target()));
    }

    [Fact]
    public async Task Unpublish_with_another_volumes_id_is_refused_and_that_volume_keeps_its_mount_and_record()
    {
        await PublishAsync(Publish(Target()));

        var error = await Assert.ThrowsAsync<RpcException>(() => UnpublishAsync("vol-other", Target()));

        Assert.Equal(StatusCode.FailedPrecondition, error.StatusCode);
        Assert.NotNull(_mounter.FindMount(Target()));
        Assert.NotNull(_volumes.Find("vol-1", Target()));
        Assert.True(_models.Leases.IsHeld(FakeModelStore.DigestOf(Reference)));
    }

    [Fact]
    public async Task A_second_volume_cannot_stack_on_a_published_target()
    {
        await PublishAsync(Publish(Target()));

        var error = await Assert.ThrowsAsync<RpcException>(() => PublishAsync(Publish(Target(), volumeId: "vol-2")));

        Assert.Equal(StatusCode.AlreadyExists, error.StatusCode);
        Assert.Equal(1, _mounter.Depth(Target()));
    }

    [Fact]
    public async Task Targets_outside_the_kubelet_directory_non_empty_or_symlinked_are_refused_before_any_mount()
    {
        var outside = _temp.Combine("elsewhere", "mount");
        var full = Target("full");
        Directory.CreateDirectory(full);
        await File.WriteAllTextAsync(Path.Combine(full, "data"), "keep");
        var link = Target("link");
        Directory.CreateDirectory(Path.GetDirectoryName(link)!);
        Directory.CreateSymbolicLink(link, _temp.Path);

        Assert.Equal(StatusCode.InvalidArgument, (await Assert.ThrowsAsync<RpcException>(() => PublishAsync(Publish(outside)))).StatusCode);
        Assert.Equal(StatusCode.FailedPrecondition, (await Assert.ThrowsAsync<RpcException>(() => PublishAsync(Publish(full)))).StatusCode);
        Assert.Equal(StatusCode.InvalidArgument, (await Assert.ThrowsAsync<RpcException>(() => PublishAsync(Publish(link)))).StatusCode);
        Assert.DoesNotContain(_mounter.Calls, c => c.StartsWith("bind", StringComparison.Ordinal));
        Assert.Equal("keep", await File.ReadAllTextAsync(Path.Combine(full, "data")));
    }

    [Theory]
    [InlineData(AccessMode.SingleNodeWriter)]
    [InlineData(AccessMode.MultiNodeMultiWriter)]
    [InlineData(AccessMode.SingleNodeMultiWriter)]
    [InlineData(AccessMode.MultiNodeReaderOnly)]
    public async Task Every_mount_access_mode_publishes_and_the_mount_is_read_only(AccessMode mode)
    {
        var request = Publish(Target());
        request.VolumeCapability.AccessMode.Mode = mode;

        await PublishAsync(request);

        Assert.True(_mounter.FindMount(Target())!.IsReadOnly);
    }

    [Fact]
    public async Task Block_access_is_refused()
    {
        var request = Publish(Target());
        request.VolumeCapability = new VolumeCapability { Block = new VolumeCapability.Types.BlockVolume(), AccessMode = new() { Mode = AccessMode.SingleNodeReaderOnly } };

        var error = await Assert.ThrowsAsync<RpcException>(() => PublishAsync(request));

        Assert.Equal(StatusCode.InvalidArgument, error.StatusCode);
    }

    [Fact]
    public async Task Oversized_attributes_and_control_characters_are_refused_with_short_messages()
    {
        var huge = Publish(Target());
        huge.VolumeContext["includePatterns"] = new string('a', 1024 * 1024);
        var forged = Publish(Target());
        forged.VolumeId = "vol-1\r\nlevel=error forged";

        var hugeError = await Assert.ThrowsAsync<RpcException>(() => PublishAsync(huge));
        var forgedError = await Assert.ThrowsAsync<RpcException>(() => PublishAsync(forged));

        Assert.Equal(StatusCode.InvalidArgument, hugeError.StatusCode);
        Assert.True(hugeError.Status.Detail.Length < 512, hugeError.Status.Detail);
        Assert.Equal(StatusCode.InvalidArgument, forgedError.StatusCode);
        Assert.DoesNotContain('\n', forgedError.Status.Detail);
        Assert.Equal(0, _models.Calls);
    }

    [Fact]
    public async Task A_malformed_reference_is_InvalidArgument_without_a_pull()
    {
        var request = Publish(Target());
        request.VolumeContext["modelRef"] = "Not A Reference";

        var error = await Assert.ThrowsAsync<RpcException>(() => PublishAsync(request));

        Assert.Equal(StatusCode.InvalidArgument, error.StatusCode);
        Assert.Contains("modelRef", error.Status.Detail, StringComparison.Ordinal);
        Assert.Equal(0, _models.Calls);
    }

    [Fact]
    public async Task Stats_of_a_path_that_is_not_published_are_NotFound_and_empty_fields_InvalidArgument()
    {
        await PublishAsync(Publish(Target()));

        Assert.Equal(StatusCode.NotFound, (await Assert.ThrowsAsync<RpcException>(() => StatsAsync("vol-1", Target("other")))).StatusCode);
        Assert.Equal(StatusCode.NotFound, (await Assert.ThrowsAsync<RpcException>(() => StatsAsync("vol-1", "relative/path"))).StatusCode);
        Assert.Equal(StatusCode.NotFound, (await Assert.ThrowsAsync<RpcException>(() => StatsAsync("vol-2", Target()))).StatusCode);
        Assert.Equal(StatusCode.InvalidArgument, (await Assert.ThrowsAsync<RpcException>(() => StatsAsync("vol-1", ""))).StatusCode);
        Assert.Equal(StatusCode.InvalidArgument, (await Assert.ThrowsAsync<RpcException>(() => StatsAsync("", Target()))).StatusCode);
    }

    [Fact]
    public async Task The_volume_condition_turns_abnormal_when_a_file_of_the_model_is_deleted_or_the_mount_is_gone()
    {
        await PublishAsync(Publish(Target()));
        // The in-memory bind does not show the model's files at the target, so the condition reads the target's
        // tree as the model directory (what a real bind shows).
        Directory.Delete(Target());
        Directory.CreateSymbolicLink(Target(), _models.ModelPathOf(Reference));
        Assert.False((await StatsAsync("vol-1", Target())).VolumeCondition.Abnormal);

        File.Delete(Path.Combine(_models.ModelPathOf(Reference), "config.json"));
        var missing = await StatsAsync("vol-1", Target());
        _mounter.Unmount(Target());
        var unmounted = await StatsAsync("vol-1", Target());

        Assert.True(missing.VolumeCondition.Abnormal);
        Assert.Contains("missing", missing.VolumeCondition.Message, StringComparison.Ordinal);
        Assert.True(unmounted.VolumeCondition.Abnormal);
    }

    [Fact]
    public async Task Capabilities_include_volume_stats_and_volume_condition()
    {
        var response = await _node.NodeGetCapabilities(new NodeGetCapabilitiesRequest(), new TestServerCallContext());

        Assert.Equal(
            [NodeServiceCapability.Types.RPC.Types.Type.GetVolumeStats, NodeServiceCapability.Types.RPC.Types.Type.VolumeCondition],
            response.Capabilities.Select(c => c.Rpc.Type));
    }

    private static NodePublishVolumeRequest Publish(string target, string volumeId = "vol-1")
    {
        var request = NodeValidationOverSocketTests.ValidPublish(target);
        request.VolumeId = volumeId;
        request.VolumeContext["modelRef"] = Reference;
        return request;
    }

    private Task<NodePublishVolumeResponse> PublishAsync(NodePublishVolumeRequest request) =>
        _node.NodePublishVolume(request, new TestServerCallContext()).WaitAsync(Patience);

    private Task<NodeUnpublishVolumeResponse> UnpublishAsync(string volumeId, string target) =>
        _node.NodeUnpublishVolume(new NodeUnpublishVolumeRequest { VolumeId = volumeId, TargetPath = target }, new TestServerCallContext()).WaitAsync(Patience);

    private Task<NodeGetVolumeStatsResponse> StatsAsync(string volumeId, string path) =>
        _node.NodeGetVolumeStats(new NodeGetVolumeStatsRequest { VolumeId = volumeId, VolumePath = path }, new TestServerCallContext()).WaitAsync(Patience);
}
