using System.Diagnostics;
using ModelCsi.TestSupport;
using Xunit;

namespace ModelCsi.Cli.Tests;

/// <summary><c>modelcsi csi ...</c> against the real driver process, real registry and real mounts.</summary>
public sealed class CsiCommandTests(RegistryFixture fixture) : IClassFixture<RegistryFixture>, IAsyncLifetime
{
    private readonly ScratchDirectory _temp = new();
    private readonly System.Text.StringBuilder _output = new();
    private Process _driver = null!;

    private void Record(string? line)
    {
        lock (_output)
        {
            _output.AppendLine(line);
        }
    }

    private string Endpoint => "unix://" + _temp.Combine("plugin", "csi.sock");

    public async Task InitializeAsync()
    {
        var configuration = AppContext.BaseDirectory.Contains("/bin/Release/", StringComparison.Ordinal) ? "Release" : "Debug";
        var dll = Path.Join(RepositoryRoot.Path, "src", "ModelCsi.Driver", "bin", configuration, "net10.0", "modelcsi-driver.dll");
        var start = new ProcessStartInfo("dotnet") { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var arg in new[] { dll, "--endpoint", Endpoint, "--root-dir", _temp.Combine("root"), "--kubelet-dir", ScratchDirectory.Root, "--node-id", "cli-node" })
        {
            start.ArgumentList.Add(arg);
        }

        _driver = Process.Start(start)!;
        _driver.OutputDataReceived += (_, e) => Record(e.Data);
        _driver.ErrorDataReceived += (_, e) => Record(e.Data);
        _driver.BeginOutputReadLine();
        _driver.BeginErrorReadLine();
        await Eventually.ValueAsync(() => File.Exists(_temp.Combine("plugin", "csi.sock")) || _driver.HasExited, ready => ready, TimeSpan.FromSeconds(30));
        Assert.False(_driver.HasExited, $"the driver exited at start:\n{_output}");
    }

    public async Task DisposeAsync()
    {
        _driver.Kill(entireProcessTree: true);
        await _driver.WaitForExitAsync();
        _driver.Dispose();
        _temp.Dispose();
    }

    [Fact]
    public async Task Probe_shows_the_plugin_ready_and_the_node_id()
    {
        var probe = await CliRun.RunAsync("csi", "probe", "--endpoint", Endpoint);

        Assert.True(probe.ExitCode == 0, probe.ToString());
        Assert.Contains("model.csi.modelpack.org", probe.Out, StringComparison.Ordinal);
        Assert.Contains("ready:        True", probe.Out, StringComparison.Ordinal);
        Assert.Contains("cli-node", probe.Out, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Publish_mounts_the_pushed_model_and_unpublish_removes_it()
    {
        var reference = $"{fixture.Registry.Host}/cli/csi:v1";
        Assert.Equal(0, (await CliRun.RunAsync("push", RepositoryRoot.TinyModel, reference, "-q")).ExitCode);
        var target = _temp.Combine("kubelet", "pods", "a", "volumes", "kubernetes.io~csi", "model", "mount");

        var publish = await CliRun.RunAsync("csi", "publish", "--endpoint", Endpoint, "--volume-id", "csi-a", "--target", target, "--model-ref", reference, "--pod", "ml/infer-0");
        Assert.True(publish.ExitCode == 0, publish.ToString());
        Assert.Equal(
            await File.ReadAllBytesAsync(Path.Join(RepositoryRoot.TinyModel, "model.safetensors")),
            await File.ReadAllBytesAsync(Path.Join(target, "model.safetensors")));

        var stats = await CliRun.RunAsync("csi", "stats", "--endpoint", Endpoint, "--volume-id", "csi-a", "--path", target);
        Assert.True(stats.ExitCode == 0, stats.ToString());
        Assert.Contains("Bytes: used", stats.Out, StringComparison.Ordinal);

        var unpublish = await CliRun.RunAsync("csi", "unpublish", "--endpoint", Endpoint, "--volume-id", "csi-a", "--target", target);
        Assert.True(unpublish.ExitCode == 0, unpublish.ToString());
        Assert.False(Directory.Exists(target));
    }

    [Fact]
    public async Task A_publish_the_driver_refuses_exits_with_the_code_for_its_status()
    {
        var target = _temp.Combine("kubelet", "pods", "b", "mount");

        var missing = await CliRun.RunAsync("csi", "publish", "--endpoint", Endpoint, "--volume-id", "csi-b", "--target", target, "--model-ref", $"{fixture.Registry.Host}/cli/none:v1");
        var noEndpoint = await CliRun.RunAsync("csi", "probe");

        Assert.Equal(ExitCodes.NotFound, missing.ExitCode);
        Assert.Contains("NotFound", missing.Error, StringComparison.Ordinal);
        Assert.Equal(ExitCodes.Usage, noEndpoint.ExitCode);
        Assert.Contains("--endpoint", noEndpoint.Error, StringComparison.Ordinal);
    }
}
