using System.Formats.Tar;
using ModelCsi.Core.ModelPack;
using ModelCsi.Core.Oci;
using Xunit;

namespace ModelCsi.Core.Tests.ModelPack;

/// <summary>One test per safety rule; each also proves nothing appeared outside the model root.</summary>
public sealed class HostileArchiveTests : IDisposable
{
    private const string WeightTar = "application/vnd.cncf.model.weight.v1.tar";
    private readonly ModelRootSandbox _sandbox = new();

    public void Dispose() => _sandbox.Dispose();

    private async Task<UnsafeArchiveEntryException> RejectedAsync(
        byte[] blob, string mediaType = WeightTar, UnpackLimits? limits = null, IReadOnlyDictionary<string, string>? annotations = null, long? size = null)
    {
        var descriptor = LayerBlob.Descriptor(mediaType, blob, annotations, size);
        var error = await Assert.ThrowsAsync<UnsafeArchiveEntryException>(() => LayerBlob.UnpackAsync(blob, descriptor, _sandbox.Root, limits));
        Assert.Equal(descriptor.Digest, error.LayerDigest);
        // Long names are shortened in the message; their start is always there.
        Assert.Contains(error.EntryName[..Math.Min(error.EntryName.Length, 60)], error.Message, StringComparison.Ordinal);
        _sandbox.AssertNothingOutsideRoot();
        return error;
    }

    [Fact]
    public async Task An_absolute_entry_path_is_rejected()
    {
        var error = await RejectedAsync(LayerBlob.Tar(LayerBlob.File(Path.Join(_sandbox.Sentinel, "pwned"), "x")));

        Assert.Equal(ArchiveRule.AbsolutePath, error.Rule);
    }

    [Theory]
    [InlineData("../sentinel/pwned")]
    [InlineData("a/../../sentinel/pwned")]
    [InlineData("./../sentinel/pwned")]
    public async Task A_dot_dot_path_leaving_the_root_is_rejected(string name)
    {
        var error = await RejectedAsync(LayerBlob.Tar(LayerBlob.File(name, "x")));

        Assert.Equal(ArchiveRule.PathEscapesRoot, error.Rule);
        Assert.Equal(name, error.EntryName);
    }

    [Fact]
    public async Task A_dot_dot_path_staying_inside_the_root_is_allowed()
    {
        var blob = LayerBlob.Tar(LayerBlob.File("a/../b.txt", "inside"));

        await LayerBlob.UnpackAsync(blob, LayerBlob.Descriptor(WeightTar, blob), _sandbox.Root);

        Assert.Equal("inside", File.ReadAllText(_sandbox.InRoot("b.txt")));
    }

    [Fact]
    public async Task A_symlink_escaping_the_root_followed_by_a_write_through_it_is_rejected()
    {
        var blob = LayerBlob.Tar(
            LayerBlob.Link(TarEntryType.SymbolicLink, "a", "../sentinel"),
            LayerBlob.File("a/file", "pwned"));

        var error = await RejectedAsync(blob);

        Assert.Equal(ArchiveRule.SymlinkEscapesRoot, error.Rule);
        Assert.Equal("a", error.EntryName);
    }

    [Fact]
    public async Task A_write_through_a_symlinked_directory_left_by_an_earlier_layer_is_rejected()
    {
        File.CreateSymbolicLink(_sandbox.InRoot("a"), _sandbox.Sentinel);

        var error = await RejectedAsync(LayerBlob.Tar(LayerBlob.File("a/file", "pwned")));

        Assert.Equal(ArchiveRule.WritesThroughSymlink, error.Rule);
    }

    [Fact]
    public async Task A_write_through_a_deeper_symlinked_component_is_rejected()
    {
        Directory.CreateDirectory(_sandbox.InRoot("x"));
        File.CreateSymbolicLink(_sandbox.InRoot("x/y"), _sandbox.Sentinel);

        var error = await RejectedAsync(LayerBlob.Tar(LayerBlob.File("x/y/z/file", "pwned")));

        Assert.Equal(ArchiveRule.WritesThroughSymlink, error.Rule);
    }

    [Fact]
    public async Task A_file_entry_over_an_existing_symlink_is_rejected_rather_than_written_through()
    {
        File.CreateSymbolicLink(_sandbox.InRoot("model.bin"), Path.Join(_sandbox.Sentinel, "target"));

        var error = await RejectedAsync(LayerBlob.Tar(LayerBlob.File("model.bin", "pwned")));

        Assert.Equal(ArchiveRule.WritesThroughSymlink, error.Rule);
        Assert.True(ModelRootSandbox.IsSymlink(_sandbox.InRoot("model.bin")));
    }

    [Fact]
    public async Task A_raw_layer_whose_path_crosses_a_symlink_is_rejected()
    {
        File.CreateSymbolicLink(_sandbox.InRoot("dir"), _sandbox.Sentinel);
        var blob = "pwned"u8.ToArray();

        var error = await RejectedAsync(blob, "application/vnd.cncf.model.weight.v1.raw",
            annotations: new Dictionary<string, string> { [ModelPackAnnotations.CncfFilePath] = "dir/file" });

        Assert.Equal(ArchiveRule.WritesThroughSymlink, error.Rule);
    }

    [Fact]
    public async Task A_symlink_to_an_absolute_path_is_rejected()
    {
        var error = await RejectedAsync(LayerBlob.Tar(LayerBlob.Link(TarEntryType.SymbolicLink, "etc", "/etc")));

        Assert.Equal(ArchiveRule.SymlinkEscapesRoot, error.Rule);
        Assert.False(Path.Exists(_sandbox.InRoot("etc")));
    }

    [Theory]
    [InlineData("sub/link", "../../sentinel")]
    [InlineData("link", "sub/../..")]
    public async Task A_symlink_whose_target_can_leave_the_root_is_rejected(string name, string target)
    {
        var error = await RejectedAsync(LayerBlob.Tar(LayerBlob.Directory("sub/"), LayerBlob.Link(TarEntryType.SymbolicLink, name, target)));

        Assert.Equal(ArchiveRule.SymlinkEscapesRoot, error.Rule);
    }

    [Fact]
    public async Task Relative_symlinks_inside_the_root_are_created()
    {
        var blob = LayerBlob.Tar(
            LayerBlob.File("blobs/abc", "weights"),
            LayerBlob.Link(TarEntryType.SymbolicLink, "snapshots/main/model.bin", "../../blobs/abc"));

        await LayerBlob.UnpackAsync(blob, LayerBlob.Descriptor(WeightTar, blob), _sandbox.Root);

        Assert.True(ModelRootSandbox.IsSymlink(_sandbox.InRoot("snapshots/main/model.bin")));
        Assert.Equal("weights", File.ReadAllText(_sandbox.InRoot("snapshots/main/model.bin")));
    }

    [Theory]
    [InlineData("../sentinel/file")]
    [InlineData("/etc/passwd")]
    public async Task A_hardlink_to_a_target_outside_the_root_is_rejected(string target)
    {
        var error = await RejectedAsync(LayerBlob.Tar(LayerBlob.Link(TarEntryType.HardLink, "h", target)));

        Assert.Equal(ArchiveRule.HardlinkEscapesRoot, error.Rule);
    }

    [Fact]
    public async Task A_hardlink_to_a_file_not_extracted_by_the_layer_is_rejected()
    {
        File.WriteAllText(_sandbox.InRoot("existing"), "from another layer");

        var error = await RejectedAsync(LayerBlob.Tar(LayerBlob.Link(TarEntryType.HardLink, "h", "existing")));

        Assert.Equal(ArchiveRule.HardlinkTargetNotExtracted, error.Rule);
    }

    [Fact]
    public async Task A_hardlink_to_a_symlink_is_rejected()
    {
        var blob = LayerBlob.Tar(
            LayerBlob.File("f", "x"),
            LayerBlob.Link(TarEntryType.SymbolicLink, "s", "f"),
            LayerBlob.Link(TarEntryType.HardLink, "h", "s"));

        var error = await RejectedAsync(blob);

        Assert.Equal(ArchiveRule.HardlinkTargetNotExtracted, error.Rule);
    }

    [Fact]
    public async Task A_hardlink_to_an_extracted_file_shares_its_content()
    {
        var blob = LayerBlob.Tar(LayerBlob.File("a/f", "shared"), LayerBlob.Link(TarEntryType.HardLink, "b/g", "a/f"));

        var result = await LayerBlob.UnpackAsync(blob, LayerBlob.Descriptor(WeightTar, blob), _sandbox.Root);

        Assert.Equal("shared", File.ReadAllText(_sandbox.InRoot("b/g")));
        Assert.Equal(2, result.FilesWritten);
    }

    [Theory]
    [InlineData(TarEntryType.CharacterDevice)]
    [InlineData(TarEntryType.BlockDevice)]
    [InlineData(TarEntryType.Fifo)]
    public async Task Device_and_fifo_entries_are_rejected(TarEntryType type)
    {
        var error = await RejectedAsync(LayerBlob.Tar(LayerBlob.File("ok", "x"), LayerBlob.Special(type, "dev")));

        Assert.Equal(ArchiveRule.DeviceOrFifo, error.Rule);
        Assert.False(Path.Exists(_sandbox.InRoot("dev")));
    }

    [Fact]
    public async Task Setuid_setgid_and_sticky_bits_are_dropped()
    {
        var blob = LayerBlob.Tar(
            LayerBlob.File("suid", "x", (UnixFileMode)0b100_111_101_101),
            LayerBlob.File("sgid", "x", (UnixFileMode)0b010_111_101_101),
            LayerBlob.File("sticky", "x", (UnixFileMode)0b001_111_101_101));

        await LayerBlob.UnpackAsync(blob, LayerBlob.Descriptor(WeightTar, blob), _sandbox.Root);

        Assert.Equal(0b101_101_101, ModelRootSandbox.ModeOf(_sandbox.InRoot("suid")));
        Assert.Equal(0b101_101_101, ModelRootSandbox.ModeOf(_sandbox.InRoot("sgid")));
        Assert.Equal(0b101_101_101, ModelRootSandbox.ModeOf(_sandbox.InRoot("sticky")));
    }

    [Fact]
    public async Task Setuid_and_write_bits_in_raw_layer_metadata_are_dropped()
    {
        var blob = "x"u8.ToArray();
        var descriptor = LayerBlob.Descriptor("application/vnd.cncf.model.code.v1.raw", blob, new Dictionary<string, string>
        {
            [ModelPackAnnotations.CncfFilePath] = "run.sh",
            [ModelPackAnnotations.CncfFileMetadata] = """{"name":"run.sh","mode":2541,"typeflag":0}""",
        });

        await LayerBlob.UnpackAsync(blob, descriptor, _sandbox.Root);

        Assert.Equal(0b101_101_101, ModelRootSandbox.ModeOf(_sandbox.InRoot("run.sh")));
    }

    [Fact]
    public async Task A_raw_layer_longer_than_its_descriptor_is_rejected()
    {
        var blob = new byte[2000];

        var error = await RejectedAsync(blob, "application/vnd.cncf.model.weight.v1.raw",
            annotations: new Dictionary<string, string> { [ModelPackAnnotations.CncfFilePath] = "model.bin" }, size: 1000);

        Assert.Equal(ArchiveRule.LayerLargerThanDescriptor, error.Rule);
        Assert.False(Path.Exists(_sandbox.InRoot("model.bin")));
    }

    [Fact]
    public async Task A_raw_layer_shorter_than_its_descriptor_is_rejected()
    {
        var blob = new byte[10];
        var descriptor = LayerBlob.Descriptor("application/vnd.cncf.model.weight.v1.raw", blob,
            new Dictionary<string, string> { [ModelPackAnnotations.CncfFilePath] = "model.bin" }, size: 11);

        await Assert.ThrowsAsync<ModelPackFormatException>(() => LayerBlob.UnpackAsync(blob, descriptor, _sandbox.Root));
        Assert.False(Path.Exists(_sandbox.InRoot("model.bin")));
    }

    [Fact]
    public async Task A_tar_whose_entries_exceed_the_descriptor_size_is_rejected()
    {
        var blob = LayerBlob.Tar(LayerBlob.File("big.bin", new string('x', 4096)));

        var error = await RejectedAsync(blob, size: 1024);

        Assert.Equal(ArchiveRule.LayerLargerThanDescriptor, error.Rule);
        Assert.False(Path.Exists(_sandbox.InRoot("big.bin")));
    }

    [Theory]
    [InlineData("application/vnd.cncf.model.weight.v1.tar+gzip")]
    [InlineData("application/vnd.cncf.model.weight.v1.tar+zstd")]
    public async Task A_decompression_bomb_stops_at_the_expansion_limit(string mediaType)
    {
        var tar = LayerBlob.Tar(LayerBlob.File("bomb.bin", new string('\0', 8 << 20)));
        var blob = mediaType.EndsWith("gzip", StringComparison.Ordinal) ? LayerBlob.Gzip(tar) : LayerBlob.Zstd(tar);
        Assert.True(blob.Length < 128 * 1024, $"the bomb should be small, is {blob.Length} bytes");

        var descriptor = LayerBlob.Descriptor(mediaType, blob);
        var error = await Assert.ThrowsAsync<ExpansionLimitExceededException>(
            () => LayerBlob.UnpackAsync(blob, descriptor, _sandbox.Root, new UnpackLimits { MaxExpandedBytes = 1 << 20 }));

        Assert.Equal(1 << 20, error.Limit);
        Assert.False(Path.Exists(_sandbox.InRoot("bomb.bin")));
        _sandbox.AssertNothingOutsideRoot();
    }

    [Fact]
    public async Task Entries_beyond_the_file_metadata_size_are_rejected()
    {
        var blob = LayerBlob.Gzip(LayerBlob.Tar(LayerBlob.File("m.bin", new string('y', 5000))));

        var error = await RejectedAsync(blob, "application/vnd.cncf.model.weight.v1.tar+gzip",
            annotations: new Dictionary<string, string> { [ModelPackAnnotations.CncfFileMetadata] = """{"name":"m.bin","size":100,"typeflag":0}""" });

        Assert.Equal(ArchiveRule.ExpandedSizeLimit, error.Rule);
    }

    [Fact]
    public async Task A_directory_metadata_size_does_not_bound_a_kitops_tree()
    {
        var blob = LayerBlob.Tar(LayerBlob.Directory("docs/"), LayerBlob.File("docs/a.md", new string('z', 5000)));
        var descriptor = LayerBlob.Descriptor("application/vnd.cncf.model.doc.v1.tar", blob,
            new Dictionary<string, string> { [ModelPackAnnotations.CncfFileMetadata] = "{\"name\":\"docs\",\"size\":4096,\"typeflag\":53}" });

        await LayerBlob.UnpackAsync(blob, descriptor, _sandbox.Root);

        Assert.Equal(5000, new FileInfo(_sandbox.InRoot("docs/a.md")).Length);
    }

    [Fact]
    public async Task Too_many_entries_are_rejected()
    {
        var blob = LayerBlob.Tar(Enumerable.Range(0, 20).Select(i => LayerBlob.File($"f{i}", "x")), recordPadding: false);

        var error = await RejectedAsync(blob, limits: new UnpackLimits { MaxEntries = 10 });

        Assert.Equal(ArchiveRule.EntryCountLimit, error.Rule);
    }

    [Fact]
    public async Task A_file_entry_cannot_replace_a_directory()
    {
        Directory.CreateDirectory(_sandbox.InRoot("d"));

        var error = await RejectedAsync(LayerBlob.Tar(LayerBlob.File("d", "x")));

        Assert.Equal(ArchiveRule.ConflictsWithEarlierEntry, error.Rule);
    }

    [Fact]
    public async Task A_file_entry_naming_the_root_itself_is_rejected()
    {
        var error = await RejectedAsync(LayerBlob.Tar(LayerBlob.File("./", "x")));

        Assert.Equal(ArchiveRule.EmptyPath, error.Rule);
    }

    [Fact]
    public async Task A_raw_layer_with_an_escaping_filepath_is_rejected()
    {
        var error = await RejectedAsync("x"u8.ToArray(), "application/vnd.cncf.model.doc.v1.raw",
            annotations: new Dictionary<string, string> { [ModelPackAnnotations.CncfFilePath] = "../sentinel/README.md" });

        Assert.Equal(ArchiveRule.PathEscapesRoot, error.Rule);
    }

    [Fact]
    public async Task A_missing_model_root_is_not_created()
    {
        var blob = LayerBlob.Tar(LayerBlob.File("f", "x"));
        var missing = Path.Join(_sandbox.Base, "missing");

        await Assert.ThrowsAsync<DirectoryNotFoundException>(() => LayerBlob.UnpackAsync(blob, LayerBlob.Descriptor(WeightTar, blob), missing));
        Assert.False(Path.Exists(missing));
    }

    [Fact]
    public async Task An_unknown_layer_media_type_is_rejected_naming_the_digest()
    {
        var blob = LayerBlob.Tar(LayerBlob.File("f", "x"));
        var descriptor = LayerBlob.Descriptor("application/vnd.oci.image.layer.v1.tar", blob);

        var error = await Assert.ThrowsAsync<UnsupportedLayerException>(() => LayerBlob.UnpackAsync(blob, descriptor, _sandbox.Root));

        Assert.Contains(descriptor.Digest, error.Message, StringComparison.Ordinal);
    }

}
