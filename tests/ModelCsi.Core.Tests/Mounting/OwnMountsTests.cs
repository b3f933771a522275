using Microsoft.Extensions.Logging.Abstractions;
using ModelCsi.Core.Mounting;
using ModelCsi.TestSupport;
using Xunit;

namespace ModelCsi.Core.Tests.Mounting;

/// <summary>The driver's own binds on the in-memory mounter: which mounts are ours, and what a check costs.</summary>
public sealed class OwnMountsTests : IDisposable
{
    private readonly TempDirectory _temp = new();
    private readonly InMemoryMounter _mounter = new();
    private readonly OwnMounts _mounts;
    private readonly string _model;

    public OwnMountsTests()
    {
        _mounts = new OwnMounts(_mounter, NullLogger<OwnMounts>.Instance);
        _model = Directory.CreateDirectory(_temp.Combine("models", "tiny")).FullName;
    }

    public void Dispose() => _temp.Dispose();

    private string Target(string name = "pod-1") => Directory.CreateDirectory(_temp.Combine("pods", name, "mount")).FullName;

    [Fact]
    public void A_bind_is_recorded_with_its_mount_id_and_the_target_is_then_ours()
    {
        var target = Target();

        var mount = _mounts.BindReadOnly(_model, target);

        Assert.Equal(_mounter.FindMount(target)!.MountId, mount.MountId);
        Assert.Equal(_model, mount.Source);
        Assert.Equal(TargetState.Ours, _mounts.Inspect(target));
    }

    [Fact]
    public void Binding_checking_and_unmounting_never_read_the_mount_table()
    {
        var target = Target();

        _mounts.BindReadOnly(_model, target);
        var published = _mounts.Inspect(target);
        var unmounted = _mounts.Unmount(target, _model);
        var after = _mounts.Inspect(target);

        Assert.Equal(0, _mounter.MountTableReads);
        Assert.Equal(TargetState.Ours, published);
        Assert.True(unmounted);
        Assert.Equal(TargetState.NotMounted, after);
        Assert.Null(_mounts.Find(target));
    }

    [Fact]
    public void A_mount_stacked_over_our_bind_is_foreign_and_stays_with_our_bind_under_it()
    {
        var target = Target();
        _mounts.BindReadOnly(_model, target);
        _mounter.MountForeign(target);

        var state = _mounts.Inspect(target);
        var unmounted = _mounts.Unmount(target, _model);

        Assert.Equal(TargetState.Foreign, state);
        Assert.False(unmounted);
        Assert.Equal(2, _mounter.Depth(target));
        Assert.DoesNotContain(_mounter.Calls, c => c.StartsWith("unmount", StringComparison.Ordinal));
    }

    [Fact]
    public void A_bind_of_the_same_model_put_in_place_of_ours_by_someone_else_is_foreign()
    {
        var target = Target();
        _mounts.BindReadOnly(_model, target);
        _mounter.RemountBehindTheDriversBack(target);

        Assert.Equal(TargetState.Foreign, _mounts.Inspect(target));
        Assert.False(_mounts.Unmount(target, _model));
        Assert.Equal(1, _mounter.Depth(target));
    }

    [Fact]
    public void Leftover_binds_of_the_same_model_under_ours_come_off_with_it_but_nothing_else()
    {
        var target = Target();
        _mounter.MountForeign(target);
        _mounter.BindReadOnly(_model, target);
        _mounts.BindReadOnly(_model, target);

        var unmounted = _mounts.Unmount(target, _model);

        Assert.False(unmounted);
        Assert.Equal(1, _mounter.Depth(target));
        Assert.Equal("tmpfs", _mounter.FindMount(target)!.FilesystemType);
    }

    [Fact]
    public void Our_bind_unmounted_behind_our_back_is_forgotten_after_one_look_at_the_mount_table()
    {
        var target = Target();
        _mounts.BindReadOnly(_model, target);
        _mounter.Unmount(target);

        var state = _mounts.Inspect(target);

        Assert.Equal(TargetState.NotMounted, state);
        Assert.Null(_mounts.Find(target));
        Assert.Equal(1, _mounter.MountTableReads);
    }

    [Fact]
    public void A_bind_that_is_not_read_only_is_undone_and_refused()
    {
        var target = Target();
        var writable = new WritableBindMounter(_mounter);
        var mounts = new OwnMounts(writable, NullLogger<OwnMounts>.Instance);

        Assert.Throws<InvalidOperationException>(() => mounts.BindReadOnly(_model, target));

        Assert.Equal(0, _mounter.Depth(target));
        Assert.Null(mounts.Find(target));
    }

    [Fact]
    public void Start_up_reads_the_mount_table_once_for_all_records_and_takes_up_only_our_binds()
    {
        var ours = Enumerable.Range(0, 5).Select(i => Target("ours-" + i)).ToList();
        foreach (var target in ours)
        {
            _mounter.BindReadOnly(_model, target);
        }
        var covered = Target("covered");
        _mounter.BindReadOnly(_model, covered);
        _mounter.MountForeign(covered);
        var unmounted = Target("unmounted");
        var restarted = new OwnMounts(_mounter, NullLogger<OwnMounts>.Instance);

        var notMounted = restarted.Adopt([.. ours.Append(covered).Append(unmounted).Select(t => (t, _model))]);

        Assert.Equal(1, _mounter.MountTableReads);
        Assert.Equal([unmounted], notMounted);
        Assert.All(ours, t => Assert.Equal(TargetState.Ours, restarted.Inspect(t)));
        Assert.Null(restarted.Find(covered));
        Assert.Equal(TargetState.Foreign, restarted.Inspect(covered));
    }

    [Fact]
    public void After_a_restart_a_bind_under_a_foreign_mount_comes_off_once_that_mount_is_gone()
    {
        var target = Target();
        _mounter.BindReadOnly(_model, target);
        _mounter.MountForeign(target);
        var restarted = new OwnMounts(_mounter, NullLogger<OwnMounts>.Instance);
        restarted.Adopt([(target, _model)]);

        var refused = restarted.Unmount(target, _model);
        _mounter.Unmount(target);
        var unmounted = restarted.Unmount(target, _model);

        Assert.False(refused);
        Assert.True(unmounted);
        Assert.Equal(0, _mounter.Depth(target));
    }

    /// <summary>A mounter whose read-only remount silently did not happen.</summary>
    private sealed class WritableBindMounter(InMemoryMounter inner) : IMounter
    {
        public void BindReadOnly(string source, string target)
        {
            inner.BindReadOnly(source, target);
        }

        public MountInfoEntry? FindMount(string target) => inner.FindMount(target);

        public MountProbe? Probe(string path) => inner.Probe(path);

        public bool IsReadOnlyMount(string path) => false;

        public IReadOnlyList<MountInfoEntry> ReadMounts() => inner.ReadMounts();

        public void Unmount(string target) => inner.Unmount(target);

        public void SetPropagation(string path, MountPropagation propagation) => inner.SetPropagation(path, propagation);

        public void Move(string source, string target) => inner.Move(source, target);
    }
}
