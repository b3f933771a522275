using System.Diagnostics;
using System.Net.Sockets;
using System.Text;
using Grpc.Net.Client;
using ModelCsi.TestSupport;

namespace ModelCsi.Benchmarks;

/// <summary>
/// The built driver (modelcsi-driver.dll, copied next to the benchmark by the project reference) as a real
/// process serving CSI on a unix socket, with a gRPC channel to it.
/// </summary>
public sealed class DriverUnderTest : IAsyncDisposable
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);

    private readonly Process _process;
    private readonly StringBuilder _output = new();

    private DriverUnderTest(Process process, string socketPath)
    {
        _process = process;
        SocketPath = socketPath;
        Channel = UnixSocketChannel.Create(socketPath);
    }

    public string SocketPath { get; }

    public GrpcChannel Channel { get; }

    public int ProcessId => _process.Id;

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

    /// <param name="driverDll">Another build of the driver (a baseline); the one built with the benchmark by default.</param>
    public static async Task<DriverUnderTest> StartAsync(string directory, string? driverDll = null, CancellationToken cancellationToken = default)
    {
        var dll = driverDll ?? Path.Combine(AppContext.BaseDirectory, "modelcsi-driver.dll");
        if (!File.Exists(dll))
        {
            throw new FileNotFoundException("the built driver is not next to the benchmark", dll);
        }

        var socketPath = Path.Combine(directory, "plugin", "csi.sock");
        var start = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var arg in new[] { dll, "--endpoint", "unix://" + socketPath, "--root-dir", Path.Combine(directory, "root"), "--kubelet-dir", directory, "--node-id", "bench-node" })
        {
            start.ArgumentList.Add(arg);
        }

        start.Environment.Remove("CSI_ENDPOINT");
        start.Environment.Remove("CSI_NODE_ID");
        var process = new Process { StartInfo = start };
        var driver = new DriverUnderTest(process, socketPath);
        process.OutputDataReceived += (_, e) => driver.Append(e.Data);
        process.ErrorDataReceived += (_, e) => driver.Append(e.Data);
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        try
        {
            await driver.WaitUntilServingAsync(cancellationToken);
        }
        catch
        {
            await driver.DisposeAsync();
            throw;
        }

        return driver;
    }

    private async Task WaitUntilServingAsync(CancellationToken cancellationToken)
    {
        var deadline = DateTime.UtcNow + Patience;
        while (DateTime.UtcNow < deadline)
        {
            if (_process.HasExited)
            {
                throw new InvalidOperationException($"driver exited with {_process.ExitCode} before serving:\n{Output}");
            }

            if (File.Exists(SocketPath) && await AcceptsConnectionAsync(cancellationToken))
            {
                return;
            }

            await Task.Delay(50, cancellationToken);
        }

        throw new TimeoutException($"driver did not serve on {SocketPath} within {Patience}:\n{Output}");
    }

    private async Task<bool> AcceptsConnectionAsync(CancellationToken cancellationToken)
    {
        using var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        try
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            timeout.CancelAfter(TimeSpan.FromSeconds(2));
            await socket.ConnectAsync(new UnixDomainSocketEndPoint(SocketPath), timeout.Token);
            return true;
        }
        catch (Exception ex) when (ex is SocketException or OperationCanceledException && !cancellationToken.IsCancellationRequested)
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

    public async ValueTask DisposeAsync()
    {
        Channel.Dispose();
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            using var timeout = new CancellationTokenSource(Patience);
            await _process.WaitForExitAsync(timeout.Token);
        }

        _process.Dispose();
    }
}
