using System.Formats.Tar;
using ModelCsi.Core.ModelPack;
using Xunit;

namespace ModelCsi.Core.Tests.ModelPack;

/// <summary>
/// Artifacts that cannot be laid out (a file where a directory is needed, names the kernel cannot open) fail as
/// ModelPack errors naming the rule, never as a bare IOException.
/// </summary>
public sealed class MalformedLayerTests : IDisposable
{
    private const string CodeTar = "application/vnd.cncf.model.code.v1.tar";
    private const string WeightRaw = "application/vnd.cncf.model.weight.v1.raw";
    private readonly ModelRootSandbox _sandbox = new();

    public void Dispose() => _sandbox.Dispose();

    private async Task<UnsafeArchiveEntryException> RejectedAsync(byte[] blob, string mediaType = CodeTar, IReadOnlyDictionary<string, string>? annotations = null)
    {
        var error = await Assert.ThrowsAsync<UnsafeArchiveEntryException>(
            () => LayerBlob.UnpackAsync(blob, LayerBlob.Descriptor(mediaType, blob, annotations), _sandbox.Root));
        Assert.True(error.Message.Length < 400, $"message of {error.Message.Length} characters");
        _sandbox.AssertNothingOutsideRoot();
        return error;
    }

    private async Task UnpackAsync(byte[] blob, string mediaType = CodeTar, IReadOnlyDictionary<string, string>? annotations = null) =>
        await LayerBlob.UnpackAsync(blob, LayerBlob.Descriptor(mediaType, blob, annotations), _sandbox.Root);

    [Fact]
    public async Task A_layer_needing_a_directory_where_an_earlier_layer_put_a_file_is_a_conflict()
    {
        await UnpackAsync(LayerBlob.Tar(LayerBlob.File("tokenizer", "a file")));

        var error = await RejectedAsync(LayerBlob.Tar(LayerBlob.File("tokenizer/vocab.json", "{}")));

        Assert.Equal(ArchiveRule.ConflictsWithEarlierEntry, error.Rule);
        Assert.Equal("a file", File.ReadAllText(_sandbox.InRoot("tokenizer")));
    }

    [Fact]
    public async Task A_raw_layer_whose_path_an_earlier_layer_made_a_directory_is_a_conflict()
    {
        await UnpackAsync(LayerBlob.Tar(LayerBlob.File("weights/part", "x")));

        var error = await RejectedAsync("w"u8.ToArray(), WeightRaw, new Dictionary<string, string> { [ModelPackAnnotations.CncfFilePath] = "weights" });

        Assert.Equal(ArchiveRule.ConflictsWithEarlierEntry, error.Rule);
    }

    [Fact]
    public async Task A_directory_entry_over_a_file_of_an_earlier_layer_is_a_conflict()
    {
        await UnpackAsync(LayerBlob.Tar(LayerBlob.File("docs", "x")));

        var error = await RejectedAsync(LayerBlob.Tar(LayerBlob.Directory("docs/")));

        Assert.Equal(ArchiveRule.ConflictsWithEarlierEntry, error.Rule);
    }

    [Fact]
    public async Task An_entry_name_longer_than_4096_bytes_is_rejected_without_echoing_it()
    {
        var name = string.Join('/', Enumerable.Repeat(new string('d', 200), 25));

        var error = await RejectedAsync(LayerBlob.Tar(LayerBlob.File(name, "x")));

        Assert.Equal(ArchiveRule.PathTooLong, error.Rule);
        Assert.DoesNotContain(name, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_path_component_longer_than_255_bytes_is_rejected()
    {
        var error = await RejectedAsync(LayerBlob.Tar(LayerBlob.File("dir/" + new string('é', 128), "x")));

        Assert.Equal(ArchiveRule.PathTooLong, error.Rule);
        Assert.False(Path.Exists(_sandbox.InRoot("dir")) && Directory.EnumerateFileSystemEntries(_sandbox.InRoot("dir")).Any());
    }

    [Fact]
    public async Task A_path_that_fits_alone_but_not_below_the_model_root_is_rejected()
    {
        var name = string.Join('/', Enumerable.Repeat(new string('d', 250), 16)) + "/" + new string('f', 70);
        Assert.InRange(name.Length, 4050, 4096);

        var error = await RejectedAsync(LayerBlob.Tar(LayerBlob.File(name, "x")));

        Assert.Equal(ArchiveRule.PathTooLong, error.Rule);
    }

    [Fact]
    public async Task A_symlink_target_longer_than_the_kernel_allows_is_rejected()
    {
        var target = string.Concat(Enumerable.Repeat("a/", 2100));

        var error = await RejectedAsync(LayerBlob.Tar(LayerBlob.Link(TarEntryType.SymbolicLink, "link", target)));

        Assert.Equal(ArchiveRule.PathTooLong, error.Rule);
    }

    [Fact]
    public async Task A_raw_layer_with_an_overlong_file_path_annotation_is_rejected()
    {
        var error = await RejectedAsync("w"u8.ToArray(), WeightRaw,
            new Dictionary<string, string> { [ModelPackAnnotations.CncfFilePath] = new string('w', 300) });

        Assert.Equal(ArchiveRule.PathTooLong, error.Rule);
    }
}
