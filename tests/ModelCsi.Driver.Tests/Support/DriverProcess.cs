using System.Diagnostics;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using System.Text;
using Grpc.Net.Client;
using ModelCsi.TestSupport;

namespace ModelCsi.Driver.Tests.Support;

/// <summary>
/// The built driver (modelcsi-driver.dll, copied next to the tests by the project reference) running as a
/// real process on a unix socket in a temp directory, with a gRPC channel to it.
/// </summary>
public sealed class DriverProcess : IAsyncDisposable
{
    public static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);

    private const int Sigterm = 15;

    private readonly Process _process;
    private readonly StringBuilder _output = new();

    private DriverProcess(ScratchDirectory scratch, string socketPath, Process process)
    {
        Scratch = scratch;
        SocketPath = socketPath;
        _process = process;
        Channel = UnixSocketChannel.Create(socketPath);
    }

    public ScratchDirectory Scratch { get; }

    public string SocketPath { get; }

    public string RootDir => Scratch.Combine("root");

    public GrpcChannel Channel { get; }

    /// <summary>http://host:port of the metrics listener, when it has one.</summary>
    public string? MetricsUrl { get; private set; }

    public bool HasExited => _process.HasExited;

    public int ProcessId => _process.Id;

    public int ExitCode => _process.ExitCode;

    public string Output
    {
        get
        {
            lock (_output)
            {
                return _output.ToString();
            }
        }
    }

    /// <summary>Starts the driver and waits until it answers on its socket.</summary>
    public static async Task<DriverProcess> StartAsync(ScratchDirectory? scratch = null, params string[] extraArgs)
    {
        scratch ??= new ScratchDirectory();
        var socketPath = scratch.Combine("plugin", "csi.sock");
        var driver = Launch(scratch, socketPath, extraArgs);
        await driver.WaitUntilServingAsync();
        return driver;
    }

    /// <summary>Starts the driver without waiting for it to serve (for start-up failure tests).</summary>
    public static DriverProcess Launch(ScratchDirectory scratch, string socketPath, params string[] extraArgs)
    {
        var dll = Path.Combine(AppContext.BaseDirectory, "modelcsi-driver.dll");
        if (!File.Exists(dll))
        {
            throw new FileNotFoundException("the built driver is not next to the tests", dll);
        }
        var start = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add(dll);
        // Every driver gets a metrics port of its own: the default :9090 would collide between tests running at once.
        var metricsArgs = extraArgs.Contains("--metrics-address")
            ? []
            : new[] { "--metrics-address", "127.0.0.1:" + ModelCsi.TestSupport.FreePort.Pick().ToString(System.Globalization.CultureInfo.InvariantCulture) };
        var allArgs = new[] { "--endpoint", "unix://" + socketPath, "--root-dir", scratch.Combine("root"), "--kubelet-dir", ScratchDirectory.Root }.Concat(metricsArgs).Concat(extraArgs).ToList();
        foreach (var arg in allArgs)
        {
            start.ArgumentList.Add(arg);
        }
        start.Environment.Remove("CSI_ENDPOINT");
        start.Environment.Remove("CSI_NODE_ID");
        var process = new Process { StartInfo = start };
        var driver = new DriverProcess(scratch, socketPath, process);
        var metricsAt = allArgs.LastIndexOf("--metrics-address");
        driver.MetricsUrl = metricsAt >= 0 && metricsAt + 1 < allArgs.Count ? "http://" + allArgs[metricsAt + 1] : null;
        process.OutputDataReceived += (_, e) => driver.Append(e.Data);
        process.ErrorDataReceived += (_, e) => driver.Append(e.Data);
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return driver;
    }

    public async Task WaitUntilServingAsync()
    {
        var deadline = DateTime.UtcNow + Patience;
        while (DateTime.UtcNow < deadline)
        {
            if (_process.HasExited)
            {
                throw new InvalidOperationException($"driver exited with {_process.ExitCode} before serving:\n{Output}");
            }
            if (File.Exists(SocketPath) && await AcceptsConnectionAsync())
            {
                return;
            }
            await Task.Delay(50);
        }
        throw new TimeoutException($"driver did not serve on {SocketPath} within {Patience}:\n{Output}");
    }

    public async Task<bool> WaitForExitAsync()
    {
        using var timeout = new CancellationTokenSource(Patience);
        try
        {
            await _process.WaitForExitAsync(timeout.Token);
            return true;
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }

    /// <summary>After exit: waits until the redirected output has been read to its end.</summary>
    public void WaitForOutputEnd() => _process.WaitForExit();

    public void SendSigterm()
    {
        if (Kill(_process.Id, Sigterm) != 0)
        {
            throw new InvalidOperationException($"kill(SIGTERM) failed: errno {Marshal.GetLastPInvokeError()}");
        }
    }

    public void KillHard() => _process.Kill();

    public async ValueTask DisposeAsync()
    {
        Channel.Dispose();
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            await WaitForExitAsync();
        }
        _process.Dispose();
        Scratch.Dispose();
    }

    private async Task<bool> AcceptsConnectionAsync()
    {
        using var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        try
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(2));
            await socket.ConnectAsync(new UnixDomainSocketEndPoint(SocketPath), timeout.Token);
            return true;
        }
        catch (Exception ex) when (ex is SocketException or OperationCanceledException)
        {
            return false;
        }
    }

    private void Append(string? line)
    {
        if (line is null)
        {
            return;
        }
        lock (_output)
        {
            _output.AppendLine(line);
        }
    }

    // DllImport rather than LibraryImport: the source-generated form needs unsafe code enabled in this project.
    [DllImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static extern int Kill(int pid, int signal);
}
