using System.Diagnostics;
using Csi.V1;
using ModelCsi.Cli.Commands;
using ModelCsi.TestSupport;
using Xunit;
using AccessMode = Csi.V1.VolumeCapability.Types.AccessMode.Types.Mode;

namespace ModelCsi.Cli.Tests;

/// <summary><c>modelcsi mount/ls/umount --socket</c> against a dynamic volume of the real driver, real registry and real mounts.</summary>
public sealed class DynamicMountCommandTests(RegistryFixture fixture) : IClassFixture<RegistryFixture>, IAsyncLifetime
{
    private readonly ScratchDirectory _temp = new();
    private readonly System.Text.StringBuilder _output = new();
    private Process _driver = null!;

    private string Endpoint => "unix://" + _temp.Combine("plugin", "csi.sock");

    private string Target => _temp.Combine("pod", "mnt");

    private string Socket => Path.Join(Target, "api.sock");

    public async Task InitializeAsync()
    {
        var configuration = AppContext.BaseDirectory.Contains("/bin/Release/", StringComparison.Ordinal) ? "Release" : "Debug";
        var dll = Path.Join(RepositoryRoot.Path, "src", "ModelCsi.Driver", "bin", configuration, "net10.0", "modelcsi-driver.dll");
        var start = new ProcessStartInfo("dotnet") { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var arg in new[] { dll, "--endpoint", Endpoint, "--root-dir", _temp.Combine("root"), "--kubelet-dir", ScratchDirectory.Root, "--node-id", "cli-node", "--metrics-address", "127.0.0.1:" + FreePort.Pick().ToString(System.Globalization.CultureInfo.InvariantCulture) })
        {
            start.ArgumentList.Add(arg);
        }

        _driver = Process.Start(start)!;
        _driver.OutputDataReceived += (_, e) => Record(e.Data);
        _driver.ErrorDataReceived += (_, e) => Record(e.Data);
        _driver.BeginOutputReadLine();
        _driver.BeginErrorReadLine();
        // xunit does not dispose a fixture whose InitializeAsync failed: a failed start must not leave the driver running.
        try
        {
            await Eventually.ValueAsync(() => File.Exists(_temp.Combine("plugin", "csi.sock")) || _driver.HasExited, ready => ready, TimeSpan.FromSeconds(30));
            Assert.False(_driver.HasExited, $"the driver exited at start:\n{_output}");

            using var channel = CsiChannel.Open(Endpoint);
            await new Node.NodeClient(channel).NodePublishVolumeAsync(
                new NodePublishVolumeRequest
                {
                    VolumeId = "csi-dyn",
                    TargetPath = Target,
                    VolumeCapability = new VolumeCapability
                    {
                        Mount = new VolumeCapability.Types.MountVolume(),
                        AccessMode = new VolumeCapability.Types.AccessMode { Mode = AccessMode.SingleNodeReaderOnly },
                    },
                    VolumeContext = { ["mode"] = "dynamic" },
                },
                deadline: DateTime.UtcNow.AddSeconds(60));
        }
        catch
        {
            _driver.Kill(entireProcessTree: true);
            await _driver.WaitForExitAsync();
            throw;
        }
    }

    public async Task DisposeAsync()
    {
        _driver.Kill(entireProcessTree: true);
        await _driver.WaitForExitAsync();
        _driver.Dispose();
        _temp.Dispose();
    }

    private void Record(string? line)
    {
        lock (_output)
        {
            _output.AppendLine(line);
        }
    }

    [Fact]
    public async Task Mount_with_wait_shows_the_model_in_the_volume_ls_lists_it_and_umount_removes_it()
    {
        var reference = $"{fixture.Registry.Host}/cli/dynamic:v1";
        Assert.Equal(0, (await CliRun.RunAsync("push", RepositoryRoot.TinyModel, reference, "-q")).ExitCode);

        var mount = await CliRun.RunAsync("mount", "tiny", reference, "--socket", Socket, "--wait");

        Assert.True(mount.ExitCode == 0, mount + "\ndriver:\n" + _output);
        Assert.Contains("mounted " + reference + "@sha256:", mount.Out, StringComparison.Ordinal);
        Assert.Equal(
            await File.ReadAllBytesAsync(Path.Join(RepositoryRoot.TinyModel, "model.safetensors")),
            await File.ReadAllBytesAsync(Path.Join(Target, "models", "tiny", "model.safetensors")));

        var ls = await CliRun.RunAsync("ls", "--socket", Socket);
        Assert.True(ls.ExitCode == 0, ls.ToString());
        Assert.Contains("tiny\tready\t", ls.Out, StringComparison.Ordinal);

        var again = await CliRun.RunAsync("mount", "tiny", reference, "--socket", Socket);
        Assert.Equal(ExitCodes.General, again.ExitCode);
        Assert.Contains("already exists", again.Error, StringComparison.Ordinal);

        var umount = await CliRun.RunAsync("umount", "tiny", "--socket", Socket);
        Assert.True(umount.ExitCode == 0, umount.ToString());
        Assert.False(Directory.Exists(Path.Join(Target, "models", "tiny")));
        var empty = await CliRun.RunAsync("ls", "--socket", Socket);
        Assert.DoesNotContain("tiny", empty.Out, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Refusals_exit_with_their_codes()
    {
        var badName = await CliRun.RunAsync("mount", "no/slashes", "r.example/m:v1", "--socket", Socket);
        var unknown = await CliRun.RunAsync("umount", "nothing", "--socket", Socket);
        var failedPull = await CliRun.RunAsync("mount", "absent", $"{fixture.Registry.Host}/cli/absent:v1", "--socket", Socket, "--wait");
        var noSocket = await CliRun.RunAsync("ls");
        var deadSocket = await CliRun.RunAsync("ls", "--socket", _temp.Combine("nobody.sock"));
        var fromEnvironment = await CliRun.RunAsync(["ls"], null, new Dictionary<string, string> { [DynamicSocketClient.SocketVariable] = Socket });

        Assert.Equal(ExitCodes.Usage, badName.ExitCode);
        Assert.Contains("invalid name", badName.Error, StringComparison.Ordinal);
        Assert.Equal(ExitCodes.NotFound, unknown.ExitCode);
        Assert.Equal(ExitCodes.General, failedPull.ExitCode);
        Assert.Contains("error: mount absent", failedPull.Error, StringComparison.Ordinal);
        Assert.Equal(ExitCodes.Usage, noSocket.ExitCode);
        Assert.Equal(ExitCodes.Unavailable, deadSocket.ExitCode);
        Assert.True(fromEnvironment.ExitCode == 0, fromEnvironment.ToString());
        Assert.Contains("absent\tfailed", fromEnvironment.Out, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Mount_with_a_selection_shows_only_the_selected_files()
    {
        var reference = $"{fixture.Registry.Host}/cli/dynamic-sel:v1";
        Assert.Equal(0, (await CliRun.RunAsync("push", RepositoryRoot.TinyModel, reference, "-q")).ExitCode);

        var mount = await CliRun.RunAsync("mount", "tok", reference, "--socket", Socket, "--include", "tokenizer/**", "--include", "*.json", "--exclude-weights", "--wait");

        Assert.True(mount.ExitCode == 0, mount + "\ndriver:\n" + _output);
        var root = Path.Join(Target, "models", "tok");
        Assert.True(File.Exists(Path.Join(root, "tokenizer", "merges.txt")));
        Assert.True(File.Exists(Path.Join(root, "config.json")));
        Assert.False(File.Exists(Path.Join(root, "model.safetensors")));
        Assert.False(File.Exists(Path.Join(root, "README.md")));
        Assert.Equal(0, (await CliRun.RunAsync("umount", "tok", "--socket", Socket)).ExitCode);
    }
}
