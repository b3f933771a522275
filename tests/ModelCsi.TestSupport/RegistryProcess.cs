using System.Diagnostics;
using System.Security.Cryptography.X509Certificates;
using System.Text;

namespace ModelCsi.TestSupport;

/// <summary>
/// A real distribution registry (/usr/bin/docker-registry) on 127.0.0.1 with filesystem storage in a
/// temp dir. Its stdout and stderr (application and access log) go to <see cref="LogPath"/>.
/// </summary>
public sealed class RegistryProcess : IAsyncDisposable
{
    public const string Binary = "/usr/bin/docker-registry";

    private readonly TempDirectory _directory;
    private readonly Process _process;
    private readonly StreamWriter _log;
    private readonly Lock _logLock = new();

    private RegistryProcess(TempDirectory directory, Process process, StreamWriter log, int port)
    {
        _directory = directory;
        _process = process;
        _log = log;
        Port = port;
    }

    public int Port { get; }

    /// <summary><c>127.0.0.1:PORT</c>, the registry part of a reference.</summary>
    public string Host => $"127.0.0.1:{Port}";

    /// <summary>True when the registry serves HTTPS (see <see cref="RegistryProcessOptions.Tls"/>).</summary>
    public bool UsesTls { get; private init; }

    private TestCertificates? _probeClientCertificate;

    public string LogPath => _directory.Combine("registry.log");

    public string StoragePath => _directory.Combine("data");

    public static async Task<RegistryProcess> StartAsync(RegistryProcessOptions? options = null, CancellationToken cancellationToken = default)
    {
        options ??= new RegistryProcessOptions();
        var directory = new TempDirectory("modelcsi-registry");
        try
        {
            var port = FreePort.Pick();
            var config = new StringBuilder($"""
                version: 0.1
                log:
                  level: info
                  formatter: text
                  accesslog:
                    disabled: false
                storage:
                  filesystem:
                    rootdirectory: {directory.Combine("data")}
                  delete:
                    enabled: true
                  maintenance:
                    uploadpurging:
                      enabled: false
                http:
                  addr: 127.0.0.1:{port}
                  secret: modelcsi-test-secret

                """);
            if (options.BasicUsers is { } users)
            {
                var htpasswd = directory.Combine("htpasswd");
                var lines = new StringBuilder();
                foreach (var (user, password) in users)
                {
                    lines.Append(await HtpasswdLineAsync(user, password, cancellationToken));
                }

                await File.WriteAllTextAsync(htpasswd, lines.ToString(), cancellationToken);
                config.Append($"""
                    auth:
                      htpasswd:
                        realm: modelcsi-test
                        path: {htpasswd}

                    """);
            }
            else if (options.TokenServer is { } tokens)
            {
                var bundle = directory.Combine("token-root.pem");
                await File.WriteAllTextAsync(bundle, tokens.CertificatePem, cancellationToken);
                config.Append($"""
                    auth:
                      token:
                        realm: {tokens.Realm}
                        service: {tokens.Service}
                        issuer: {tokens.Issuer}
                        rootcertbundle: {bundle}

                    """);
            }

            if (options.Tls is { } tls)
            {
                var tlsLines = new StringBuilder($"""
                      tls:
                        certificate: {tls.ServerCertificatePath}
                        key: {tls.ServerKeyPath}

                    """);
                if (options.RequireClientCertificate)
                {
                    tlsLines.Append($"""
                            clientcas:
                              - {tls.CaPath}

                        """);
                }

                config.Replace("  secret: modelcsi-test-secret\n", "  secret: modelcsi-test-secret\n" + tlsLines);
            }

            var configPath = directory.Combine("config.yml");
            await File.WriteAllTextAsync(configPath, config.ToString(), cancellationToken);
            var log = new StreamWriter(directory.Combine("registry.log"), append: false) { AutoFlush = true };
            var start = new ProcessStartInfo(Binary, ["serve", configPath])
            {
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                UseShellExecute = false,
            };
            var process = new Process { StartInfo = start };
            var registry = new RegistryProcess(directory, process, log, port) { UsesTls = options.Tls is not null, _probeClientCertificate = options.RequireClientCertificate ? options.Tls : null };
            process.OutputDataReceived += (_, e) => registry.AppendLog(e.Data);
            process.ErrorDataReceived += (_, e) => registry.AppendLog(e.Data);
            process.Start();
            process.BeginOutputReadLine();
            process.BeginErrorReadLine();
            try
            {
                await registry.WaitUntilServingAsync(cancellationToken);
            }
            catch
            {
                await registry.DisposeAsync();
                throw;
            }

            return registry;
        }
        catch
        {
            directory.Dispose();
            throw;
        }
    }

    private void AppendLog(string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (_logLock)
        {
            _log.WriteLine(line);
        }
    }

    /// <summary>The registry's log so far.</summary>
    public string ReadLog()
    {
        lock (_logLock)
        {
            using var stream = new FileStream(LogPath, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
            using var reader = new StreamReader(stream);
            return reader.ReadToEnd();
        }
    }

    /// <summary>
    /// GET requests for a blob seen in the access log so far. The log line is written after the
    /// response, so poll (<see cref="Eventually"/>) when counting right after a download.
    /// </summary>
    public int CountBlobGets(string repository, string digest)
    {
        var needle = $"\"GET /v2/{repository}/blobs/{digest} ";
        return ReadLog().Split('\n').Count(line => line.Contains(needle, StringComparison.Ordinal));
    }

    private static async Task<string> HtpasswdLineAsync(string user, string password, CancellationToken cancellationToken)
    {
        using var htpasswd = Process.Start(new ProcessStartInfo("htpasswd", ["-Bbn", user, password])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        }) ?? throw new InvalidOperationException("could not start htpasswd");
        var output = await htpasswd.StandardOutput.ReadToEndAsync(cancellationToken);
        await htpasswd.WaitForExitAsync(cancellationToken);
        if (htpasswd.ExitCode != 0)
        {
            throw new InvalidOperationException($"htpasswd failed: {await htpasswd.StandardError.ReadToEndAsync(cancellationToken)}");
        }

        return output.Trim() + "\n";
    }

    private async Task WaitUntilServingAsync(CancellationToken cancellationToken)
    {
        // Only "is it listening" matters here, so the test certificates need not be trusted.
        using var handler = new HttpClientHandler { ServerCertificateCustomValidationCallback = static (_, _, _, _) => true };
        if (_probeClientCertificate is { } certificates)
        {
            handler.ClientCertificates.Add(X509Certificate2.CreateFromPemFile(certificates.ClientCertificatePath, certificates.ClientKeyPath));
        }

        using var http = new HttpClient(handler) { Timeout = TimeSpan.FromSeconds(2) };
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while (true)
        {
            if (_process.HasExited)
            {
                throw new InvalidOperationException($"docker-registry exited with {_process.ExitCode} before serving:\n{ReadLog()}");
            }

            try
            {
                using var response = await http.GetAsync(new Uri($"{(UsesTls ? "https" : "http")}://{Host}/v2/"), cancellationToken);
                return; // 200 or 401: it is serving.
            }
            catch (HttpRequestException) when (DateTime.UtcNow < deadline)
            {
            }
            catch (TaskCanceledException) when (DateTime.UtcNow < deadline && !cancellationToken.IsCancellationRequested)
            {
            }

            if (DateTime.UtcNow >= deadline)
            {
                throw new TimeoutException($"docker-registry did not answer on {Host} within 30 s:\n{ReadLog()}");
            }

            await Task.Delay(50, cancellationToken);
        }
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            if (!_process.HasExited)
            {
                _process.Kill(entireProcessTree: true);
                await _process.WaitForExitAsync();
            }
        }
        catch (InvalidOperationException)
        {
        }

        _process.Dispose();
        lock (_logLock)
        {
            _log.Dispose();
        }

        _directory.Dispose();
    }
}
