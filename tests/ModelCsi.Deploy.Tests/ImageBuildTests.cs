using System.Diagnostics;
using System.Net.Sockets;
using System.Text;
using System.Text.RegularExpressions;
using k8s.Models;
using Xunit;

namespace ModelCsi.Deploy.Tests;

/// <summary>
/// CI has no Docker, so this checks what it can of the image: the Dockerfile's publish commands succeed, its
/// entrypoint and CLI wrapper point at files they produce, the CLI runs, the driver fails cleanly without an
/// endpoint, and the published driver starts with the chart's own args and config in both roles.
/// </summary>
public sealed partial class ImageBuildTests(PublishedImageFixture image) : IClassFixture<PublishedImageFixture>
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(60);

    [GeneratedRegex(@"^ENTRYPOINT \[""dotnet"", ""([^""]+)""\]", RegexOptions.Multiline)]
    private static partial Regex Entrypoint();

    [GeneratedRegex(@"exec dotnet (\S+\.dll)")]
    private static partial Regex WrapperTarget();

    [GeneratedRegex(@"^COPY --from=build (/out/\S+) (/opt/modelcsi/\S+)\s*$", RegexOptions.Multiline)]
    private static partial Regex CopyFromBuild();

    [Fact]
    public void The_Dockerfile_publishes_the_driver_and_the_cli_without_an_apphost()
    {
        Assert.Equal(2, image.PublishCommands.Count);
        Assert.Contains(image.PublishCommands, c => c[0] == "src/ModelCsi.Driver/ModelCsi.Driver.csproj");
        Assert.Contains(image.PublishCommands, c => c[0] == "src/ModelCsi.Cli/ModelCsi.Cli.csproj");
        Assert.All(image.PublishCommands, c => Assert.Contains("-p:UseAppHost=false", c));
    }

    [Fact]
    public void The_entrypoint_and_the_command_wrappers_name_published_files()
    {
        var copies = CopyFromBuild().Matches(image.Dockerfile).Select(m => (From: m.Groups[1].Value, To: m.Groups[2].Value)).ToList();
        var entrypoint = Entrypoint().Match(image.Dockerfile);
        var wrappers = WrapperTarget().Matches(image.Dockerfile).Select(m => m.Groups[1].Value).ToList();

        Assert.Equal(2, copies.Count);
        Assert.All(copies, c => Assert.Equal(c.From.Replace("/out/", "", StringComparison.Ordinal), c.To.Replace("/opt/modelcsi/", "", StringComparison.Ordinal)));
        Assert.True(entrypoint.Success, "the Dockerfile has no ENTRYPOINT [\"dotnet\", \"...dll\"]");
        Assert.True(File.Exists(image.InImage(entrypoint.Groups[1].Value)), $"entrypoint {entrypoint.Groups[1].Value} is not published");
        Assert.Equal(["/opt/modelcsi/driver/modelcsi-driver.dll", "/opt/modelcsi/cli/modelcsi.dll"], wrappers);
        Assert.All(wrappers, w => Assert.True(File.Exists(image.InImage(w)), $"{w} is not published"));
    }

    [Fact]
    public void The_native_helper_the_cache_needs_for_free_space_is_published_for_linux_x64()
    {
        Assert.True(File.Exists(image.InImage("/opt/modelcsi/driver/runtimes/linux-x64/native/libMonoPosixHelper.so")));
    }

    [Fact]
    public void No_mount_tools_are_installed_because_the_driver_calls_libc()
    {
        Assert.DoesNotContain("apt-get", image.Dockerfile, StringComparison.Ordinal);
        Assert.Contains("mount(2)", image.Dockerfile, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_published_cli_prints_its_help()
    {
        var run = await ProcessRun.RunAsync("dotnet", [image.InImage("/opt/modelcsi/cli/modelcsi.dll"), "--help"]);

        Assert.True(run.ExitCode == 0, run.Describe());
        Assert.Contains("push", run.StandardOutput, StringComparison.Ordinal);
        Assert.Contains("pull", run.StandardOutput, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_published_driver_without_an_endpoint_exits_with_a_one_line_configuration_error()
    {
        var start = DriverStart([]);

        var run = await RunToEndAsync(start);

        Assert.Equal(2, run.ExitCode);
        Assert.Contains("invalid configuration", run.StandardError, StringComparison.Ordinal);
        Assert.Contains("endpoint", run.StandardError, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", run.StandardError, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("controller")]
    [InlineData("node")]
    public async Task The_published_driver_serves_with_the_charts_args_and_config(string role)
    {
        var manifests = Manifests.Load(await Helm.TemplateAsync());
        var pod = role == "node" ? manifests.Single<V1DaemonSet>().Spec.Template.Spec : manifests.Single<V1Deployment>().Spec.Template.Spec;
        var driver = PodSpecs.Container(pod, "driver");
        var scratch = Path.Combine(image.Root, "run-" + Guid.NewGuid().ToString("N")[..8]);
        var configDir = Path.Combine(scratch, "etc");
        Directory.CreateDirectory(configDir);
        await File.WriteAllTextAsync(Path.Combine(configDir, "config.yaml"), Assert.Single(manifests.All<V1ConfigMap>()).Data["config.yaml"]);

        // The pod's paths, moved into the scratch dir; everything else exactly as the chart passes it.
        var args = driver.Args.Select(a => a
            .Replace("unix:///csi/", $"unix://{scratch}/csi/", StringComparison.Ordinal)
            .Replace("=/etc/model-csi/", $"={configDir}/", StringComparison.Ordinal)
            .Replace("$(NODE_ID)", "image-test-node", StringComparison.Ordinal)
            .Replace("--root-dir=/", $"--root-dir={scratch}/root/", StringComparison.Ordinal)).ToList();
        var socket = Path.Combine(scratch, "csi", "csi.sock");
        Directory.CreateDirectory(Path.GetDirectoryName(socket)!);

        using var process = Process.Start(DriverStart(args))!;
        var output = new StringBuilder();
        process.OutputDataReceived += (_, e) => { lock (output) { output.AppendLine(e.Data); } };
        process.ErrorDataReceived += (_, e) => { lock (output) { output.AppendLine(e.Data); } };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        try
        {
            var serving = await AcceptsWithinAsync(socket, process);
            string log;
            lock (output)
            {
                log = output.ToString();
            }
            Assert.True(serving, $"the driver did not serve on {socket} with args {string.Join(' ', args)}:\n{log}");
        }
        finally
        {
            if (!process.HasExited)
            {
                process.Kill(entireProcessTree: true);
            }
            await process.WaitForExitAsync();
        }
    }

    private ProcessStartInfo DriverStart(IEnumerable<string> args)
    {
        var start = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add(image.InImage("/opt/modelcsi/driver/modelcsi-driver.dll"));
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }
        start.Environment.Remove("CSI_ENDPOINT");
        start.Environment.Remove("CSI_NODE_ID");
        return start;
    }

    private static async Task<ProcessRun> RunToEndAsync(ProcessStartInfo start)
    {
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(Patience);
        await process.WaitForExitAsync(timeout.Token);
        return new ProcessRun(process.ExitCode, await stdout, await stderr);
    }

    private static async Task<bool> AcceptsWithinAsync(string socketPath, Process process)
    {
        var deadline = DateTime.UtcNow + Patience;
        while (DateTime.UtcNow < deadline && !process.HasExited)
        {
            if (File.Exists(socketPath))
            {
                using var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
                try
                {
                    await socket.ConnectAsync(new UnixDomainSocketEndPoint(socketPath));
                    return true;
                }
                catch (SocketException)
                {
                    // Bound but not yet listening; poll again.
                }
            }
            await Task.Delay(50);
        }
        return false;
    }
}
