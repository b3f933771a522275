using System.Formats.Tar;
using System.Text;
using ModelCsi.Core.ModelPack;
using Xunit;

namespace ModelCsi.Core.Tests.ModelPack;

/// <summary>Layers built by hand the way modctl, KitOps and AIKit write them.</summary>
public sealed class ForeignArtifactUnpackTests : IDisposable
{
    private readonly ModelRootSandbox _sandbox = new();

    public void Dispose() => _sandbox.Dispose();

    private string Read(string relative) => File.ReadAllText(_sandbox.InRoot(relative));

    [Fact]
    public async Task A_modctl_raw_layer_lands_at_its_filepath_with_the_metadata_mtime_read_only()
    {
        var blob = Encoding.UTF8.GetBytes("safetensors bytes");
        var descriptor = LayerBlob.Descriptor("application/vnd.cncf.model.weight.v1.raw", blob, new Dictionary<string, string>
        {
            [ModelPackAnnotations.CncfFilePath] = "shards/model-00001.safetensors",
            [ModelPackAnnotations.CncfFileMetadata] =
                """{"name":"model-00001.safetensors","mode":493,"uid":0,"gid":0,"size":17,"mtime":"2024-05-01T12:00:00Z","typeflag":48}""",
            [ModelPackAnnotations.CncfMediaTypeUntested] = "false",
        });

        var result = await LayerBlob.UnpackAsync(blob, descriptor, _sandbox.Root);

        Assert.Equal(new UnpackResult(1, blob.Length), result);
        Assert.Equal("safetensors bytes", Read("shards/model-00001.safetensors"));
        Assert.Equal(0b101_101_101, ModelRootSandbox.ModeOf(_sandbox.InRoot("shards/model-00001.safetensors")));
        Assert.Equal(LayerBlob.Mtime.UtcDateTime, File.GetLastWriteTimeUtc(_sandbox.InRoot("shards/model-00001.safetensors")));
    }

    [Fact]
    public async Task A_raw_layer_without_metadata_gets_mode_0444()
    {
        var blob = "{}"u8.ToArray();
        var descriptor = LayerBlob.Descriptor("application/vnd.cncf.model.weight.config.v1.raw", blob,
            new Dictionary<string, string> { [ModelPackAnnotations.CncfFilePath] = "config.json" });

        await LayerBlob.UnpackAsync(blob, descriptor, _sandbox.Root);

        Assert.Equal(0b100_100_100, ModelRootSandbox.ModeOf(_sandbox.InRoot("config.json")));
    }

    [Fact]
    public async Task A_cnai_raw_layer_uses_the_cnai_filepath()
    {
        var blob = "weights"u8.ToArray();
        var descriptor = LayerBlob.Descriptor("application/vnd.cnai.model.weight.v1.raw", blob, new Dictionary<string, string>
        {
            [ModelPackAnnotations.CnaiFilePath] = "model.gguf",
            [ModelPackAnnotations.CnaiFileMetadata] = """{"name":"model.gguf","mode":420,"typeflag":0}""",
        });

        await LayerBlob.UnpackAsync(blob, descriptor, _sandbox.Root);

        Assert.Equal("weights", Read("model.gguf"));
    }

    [Fact]
    public async Task A_raw_layer_with_only_an_image_title_is_named_by_it()
    {
        var blob = "weights"u8.ToArray();
        var descriptor = LayerBlob.Descriptor("application/vnd.cncf.model.weight.v1.raw", blob,
            new Dictionary<string, string> { [ModelPackAnnotations.ImageTitle] = "model.safetensors" });

        await LayerBlob.UnpackAsync(blob, descriptor, _sandbox.Root);

        Assert.Equal("weights", Read("model.safetensors"));
    }

    [Fact]
    public async Task A_raw_layer_without_any_path_annotation_is_a_format_error()
    {
        var blob = "weights"u8.ToArray();

        var error = await Assert.ThrowsAsync<ModelPackFormatException>(() =>
            LayerBlob.UnpackAsync(blob, LayerBlob.Descriptor("application/vnd.cncf.model.weight.v1.raw", blob), _sandbox.Root));

        Assert.Contains(ModelPackAnnotations.CncfFilePath, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_modctl_tar_layer_without_directory_entries_creates_the_parents()
    {
        var blob = LayerBlob.Tar(LayerBlob.File("tokenizer/vocab.json", "{\"a\":1}", format: TarEntryFormat.Ustar));
        var descriptor = LayerBlob.Descriptor("application/vnd.cncf.model.weight.config.v1.tar", blob,
            new Dictionary<string, string> { [ModelPackAnnotations.CncfFilePath] = "tokenizer/vocab.json" });

        var result = await LayerBlob.UnpackAsync(blob, descriptor, _sandbox.Root);

        Assert.Equal("{\"a\":1}", Read("tokenizer/vocab.json"));
        Assert.Equal(1, result.FilesWritten);
        Assert.Equal(LayerBlob.Mtime.UtcDateTime, File.GetLastWriteTimeUtc(_sandbox.InRoot("tokenizer/vocab.json")));
    }

    [Theory]
    [InlineData("application/vnd.kitops.modelkit.code.v1.tar+gzip")]
    [InlineData("application/vnd.kitops.modelkit.code.v1.tar+zstd")]
    [InlineData("application/vnd.kitops.modelkit.code.v1.tar")]
    [InlineData("application/vnd.cncf.model.code.v1.tar+gzip")]
    public async Task A_kitops_directory_layer_unpacks_the_whole_tree(string mediaType)
    {
        var tar = LayerBlob.Tar(
            LayerBlob.Directory("src/", TarEntryFormat.Gnu, uid: 1000),
            LayerBlob.Directory("src/pkg/", TarEntryFormat.Gnu, uid: 1000),
            LayerBlob.File("src/pkg/train.py", "print(1)", (UnixFileMode)0b111_101_101, TarEntryFormat.Gnu, uid: 1000),
            LayerBlob.File("src/README.md", "# hi", format: TarEntryFormat.Gnu, uid: 1000));
        var blob = mediaType.EndsWith("gzip", StringComparison.Ordinal) ? LayerBlob.Gzip(tar)
            : mediaType.EndsWith("zstd", StringComparison.Ordinal) ? LayerBlob.Zstd(tar) : tar;
        var descriptor = LayerBlob.Descriptor(mediaType, blob, new Dictionary<string, string> { [ModelPackAnnotations.CncfFilePath] = "src" });

        var result = await LayerBlob.UnpackAsync(blob, descriptor, _sandbox.Root);

        Assert.Equal(new UnpackResult(2, 12), result);
        Assert.Equal("print(1)", Read("src/pkg/train.py"));
        Assert.Equal("# hi", Read("src/README.md"));
        Assert.Equal(0b101_101_101, ModelRootSandbox.ModeOf(_sandbox.InRoot("src/pkg/train.py")));
        Assert.Equal(DateTimeOffset.UnixEpoch.UtcDateTime, Directory.GetLastWriteTimeUtc(_sandbox.InRoot("src/pkg")));
    }

    [Fact]
    public async Task An_aikit_weight_tar_holding_only_the_basename_is_placed_at_the_annotated_path()
    {
        var blob = LayerBlob.Tar(LayerBlob.File("model.gguf", "gguf"));
        var descriptor = LayerBlob.Descriptor("application/vnd.cncf.model.weight.v1.tar", blob,
            new Dictionary<string, string> { [ModelPackAnnotations.CncfFilePath] = "models/llama/model.gguf" });

        await LayerBlob.UnpackAsync(blob, descriptor, _sandbox.Root);

        Assert.Equal("gguf", Read("models/llama/model.gguf"));
        Assert.False(Path.Exists(_sandbox.InRoot("model.gguf")));
    }

    [Fact]
    public async Task A_tar_with_two_files_keeps_its_own_names_despite_a_matching_annotation()
    {
        var blob = LayerBlob.Tar(LayerBlob.File("model.gguf", "gguf"), LayerBlob.File("other.txt", "o"));
        var descriptor = LayerBlob.Descriptor("application/vnd.cncf.model.weight.v1.tar", blob,
            new Dictionary<string, string> { [ModelPackAnnotations.CncfFilePath] = "models/model.gguf" });

        await LayerBlob.UnpackAsync(blob, descriptor, _sandbox.Root);

        Assert.Equal("gguf", Read("model.gguf"));
        Assert.Equal("o", Read("other.txt"));
        Assert.False(File.Exists(_sandbox.InRoot("models/model.gguf")));
    }

    [Fact]
    public async Task A_later_layer_replaces_a_regular_file_from_an_earlier_one()
    {
        File.WriteAllText(_sandbox.InRoot("config.json"), "old");
        var blob = LayerBlob.Tar(LayerBlob.File("config.json", "new"));

        await LayerBlob.UnpackAsync(blob, LayerBlob.Descriptor("application/vnd.cnai.model.weight.config.v1.tar", blob), _sandbox.Root);

        Assert.Equal("new", Read("config.json"));
    }

    [Theory]
    [InlineData("application/vnd.cncf.model.weight.v1.tar")]
    [InlineData("application/vnd.cncf.model.weight.v1.tar+gzip")]
    [InlineData("application/vnd.cncf.model.weight.v1.tar+zstd")]
    [InlineData("application/vnd.cncf.model.weight.v1.raw")]
    public async Task The_content_stream_is_read_to_its_end_past_the_tar_padding(string mediaType)
    {
        var tar = LayerBlob.Tar([LayerBlob.File("model.bin", "weights")], recordPadding: true);
        var blob = mediaType.EndsWith("gzip", StringComparison.Ordinal) ? LayerBlob.Gzip(tar)
            : mediaType.EndsWith("zstd", StringComparison.Ordinal) ? LayerBlob.Zstd(tar)
            : mediaType.EndsWith("raw", StringComparison.Ordinal) ? "weights"u8.ToArray() : tar;
        var descriptor = LayerBlob.Descriptor(mediaType, blob, new Dictionary<string, string> { [ModelPackAnnotations.CncfFilePath] = "model.bin" });
        var content = new EofRecordingStream(new MemoryStream(blob));

        await new LayerUnpacker().UnpackAsync(content, descriptor, _sandbox.Root, UnpackLimits.Default);

        Assert.True(content.ReachedEof);
        Assert.Equal("weights", Read("model.bin"));
    }
}
