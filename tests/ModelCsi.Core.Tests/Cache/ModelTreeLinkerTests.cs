using ModelCsi.Core.Cache;
using ModelCsi.TestSupport;
using Mono.Unix.Native;
using Xunit;

namespace ModelCsi.Core.Tests.Cache;

/// <summary>
/// A model directory is its layers' files hard-linked together: no byte copied, later layers winning where paths
/// meet, and nothing ever placed outside the model through a symlink an earlier layer left.
/// </summary>
public sealed class ModelTreeLinkerTests : IDisposable
{
    private readonly TempDirectory _dir = new("modelcsi-linker");

    private string Layer(string name, params (string Path, string Content)[] files)
    {
        var root = _dir.Combine(name);
        Directory.CreateDirectory(root);
        foreach (var (path, content) in files)
        {
            Directory.CreateDirectory(Path.GetDirectoryName(Path.Combine(root, path))!);
            File.WriteAllText(Path.Combine(root, path), content);
        }

        return root;
    }

    private string Model()
    {
        var model = _dir.Combine("model");
        Directory.CreateDirectory(model);
        return model;
    }

    private static ulong Inode(string path) => Syscall.lstat(path, out var stat) == 0 ? stat.st_ino : throw new IOException(path);

    [Fact]
    public void Files_are_hard_links_to_the_layers_files_in_the_same_directories_with_symlinks_recreated()
    {
        var layer = Layer("l1", ("config.json", "{}"), ("tokenizer/vocab.txt", "a b"), ("a/b/c/deep.bin", "x"));
        File.CreateSymbolicLink(Path.Combine(layer, "tokenizer", "alias.txt"), "vocab.txt");
        var model = Model();

        ModelTreeLinker.LinkTree(layer, model);

        foreach (var path in new[] { "config.json", "tokenizer/vocab.txt", "a/b/c/deep.bin" })
        {
            Assert.Equal(Inode(Path.Combine(layer, path)), Inode(Path.Combine(model, path)));
        }

        Assert.Equal("vocab.txt", new FileInfo(Path.Combine(model, "tokenizer", "alias.txt")).LinkTarget);
        Assert.Equal("a b", File.ReadAllText(Path.Combine(model, "tokenizer", "alias.txt")));
    }

    [Fact]
    public void A_later_layers_file_replaces_an_earlier_layers_file_at_the_same_path()
    {
        var first = Layer("l1", ("weights/model.bin", "old"), ("keep.txt", "k"));
        var second = Layer("l2", ("weights/model.bin", "new"));
        var model = Model();

        ModelTreeLinker.LinkTree(first, model);
        ModelTreeLinker.LinkTree(second, model);

        Assert.Equal("new", File.ReadAllText(Path.Combine(model, "weights", "model.bin")));
        Assert.Equal("k", File.ReadAllText(Path.Combine(model, "keep.txt")));
        Assert.Equal("old", File.ReadAllText(Path.Combine(first, "weights", "model.bin")));
    }

    [Fact]
    public void A_file_where_an_earlier_layer_has_a_directory_refuses_the_model()
    {
        var first = Layer("l1", ("data/part.bin", "p"));
        var second = Layer("l2", ("data", "a file"));
        var model = Model();
        ModelTreeLinker.LinkTree(first, model);

        var error = Assert.Throws<IOException>(() => ModelTreeLinker.LinkTree(second, model));
        Assert.Contains("has the directory", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_directory_replaces_an_earlier_layers_symlink_so_nothing_lands_where_the_symlink_pointed()
    {
        var outside = _dir.Combine("outside");
        Directory.CreateDirectory(outside);
        var first = Layer("l1");
        File.CreateSymbolicLink(Path.Combine(first, "data"), outside);
        var second = Layer("l2", ("data/planted.bin", "p"));
        var model = Model();

        ModelTreeLinker.LinkTree(first, model);
        ModelTreeLinker.LinkTree(second, model);

        Assert.Empty(Directory.EnumerateFileSystemEntries(outside));
        Assert.Null(new DirectoryInfo(Path.Combine(model, "data")).LinkTarget);
        Assert.Equal("p", File.ReadAllText(Path.Combine(model, "data", "planted.bin")));
    }

    public void Dispose() => _dir.Dispose();
}
