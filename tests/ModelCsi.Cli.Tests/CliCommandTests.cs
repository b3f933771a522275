using System.Text.Json;
using ModelCsi.TestSupport;
using Xunit;

namespace ModelCsi.Cli.Tests;

public sealed class CliCommandTests(RegistryFixture fixture) : IClassFixture<RegistryFixture>, IDisposable
{
    private readonly TempDirectory _temp = new("modelcsi-cli");

    public void Dispose() => _temp.Dispose();

    private string Reference(string tag = "v1") => $"{fixture.Registry.Host}/{OciTestContent.UniqueRepository("cli")}:{tag}";

    [Theory]
    [InlineData("raw")]
    [InlineData("tar")]
    [InlineData("tar+gzip")]
    [InlineData("tar+zstd")]
    public async Task Push_then_pull_reproduces_the_sample_model_byte_for_byte(string form)
    {
        var reference = Reference();
        var push = await CliRun.RunAsync("push", RepositoryRoot.TinyModel, reference, "--form", form, "--quiet");
        Assert.True(push.ExitCode == 0, push.ToString());
        var destination = _temp.Combine("pulled");

        var pull = await CliRun.RunAsync("pull", reference, destination, "--quiet");

        Assert.True(pull.ExitCode == 0, pull.ToString());
        DirectoryTree.AssertSame(RepositoryRoot.TinyModel, destination);
        Assert.Equal(push.PrintedDigest(), pull.PrintedDigest());
        Assert.Contains($"{DirectoryTree.Files(RepositoryRoot.TinyModel).Count} files", pull.Out, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Compressing_non_weights_keeps_the_weights_raw_and_still_round_trips()
    {
        var reference = Reference();
        Assert.Equal(0, (await CliRun.RunAsync("push", RepositoryRoot.TinyModel, reference, "--compress-non-weights", "zstd", "-q")).ExitCode);
        var destination = _temp.Combine("pulled");

        var inspect = await CliRun.RunAsync("inspect", reference, "--json");
        var pull = await CliRun.RunAsync("pull", reference, destination, "-q");

        Assert.Equal(0, pull.ExitCode);
        DirectoryTree.AssertSame(RepositoryRoot.TinyModel, destination);
        var layers = JsonDocument.Parse(inspect.Out).RootElement.GetProperty("layers").EnumerateArray().ToList();
        Assert.Equal("application/vnd.cncf.model.weight.v1.raw", layers.Single(layer => layer.GetProperty("path").GetString() == "model.safetensors").GetProperty("mediaType").GetString());
        Assert.All(layers.Where(layer => layer.GetProperty("path").GetString() != "model.safetensors"),
            layer => Assert.EndsWith(".v1.tar+zstd", layer.GetProperty("mediaType").GetString(), StringComparison.Ordinal));
    }

    [Fact]
    public async Task Pushing_the_same_directory_twice_prints_the_same_digest()
    {
        var reference = Reference();

        var first = await CliRun.RunAsync("push", RepositoryRoot.TinyModel, reference, "-q");
        var second = await CliRun.RunAsync("push", RepositoryRoot.TinyModel, reference, "-q");

        Assert.True(first.ExitCode == 0, first.ToString());
        Assert.True(second.ExitCode == 0, second.ToString());
        Assert.StartsWith("sha256:", first.PrintedDigest(), StringComparison.Ordinal);
        Assert.Equal(first.PrintedDigest(), second.PrintedDigest());
        Assert.Contains("0 blobs uploaded", second.Out, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Inspect_shows_the_layers_with_paths_and_the_config()
    {
        var reference = Reference();
        var push = await CliRun.RunAsync("push", RepositoryRoot.TinyModel, reference, "--name", "tiny-model", "--version", "1.2.3", "-q");
        Assert.Equal(0, push.ExitCode);

        var text = await CliRun.RunAsync("inspect", reference);
        var json = await CliRun.RunAsync("inspect", reference, "--json");

        Assert.True(text.ExitCode == 0, text.ToString());
        Assert.Contains(push.PrintedDigest(), text.Out, StringComparison.Ordinal);
        Assert.Contains("tiny-model", text.Out, StringComparison.Ordinal);
        Assert.Contains("1.2.3", text.Out, StringComparison.Ordinal);
        Assert.Contains("application/vnd.cncf.model.manifest.v1+json", text.Out, StringComparison.Ordinal);
        var files = DirectoryTree.Files(RepositoryRoot.TinyModel);
        foreach (var file in files)
        {
            Assert.Contains(file, text.Out, StringComparison.Ordinal);
        }

        Assert.Equal(0, json.ExitCode);
        var root = JsonDocument.Parse(json.Out).RootElement;
        Assert.Equal(push.PrintedDigest(), root.GetProperty("digest").GetString());
        Assert.Equal("cncf", root.GetProperty("family").GetString());
        Assert.Equal("tiny-model", root.GetProperty("config").GetProperty("name").GetString());
        Assert.Equal("1.2.3", root.GetProperty("config").GetProperty("version").GetString());
        var layers = root.GetProperty("layers").EnumerateArray().ToList();
        Assert.Equal(files, layers.Select(layer => layer.GetProperty("path").GetString()!).Order(StringComparer.Ordinal));
        Assert.All(layers, layer => Assert.StartsWith("sha256:", layer.GetProperty("digest").GetString(), StringComparison.Ordinal));
        Assert.Equal(layers.Sum(layer => layer.GetProperty("size").GetInt64()), root.GetProperty("totalSize").GetInt64());
    }

    [Theory]
    [InlineData("pull")]
    [InlineData("inspect")]
    public async Task A_bad_reference_exits_2_with_a_message_naming_the_problem(string command)
    {
        string[] args = command == "pull" ? [command, "Registry//UPPER:tag", _temp.Combine("x")] : [command, "Registry//UPPER:tag"];

        var run = await CliRun.RunAsync(args);

        Assert.Equal(2, run.ExitCode);
        var line = Assert.Single(run.Error.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.StartsWith("error: ", line, StringComparison.Ordinal);
        Assert.Contains("Registry//UPPER:tag", line, StringComparison.Ordinal);
        Assert.Contains("invalid image reference", line, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", run.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Missing_arguments_exit_2()
    {
        var run = await CliRun.RunAsync("pull");

        Assert.Equal(2, run.ExitCode);
        Assert.StartsWith("error: ", run.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_missing_tag_exits_3_naming_the_reference()
    {
        var reference = Reference("no-such-tag");
        var destination = _temp.Combine("pulled");

        var pull = await CliRun.RunAsync("pull", reference, destination);
        var inspect = await CliRun.RunAsync("inspect", reference);

        Assert.Equal(3, pull.ExitCode);
        Assert.Equal(3, inspect.ExitCode);
        Assert.Contains(reference, pull.Error, StringComparison.Ordinal);
        Assert.Contains("not found", pull.Error, StringComparison.Ordinal);
        Assert.False(Directory.Exists(destination));
    }

    [Fact]
    public async Task Verbose_adds_the_stack_trace()
    {
        var run = await CliRun.RunAsync("inspect", Reference("no-such-tag"), "--verbose");

        Assert.Equal(3, run.ExitCode);
        Assert.Contains("ManifestNotFoundException", run.Error, StringComparison.Ordinal);
    }
}
