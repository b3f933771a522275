using ModelCsi.Core.Failures;
using Csi.V1;
using Grpc.Core;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using ModelCsi.Core.Cache;
using ModelCsi.Core.Kubernetes;
using ModelCsi.Core.Mounting;
using ModelCsi.Core.State;
using ModelCsi.Driver.Grpc;
using ModelCsi.Driver.Options;
using ModelCsi.Driver.Tests.Support;
using ModelCsi.TestSupport;
using Xunit;

namespace ModelCsi.Driver.Tests;

/// <summary>
/// The Node service in-process with a fake model store and REAL read-only bind mounts (tests run as root),
/// all inside a scratch directory that unmounts everything on dispose.
/// </summary>
public sealed class NodePublishTests : IDisposable
{
    private const string Reference = "registry.local/models/tiny:1";
    private const string OtherReference = "registry.local/models/other:2";
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);

    private readonly ScratchDirectory _scratch = new();
    private readonly FakeModelStore _store;
    private readonly CountingMountInfo _mountInfo = new();
    private readonly LibcMounter _mounter;
    private readonly TestLifetime _lifetime = new();
    private readonly string _target;
    private NodeService _node;

    public NodePublishTests()
    {
        _mounter = new LibcMounter(NullLogger<LibcMounter>.Instance, _mountInfo);
        _store = new FakeModelStore(_scratch.Combine("models"));
        _target = _scratch.Combine("pods", "pod-1", "volumes", "model", "mount");
        _node = CreateNode();
    }

    public void Dispose()
    {
        _lifetime.Dispose();
        _scratch.Dispose();
    }

    private string RootDir => _scratch.Combine("root");

    /// <summary>A node service as a (re)started driver has it: volumes from the records on disk, binds taken up from the mount table.</summary>
    private NodeService CreateNode(TimeSpan? lockWait = null, PullEventReporterFactory? pullEvents = null) => new(
        Microsoft.Extensions.Options.Options.Create(new DriverOptions
        {
            Endpoint = "unix:///unused.sock",
            NodeId = "node-a",
            RootDir = RootDir,
            KubeletDir = _scratch.Path,
            OperationLockWait = lockWait ?? TimeSpan.FromMilliseconds(100),
        }),
        _store,
        _mounter,
        OwnMountsOf(Volumes(out var volumes)),
        volumes,
        new VolumeOperationLocks(),
        Leases(volumes),
        _lifetime,
        TimeProvider.System,
        new CsiMetrics(Prometheus.Metrics.NewCustomRegistry()),
        NullLogger<NodeService>.Instance,
        pullEvents);

    private PublishedVolumeStore Volumes(out PublishedVolumeStore volumes) =>
        volumes = new PublishedVolumeStore(RootDir, NullLogger<PublishedVolumeStore>.Instance);

    private OwnMounts OwnMountsOf(PublishedVolumeStore volumes)
    {
        var mounts = new OwnMounts(_mounter, NullLogger<OwnMounts>.Instance);
        mounts.Adopt(volumes.All.Select(v => (v.TargetPath, v.SourcePath)));
        return mounts;
    }

    /// <summary>Leases as a (re)started driver has them: taken back from the records on disk.</summary>
    private PublishedLeases Leases(PublishedVolumeStore volumes)
    {
        var leases = new PublishedLeases();
        leases.Restore(volumes, _store);
        return leases;
    }

    private NodePublishVolumeRequest Publish(string reference = Reference, string volumeId = "vol-1", string? subPath = null, string? target = null)
    {
        var request = NodeValidationOverSocketTests.ValidPublish(target ?? _target);
        request.VolumeId = volumeId;
        request.VolumeContext["modelRef"] = reference;
        request.VolumeContext["csi.storage.k8s.io/pod.name"] = "infer-0";
        request.VolumeContext["csi.storage.k8s.io/pod.namespace"] = "ml";
        request.VolumeContext["csi.storage.k8s.io/pod.uid"] = "uid-1";
        request.VolumeContext["csi.storage.k8s.io/serviceAccount.name"] = "runner";
        request.VolumeContext["csi.storage.k8s.io/ephemeral"] = "true";
        request.Secrets["token"] = "s3cret";
        if (subPath is not null)
        {
            request.VolumeContext["subPath"] = subPath;
        }
        return request;
    }

    private Task<NodePublishVolumeResponse> PublishAsync(NodePublishVolumeRequest request) =>
        _node.NodePublishVolume(request, new TestServerCallContext()).WaitAsync(Patience);

    private Task<NodeUnpublishVolumeResponse> UnpublishAsync(string volumeId = "vol-1", string? target = null) =>
        _node.NodeUnpublishVolume(new NodeUnpublishVolumeRequest { VolumeId = volumeId, TargetPath = target ?? _target }, new TestServerCallContext())
            .WaitAsync(Patience);

    [Fact]
    public async Task Publishing_creates_the_target_and_shows_the_model_files_there()
    {
        await PublishAsync(Publish());

        Assert.Equal(Reference, File.ReadAllText(Path.Combine(_target, "config.json")));
        Assert.True(File.Exists(Path.Combine(_target, "weights", "model.safetensors")));
        Assert.Equal("s3cret", _store.LastSecrets?["token"]);
    }

    [Fact]
    public async Task A_published_model_cannot_be_written_to()
    {
        await PublishAsync(Publish());

        var error = Record.Exception(() => File.WriteAllText(Path.Combine(_target, "config.json"), "overwritten"));

        Assert.NotNull(error);
        Assert.True(error.HResult == Errno.EROFS || error.Message.Contains("Read-only file system", StringComparison.Ordinal), error.Message);
        Assert.Equal(Reference, File.ReadAllText(Path.Combine(_store.ModelPathOf(Reference), "config.json")));
    }

    [Fact]
    public async Task Mountinfo_shows_the_target_read_only_even_when_readonly_is_false_in_the_request()
    {
        var request = Publish();
        request.Readonly = false;

        await PublishAsync(request);

        var mount = _mounter.FindMount(_target);
        Assert.NotNull(mount);
        Assert.True(mount.IsReadOnly);
        Assert.Contains("nosuid", mount.MountOptions);
        Assert.Contains("nodev", mount.MountOptions);
    }

    [Fact]
    public async Task The_published_volume_is_recorded_with_its_pod_and_marked_in_use()
    {
        await PublishAsync(Publish());

        var record = new PublishedVolumeStore(RootDir, NullLogger<PublishedVolumeStore>.Instance).Find("vol-1", _target);
        Assert.NotNull(record);
        Assert.Equal(Reference, record.Reference);
        Assert.Equal(FakeModelStore.DigestOf(Reference), record.CacheKey);
        Assert.Equal(new PodInfo { Name = "infer-0", Namespace = "ml", Uid = "uid-1", ServiceAccountName = "runner", Ephemeral = true }, record.Pod);
        Assert.DoesNotContain("s3cret", File.ReadAllText(Directory.GetFiles(Path.Combine(RootDir, "state", "volumes")).Single()), StringComparison.Ordinal);
        Assert.Contains((FakeModelStore.DigestOf(Reference), "vol-1"), _store.InUse);
    }

    [Fact]
    public async Task Publishing_the_same_model_at_the_same_target_again_is_OK_and_pulls_nothing()
    {
        await PublishAsync(Publish());

        await PublishAsync(Publish());

        Assert.Equal(1, _store.Calls);
        Assert.Equal(1, MountsAtTarget());
    }

    [Fact]
    public async Task Publishing_a_different_model_at_a_published_target_is_AlreadyExists()
    {
        await PublishAsync(Publish());

        var error = await Assert.ThrowsAsync<RpcException>(() => PublishAsync(Publish(OtherReference)));

        Assert.Equal(StatusCode.AlreadyExists, error.StatusCode);
        Assert.Contains(Reference, error.Status.Detail, StringComparison.Ordinal);
        Assert.Equal(Reference, File.ReadAllText(Path.Combine(_target, "config.json")));
    }

    [Fact]
    public async Task Publishing_another_volume_at_a_published_target_is_AlreadyExists()
    {
        await PublishAsync(Publish());

        var error = await Assert.ThrowsAsync<RpcException>(() => PublishAsync(Publish(volumeId: "vol-2")));

        Assert.Equal(StatusCode.AlreadyExists, error.StatusCode);
        Assert.Contains("vol-1", error.Status.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Unpublishing_removes_the_mount_the_target_directory_and_the_record()
    {
        await PublishAsync(Publish());

        await UnpublishAsync();

        Assert.Null(_mounter.FindMount(_target));
        Assert.False(Directory.Exists(_target));
        Assert.Empty(Directory.GetFiles(Path.Combine(RootDir, "state", "volumes")));
        Assert.Empty(_store.InUse);
        Assert.True(File.Exists(Path.Combine(_store.ModelPathOf(Reference), "config.json")));
    }

    [Fact]
    public async Task Unpublishing_twice_is_OK()
    {
        await PublishAsync(Publish());
        await UnpublishAsync();

        await UnpublishAsync();

        Assert.False(Directory.Exists(_target));
    }

    [Fact]
    public async Task A_restarted_driver_knows_what_it_published()
    {
        await PublishAsync(Publish());

        // The leases died with the process; the new one takes them back from its records.
        _store.Restart();
        _node = CreateNode();
        Assert.Contains((FakeModelStore.DigestOf(Reference), "vol-1"), _store.InUse);
        await PublishAsync(Publish());
        var sameTargetOtherModel = await Assert.ThrowsAsync<RpcException>(() => PublishAsync(Publish(OtherReference)));
        await UnpublishAsync();

        Assert.Equal(1, _store.Calls);
        Assert.Equal(StatusCode.AlreadyExists, sameTargetOtherModel.StatusCode);
        Assert.DoesNotContain((FakeModelStore.DigestOf(Reference), "vol-1"), _store.InUse);
        Assert.False(Directory.Exists(_target));
    }

    [Fact]
    public async Task A_subPath_publishes_only_that_directory_of_the_model()
    {
        await PublishAsync(Publish(subPath: "./weights/"));

        Assert.True(File.Exists(Path.Combine(_target, "model.safetensors")));
        Assert.False(File.Exists(Path.Combine(_target, "config.json")));
        Assert.True(_mounter.FindMount(_target)?.IsReadOnly);
    }

    [Fact]
    public async Task A_subPath_through_a_symlink_that_stays_inside_the_model_is_allowed()
    {
        await PublishAsync(Publish(subPath: "weights-link"));

        Assert.True(File.Exists(Path.Combine(_target, "model.safetensors")));
    }

    [Theory]
    [InlineData("escape", "leaves the model")]
    [InlineData("sneaky", "leaves the model")]
    [InlineData("missing", "does not exist")]
    [InlineData("config.json", "is a file")]
    public async Task A_subPath_that_is_missing_a_file_or_leaves_the_model_is_InvalidArgument_and_mounts_nothing(string subPath, string reason)
    {
        var error = await Assert.ThrowsAsync<RpcException>(() => PublishAsync(Publish(subPath: subPath)));

        Assert.Equal(StatusCode.InvalidArgument, error.StatusCode);
        Assert.Contains(reason, error.Status.Detail, StringComparison.Ordinal);
        Assert.Null(_mounter.FindMount(_target));
        Assert.Empty(Directory.GetFiles(Path.Combine(RootDir, "state", "volumes")));
    }

    [Fact]
    public async Task A_concurrent_operation_on_the_same_volume_and_target_is_Aborted_and_the_first_completes()
    {
        _store.Block();
        var first = PublishAsync(Publish());
        await _store.Entered.Task.WaitAsync(Patience);

        var second = await Assert.ThrowsAsync<RpcException>(() => PublishAsync(Publish()));
        var unpublish = await Assert.ThrowsAsync<RpcException>(() => UnpublishAsync());
        _store.Release();
        await first;

        Assert.Equal(StatusCode.Aborted, second.StatusCode);
        Assert.Equal(StatusCode.Aborted, unpublish.StatusCode);
        Assert.True(_mounter.FindMount(_target)?.IsReadOnly);
    }

    [Fact]
    public async Task A_failed_model_fetch_leaves_no_mount_and_no_record()
    {
        _store.FailWith(FailureKind.NotFound);

        var error = await Assert.ThrowsAsync<ModelPullException>(() => PublishAsync(Publish()));

        Assert.Equal(FailureKind.NotFound, error.Kind);
        Assert.Null(_mounter.FindMount(_target));
        Assert.Empty(Directory.GetFiles(Path.Combine(RootDir, "state", "volumes")));
    }

    [Fact]
    public async Task Shutting_down_cancels_a_publish_waiting_for_its_model()
    {
        _store.Block();
        var publish = PublishAsync(Publish());
        await _store.Entered.Task.WaitAsync(Patience);

        _lifetime.StopApplication();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => publish);
        Assert.Null(_mounter.FindMount(_target));
    }

    [Fact]
    public async Task Volume_stats_report_the_model_size_and_entry_count()
    {
        await PublishAsync(Publish());

        var stats = await _node.NodeGetVolumeStats(new NodeGetVolumeStatsRequest { VolumeId = "vol-1", VolumePath = _target }, new TestServerCallContext())
            .WaitAsync(Patience);

        var bytes = stats.Usage.Single(u => u.Unit == VolumeUsage.Types.Unit.Bytes);
        var inodes = stats.Usage.Single(u => u.Unit == VolumeUsage.Types.Unit.Inodes);
        // config.json (the reference), model.safetensors (4096 bytes), vocab.json ("{}"); symlinks count as entries, not bytes.
        Assert.Equal(Reference.Length + 4096 + 2, bytes.Used);
        Assert.Equal(bytes.Used, bytes.Total);
        // root + weights/ + tokenizer/ + 3 files + 3 symlinks
        Assert.Equal(9, inodes.Used);
    }

    private int MountsAtTarget() =>
        MountInfoParser.Parse(File.ReadAllText("/proc/self/mountinfo")).Count(m => m.MountPoint == _target);

    [Fact]
    public async Task A_publish_hands_the_store_the_pod_for_credentials_and_an_observer_that_posts_Events_on_that_pod()
    {
        var api = new FakeKubernetesApi();
        var events = new PullEventReporterFactory(
            () => api,
            Microsoft.Extensions.Options.Options.Create(new PullEventOptions { Enabled = true }),
            TimeProvider.System,
            NullLogger<PullEventReporter>.Instance);
        _node = CreateNode(pullEvents: events);

        await PublishAsync(Publish());

        var request = Assert.IsType<ModelRequest>(_store.LastRequest);
        Assert.NotNull(request.Credentials);
        Assert.Equal("ml", request.Credentials.PodNamespace);
        Assert.Equal("infer-0", request.Credentials.PodName);
        Assert.Equal("runner", request.Credentials.ServiceAccountName);
        Assert.Equal("s3cret", request.Credentials.Secrets["token"]);
        Assert.Equal(LeaseHolder.Volume("vol-1", _target), request.Holder);
        var observer = Assert.IsAssignableFrom<PullEventReporter>(request.Observer);
        observer.Completed(TimeSpan.Zero, 0, fromCache: true);
        await observer.FlushAsync();
        var posted = Assert.Single(api.Events);
        Assert.Equal("infer-0", posted.PodName);
        Assert.Equal("ml", posted.Namespace);
    }

    [Fact]
    public async Task Unpublish_leaves_a_real_tmpfs_stacked_over_the_bind_and_its_data_alone()
    {
        await PublishAsync(Publish());
        Run("mount", "-t", "tmpfs", "tmpfs", _target);
        await File.WriteAllTextAsync(Path.Combine(_target, "precious"), "data");

        var refused = await Assert.ThrowsAsync<RpcException>(() => UnpublishAsync());
        var wrongVolume = await Assert.ThrowsAsync<RpcException>(() => UnpublishAsync(volumeId: "vol-other"));

        Assert.Equal(StatusCode.FailedPrecondition, refused.StatusCode);
        Assert.Equal(StatusCode.FailedPrecondition, wrongVolume.StatusCode);
        Assert.Equal("tmpfs", _mounter.FindMount(_target)!.FilesystemType);
        Assert.Equal("data", await File.ReadAllTextAsync(Path.Combine(_target, "precious")));

        // Once the foreign mount is gone, the unpublish goes through.
        Run("umount", _target);
        await UnpublishAsync();
        Assert.False(Directory.Exists(_target));
    }

    [Fact]
    public async Task Publishing_and_unpublishing_read_no_mountinfo()
    {
        var before = _mountInfo.Reads;

        await PublishAsync(Publish());
        await PublishAsync(Publish());
        await UnpublishAsync();
        await UnpublishAsync();

        Assert.Equal(before, _mountInfo.Reads);
        Assert.False(Directory.Exists(_target));
    }

    [Fact]
    public async Task A_restarted_driver_reads_mountinfo_once_for_all_its_records_and_then_no_more()
    {
        var targets = Enumerable.Range(1, 4).Select(i => _scratch.Combine("pods", "pod-" + i, "volumes", "model", "mount")).ToList();
        foreach (var target in targets)
        {
            await PublishAsync(Publish(target: target));
        }

        _store.Restart();
        var before = _mountInfo.Reads;
        _node = CreateNode();
        var atStart = _mountInfo.Reads - before;
        foreach (var target in targets)
        {
            await PublishAsync(Publish(target: target));
            await UnpublishAsync(target: target);
        }

        Assert.Equal(1, atStart);
        Assert.Equal(before + 1, _mountInfo.Reads);
        Assert.Equal(targets.Count, _store.Calls);
        Assert.All(targets, target => Assert.False(Directory.Exists(target)));
    }

    [Fact]
    public async Task After_a_restart_a_real_tmpfs_stacked_over_the_bind_is_still_left_alone()
    {
        await PublishAsync(Publish());
        Run("mount", "-t", "tmpfs", "tmpfs", _target);
        await File.WriteAllTextAsync(Path.Combine(_target, "precious"), "data");
        _store.Restart();
        _node = CreateNode();

        var republish = await Assert.ThrowsAsync<RpcException>(() => PublishAsync(Publish()));
        var refused = await Assert.ThrowsAsync<RpcException>(() => UnpublishAsync());

        Assert.Equal(StatusCode.AlreadyExists, republish.StatusCode);
        Assert.Equal(StatusCode.FailedPrecondition, refused.StatusCode);
        Assert.Equal("data", await File.ReadAllTextAsync(Path.Combine(_target, "precious")));

        // Once the foreign mount is gone, the bind under it is recognised as the model's and comes off.
        Run("umount", _target);
        await UnpublishAsync();
        Assert.False(Directory.Exists(_target));
    }

    private static void Run(string command, params string[] arguments)
    {
        using var process = System.Diagnostics.Process.Start(new System.Diagnostics.ProcessStartInfo(command, arguments) { RedirectStandardError = true })!;
        process.WaitForExit();
        Assert.True(process.ExitCode == 0, $"{command} {string.Join(' ', arguments)}: {process.StandardError.ReadToEnd()}");
    }
}
