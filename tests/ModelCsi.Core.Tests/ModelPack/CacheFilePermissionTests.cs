using System.Formats.Tar;
using ModelCsi.Core.ModelPack;
using Mono.Unix.Native;
using Xunit;

namespace ModelCsi.Core.Tests.ModelPack;

/// <summary>
/// Whatever modes an artifact asks for, what lands in the cache is read-only for everyone and root's when we run as
/// root (an unprivileged host user used to change a 0666 model file and a blob under running pods).
/// </summary>
public sealed class CacheFilePermissionTests : IDisposable
{
    private const string CodeTar = "application/vnd.cncf.model.code.v1.tar";
    private const int ReadOnly = 0b100_100_100;
    private const int ReadExecute = 0b101_101_101;
    private readonly ModelRootSandbox _sandbox = new();

    public void Dispose() => _sandbox.Dispose();

    [Fact]
    public async Task Tar_modes_0666_0777_and_04755_and_a_0777_directory_end_read_only()
    {
        var open = LayerBlob.Directory("open/", uid: 1000);
        open.Mode = (UnixFileMode)0b111_111_111;
        var blob = LayerBlob.Tar(
            open,
            LayerBlob.File("open/rw.txt", "x", (UnixFileMode)0b110_110_110, uid: 1000),
            LayerBlob.File("open/rwx.sh", "x", (UnixFileMode)0b111_111_111, uid: 1000),
            LayerBlob.File("suid", "x", (UnixFileMode)0b100_111_101_101, uid: 1000),
            LayerBlob.File("implied/parent/file", "x", uid: 1000));

        await LayerBlob.UnpackAsync(blob, LayerBlob.Descriptor(CodeTar, blob), _sandbox.Root);

        Assert.Equal(ReadOnly, ModelRootSandbox.ModeOf(_sandbox.InRoot("open/rw.txt")));
        Assert.Equal(ReadExecute, ModelRootSandbox.ModeOf(_sandbox.InRoot("open/rwx.sh")));
        Assert.Equal(ReadExecute, ModelRootSandbox.ModeOf(_sandbox.InRoot("suid")));
        Assert.Equal(ReadExecute, ModelRootSandbox.ModeOf(_sandbox.InRoot("open")));
        Assert.Equal(ReadExecute, ModelRootSandbox.ModeOf(_sandbox.InRoot("implied")));
        Assert.Equal(ReadExecute, ModelRootSandbox.ModeOf(_sandbox.InRoot("implied/parent")));
        AssertNothingWritableAndOwnedByRoot();
    }

    [Theory]
    [InlineData(511, ReadExecute)]
    [InlineData(438, ReadOnly)]
    [InlineData(3583, ReadExecute)]
    public async Task An_annotation_mode_on_a_raw_layer_ends_read_only(int annotationMode, int expected)
    {
        var blob = "weights"u8.ToArray();
        var descriptor = LayerBlob.Descriptor("application/vnd.cncf.model.weight.v1.raw", blob, new Dictionary<string, string>
        {
            [ModelPackAnnotations.CncfFilePath] = "dir/w.bin",
            [ModelPackAnnotations.CncfFileMetadata] = $$"""{"name":"w.bin","mode":{{annotationMode}},"uid":1000,"gid":1000,"typeflag":0}""",
        });

        await LayerBlob.UnpackAsync(blob, descriptor, _sandbox.Root);

        Assert.Equal(expected, ModelRootSandbox.ModeOf(_sandbox.InRoot("dir/w.bin")));
        AssertNothingWritableAndOwnedByRoot();
    }

    [Fact]
    public void A_linked_raw_layer_makes_the_shared_blob_read_only_too()
    {
        Directory.CreateDirectory(_sandbox.Work);
        var blobPath = Path.Join(_sandbox.Work, "blob");
        File.WriteAllBytes(blobPath, "weights"u8.ToArray());
        File.SetUnixFileMode(blobPath, (UnixFileMode)0b110_110_110);
        var descriptor = LayerBlob.Descriptor("application/vnd.cncf.model.weight.v1.raw", "weights"u8.ToArray(), new Dictionary<string, string>
        {
            [ModelPackAnnotations.CncfFilePath] = "w.bin",
            [ModelPackAnnotations.CncfFileMetadata] = """{"name":"w.bin","mode":438,"typeflag":0}""",
        });

        new LayerUnpacker().LinkRaw(blobPath, descriptor, _sandbox.Root);

        Assert.Equal(ReadOnly, ModelRootSandbox.ModeOf(blobPath));
        Assert.Equal(ReadOnly, ModelRootSandbox.ModeOf(_sandbox.InRoot("w.bin")));
        AssertNothingWritableAndOwnedByRoot();
    }

    [Fact]
    public async Task A_later_layer_writes_into_a_directory_an_earlier_layer_sealed_and_seals_it_again()
    {
        var first = LayerBlob.Tar(LayerBlob.File("shared/a.txt", "a"));
        var second = LayerBlob.Tar(LayerBlob.File("shared/a.txt", "replaced"), LayerBlob.File("shared/b.txt", "b"));

        await LayerBlob.UnpackAsync(first, LayerBlob.Descriptor(CodeTar, first), _sandbox.Root);
        Assert.Equal(ReadExecute, ModelRootSandbox.ModeOf(_sandbox.InRoot("shared")));
        await LayerBlob.UnpackAsync(second, LayerBlob.Descriptor(CodeTar, second), _sandbox.Root);

        Assert.Equal("replaced", File.ReadAllText(_sandbox.InRoot("shared/a.txt")));
        Assert.Equal("b", File.ReadAllText(_sandbox.InRoot("shared/b.txt")));
        AssertNothingWritableAndOwnedByRoot();
    }

    [Fact]
    public async Task A_symlink_entry_is_owned_by_root_too()
    {
        var link = LayerBlob.Link(TarEntryType.SymbolicLink, "latest", "v1.bin");
        link.Uid = 1000;
        var blob = LayerBlob.Tar(LayerBlob.File("v1.bin", "x", uid: 1000), link);

        await LayerBlob.UnpackAsync(blob, LayerBlob.Descriptor(CodeTar, blob), _sandbox.Root);

        Assert.True(ModelRootSandbox.IsSymlink(_sandbox.InRoot("latest")));
        AssertNothingWritableAndOwnedByRoot();
    }

    /// <summary>No write bit, setuid, setgid or sticky bit anywhere below the root; all root's when we are root.</summary>
    private void AssertNothingWritableAndOwnedByRoot()
    {
        var asRoot = Syscall.geteuid() == 0;
        foreach (var path in Directory.EnumerateFileSystemEntries(_sandbox.Root, "*", new EnumerationOptions { RecurseSubdirectories = true, AttributesToSkip = 0 }))
        {
            Assert.Equal(0, Syscall.lstat(path, out var stat));
            if (asRoot)
            {
                Assert.True(stat.st_uid == 0 && stat.st_gid == 0, $"{path} is owned by {stat.st_uid}:{stat.st_gid}");
            }

            if ((stat.st_mode & FilePermissions.S_IFMT) == FilePermissions.S_IFLNK)
            {
                continue;
            }

            var mode = (int)stat.st_mode & 0xFFF;
            Assert.True((mode & 0b111_010_010_010) == 0, $"{path} has mode {Convert.ToString(mode, 8)}");
        }
    }
}
