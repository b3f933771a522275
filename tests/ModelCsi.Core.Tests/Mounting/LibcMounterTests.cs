using Microsoft.Extensions.Logging.Abstractions;
using ModelCsi.Core.Mounting;
using Xunit;
using ModelCsi.TestSupport;

namespace ModelCsi.Core.Tests.Mounting;

/// <summary>Real bind mounts (the tests run as root); everything stays inside a scratch directory.</summary>
public sealed class LibcMounterTests : IDisposable
{
    private readonly ScratchDirectory _scratch = new();
    private readonly LibcMounter _mounter = new(NullLogger<LibcMounter>.Instance);
    private readonly string _source;
    private readonly string _target;

    public LibcMounterTests()
    {
        _source = _scratch.Combine("model");
        _target = _scratch.Combine("target");
        Directory.CreateDirectory(Path.Combine(_source, "tokenizer"));
        File.WriteAllText(Path.Combine(_source, "config.json"), "{\"layers\":2}");
        File.WriteAllText(Path.Combine(_source, "tokenizer", "vocab.json"), "{}");
        Directory.CreateDirectory(_target);
    }

    public void Dispose() => _scratch.Dispose();

    [Fact]
    public void A_read_only_bind_shows_the_source_files_at_the_target()
    {
        _mounter.BindReadOnly(_source, _target);

        Assert.Equal("{\"layers\":2}", File.ReadAllText(Path.Combine(_target, "config.json")));
        Assert.True(File.Exists(Path.Combine(_target, "tokenizer", "vocab.json")));
    }

    [Fact]
    public void Writing_through_a_read_only_bind_fails_with_EROFS()
    {
        _mounter.BindReadOnly(_source, _target);

        var error = Record.Exception(() => File.WriteAllText(Path.Combine(_target, "new.txt"), "x"));

        Assert.NotNull(error);
        Assert.True(error is IOException or UnauthorizedAccessException, error.GetType().Name);
        Assert.True(
            error.HResult == Errno.EROFS || error.Message.Contains("Read-only file system", StringComparison.Ordinal),
            $"{error.HResult}: {error.Message}");
        Assert.False(File.Exists(Path.Combine(_source, "new.txt")));
    }

    [Fact]
    public void Statx_shows_the_bind_as_a_mount_root_with_the_id_mountinfo_lists_and_the_source_file()
    {
        _mounter.BindReadOnly(_source, _target);

        var shown = _mounter.Probe(_target);
        var original = _mounter.Probe(_source);

        Assert.NotNull(shown);
        Assert.NotNull(original);
        Assert.True(shown.Value.IsMountRoot);
        Assert.Equal(_mounter.FindMount(_target)!.MountId, shown.Value.MountId);
        Assert.True(shown.Value.ShowsSameFileAs(original.Value.Device, original.Value.Inode));
        Assert.False(original.Value.IsMountRoot);
        Assert.True(_mounter.IsReadOnlyMount(_target));
        Assert.False(_mounter.IsReadOnlyMount(_source));
    }

    [Fact]
    public void Statx_uses_mount_ids_on_this_kernel_and_the_mount_table_fallback_sees_the_same_mount()
    {
        _mounter.BindReadOnly(_source, _target);
        var reads = new CountingMountInfo();
        var fallback = new LibcMounter(NullLogger<LibcMounter>.Instance, reads) { UsesStatxMountIds = false };

        var shown = _mounter.Probe(_target)!.Value;
        var throughTable = fallback.Probe(_target)!.Value;
        var plain = fallback.Probe(_source)!.Value;

        Assert.True(_mounter.UsesStatxMountIds);
        Assert.Equal(shown, throughTable);
        Assert.False(plain.IsMountRoot);
        Assert.True(plain.ShowsSameFileAs(shown.Device, shown.Inode));
        Assert.Equal(2, reads.Reads);
    }

    [Fact]
    public void Statx_shows_a_plain_directory_as_no_mount_root_and_a_missing_path_as_nothing()
    {
        Assert.False(_mounter.Probe(_target)!.Value.IsMountRoot);
        Assert.Null(_mounter.Probe(Path.Combine(_target, "missing", "deeper")));
    }

    [Fact]
    public void Statx_sees_a_tmpfs_stacked_over_the_bind_as_another_mount_showing_another_file()
    {
        _mounter.BindReadOnly(_source, _target);
        var bind = _mounter.Probe(_target)!.Value;
        Mount("-t", "tmpfs", "tmpfs", _target);

        var stacked = _mounter.Probe(_target)!.Value;

        Assert.True(stacked.IsMountRoot);
        Assert.NotEqual(bind.MountId, stacked.MountId);
        Assert.False(stacked.ShowsSameFileAs(bind.Device, bind.Inode));
    }

    [Fact]
    public void Mountinfo_shows_the_bind_read_only_nosuid_nodev()
    {
        _mounter.BindReadOnly(_source, _target);

        var mount = _mounter.FindMount(_target);

        Assert.NotNull(mount);
        Assert.True(mount.IsReadOnly);
        Assert.Contains("nosuid", mount.MountOptions);
        Assert.Contains("nodev", mount.MountOptions);
        Assert.EndsWith("/model", mount.Root, StringComparison.Ordinal);
    }

    [Fact]
    public void The_source_stays_writable_while_the_bind_is_read_only()
    {
        _mounter.BindReadOnly(_source, _target);

        File.WriteAllText(Path.Combine(_source, "later.txt"), "x");

        Assert.True(File.Exists(Path.Combine(_target, "later.txt")));
        Assert.Null(_mounter.FindMount(_source));
    }

    [Fact]
    public void Unmount_removes_the_mount_and_the_target_is_an_empty_directory_again()
    {
        _mounter.BindReadOnly(_source, _target);

        _mounter.Unmount(_target);

        Assert.Null(_mounter.FindMount(_target));
        Assert.Empty(Directory.EnumerateFileSystemEntries(_target));
    }

    [Fact]
    public void Unmounting_a_directory_that_is_not_a_mount_point_throws_EINVAL()
    {
        var error = Assert.Throws<MountException>(() => _mounter.Unmount(_target));

        Assert.Equal(Errno.EINVAL, error.ErrorNumber);
        Assert.Equal("EINVAL", error.ErrorName);
        Assert.Contains(_target, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Binding_a_missing_source_throws_ENOENT_and_leaves_nothing_mounted()
    {
        var error = Assert.Throws<MountException>(() => _mounter.BindReadOnly(_scratch.Combine("missing"), _target));

        Assert.Equal(Errno.ENOENT, error.ErrorNumber);
        Assert.Null(_mounter.FindMount(_target));
    }

    [Fact]
    public void A_busy_mount_is_detached_lazily()
    {
        _mounter.BindReadOnly(_source, _target);
        using var open = new FileStream(Path.Combine(_target, "config.json"), FileMode.Open, FileAccess.Read);

        _mounter.Unmount(_target);

        Assert.Null(_mounter.FindMount(_target));
        Assert.Equal((byte)'{', (byte)open.ReadByte());
    }

    [Fact]
    public void A_mount_is_found_through_a_symlinked_parent_directory()
    {
        var link = _scratch.Combine("link");
        Directory.CreateSymbolicLink(link, _scratch.Path);
        _mounter.BindReadOnly(_source, _target);

        var mount = _mounter.FindMount(Path.Combine(link, "target"));

        Assert.NotNull(mount);
        Assert.Equal(_target, mount.MountPoint);
    }

    private static void Mount(params string[] arguments)
    {
        using var process = System.Diagnostics.Process.Start(new System.Diagnostics.ProcessStartInfo("mount", arguments) { RedirectStandardError = true })!;
        process.WaitForExit();
        Assert.True(process.ExitCode == 0, $"mount {string.Join(' ', arguments)}: {process.StandardError.ReadToEnd()}");
    }
}
