using System.Net;
using System.Net.Sockets;
using System.Reflection;
using System.Text.Json;
using System.Text.RegularExpressions;
using Csi.V1;
using Grpc.Core;
using Microsoft.Extensions.Logging;
using ModelCsi.Driver.Options;
using ModelCsi.Driver.Tests.Support;
using ModelCsi.TestSupport;
using Xunit;

namespace ModelCsi.Driver.Tests;

/// <summary>What an operator types and reads: flags, the YAML file, start-up errors, --help, --version and the log lines.</summary>
public sealed partial class DriverConfigurationTests
{
    public static TheoryData<string, string, string[]> Mistakes => new()
    {
        { "an unknown flag", "--bogus", ["--bogus", "x"] },
        { "a flag without its value", "--node-id", ["--node-id"] },
        { "a bad size", "cache.maxSize", ["--cache-max-size", "lots"] },
        { "a bad duration", "cache.gcInterval", ["--cache-gc-interval", "ten minutes"] },
        { "a bad enum", "logFormat", ["--log-format", "xml"] },
        { "a bad endpoint", "tcp://127.0.0.1:9000", ["--endpoint", "tcp://127.0.0.1:9000"] },
        { "a value out of range", "cache.minFreePercent", ["--cache-min-free-percent", "150"] },
        { "an unreadable config file", "/no/such/config.yaml", ["--config", "/no/such/config.yaml"] },
    };

    [Theory]
    [MemberData(nameof(Mistakes))]
    public async Task A_driver_started_with_a_mistake_exits_2_with_one_line_naming_it(string mistake, string named, string[] args)
    {
        var output = await StartAndFailAsync(args);

        Assert.True(output.Lines.Count == 1, $"{mistake}: {output.Text}");
        Assert.Contains(named, output.Lines[0], StringComparison.Ordinal);
        Assert.StartsWith("modelcsi-driver: invalid configuration:", output.Lines[0], StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("cache:\n  maxSzie: 10Gi\n", "cache.maxSzie")]
    [InlineData("nodee:\n  rootDir: /x\n", "nodee")]
    [InlineData("registries:\n  - host: r.example\n    plainHtp: true\n", "registries[0].plainHtp")]
    [InlineData("cache:\n  maxSize: lots\n", "cache.maxSize")]
    [InlineData("credentials:\n  podPullSecrets: maybe\n", "credentials.podPullSecrets")]
    [InlineData("endpoint: [\n", "not valid YAML")]
    public async Task A_mistake_in_the_config_file_exits_2_with_one_line_naming_the_key(string yaml, string named)
    {
        using var scratch = new ScratchDirectory();
        var config = scratch.Combine("config.yaml");
        await File.WriteAllTextAsync(config, yaml);

        var output = await StartAndFailAsync(["--config", config]);

        Assert.True(output.Lines.Count == 1, output.Text);
        Assert.Contains(named, output.Lines[0], StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_metrics_port_already_in_use_exits_2_with_one_line_naming_the_address()
    {
        using var taken = new TcpListener(IPAddress.Loopback, 0);
        taken.Start();
        var address = "127.0.0.1:" + ((IPEndPoint)taken.LocalEndpoint).Port;

        var output = await StartAndFailAsync(["--metrics-address", address]);

        Assert.True(output.Lines.Count == 1, output.Text);
        Assert.Contains(address, output.Lines[0], StringComparison.Ordinal);
    }

    [Fact]
    public async Task Help_lists_every_flag_with_its_default()
    {
        var output = await RunToEndAsync("--help");

        Assert.Equal(0, output.ExitCode);
        foreach (var entry in DriverOptionCatalog.All)
        {
            Assert.Contains(entry.Flag ?? entry.Key, output.Text, StringComparison.Ordinal);
            Assert.Contains(entry.Key, output.Text, StringComparison.Ordinal);
            if (entry.Default.Length > 0)
            {
                Assert.Contains(entry.Default, output.Text, StringComparison.Ordinal);
            }
        }
    }

    [Fact]
    public void Every_option_has_a_description_for_help()
    {
        Assert.Empty(DriverOptionCatalog.All.Where(e => e.Description.Length == 0).Select(e => e.Key));
    }

    [Fact]
    public async Task Version_prints_version_commit_and_runtime()
    {
        var output = await RunToEndAsync("--version");

        Assert.Equal(0, output.ExitCode);
        Assert.Matches(@"^modelcsi-driver \d+\.\d+\.\d+\S* \(commit \S+, \.NET \d+", output.Text);
    }

    [Theory]
    [InlineData("-v=5", LogLevel.Trace)]
    [InlineData("--v=4", LogLevel.Debug)]
    [InlineData("-v=2", LogLevel.Information)]
    [InlineData("--log-level=warning", LogLevel.Warning)]
    public void The_sidecars_verbosity_flag_sets_the_log_level(string flag, LogLevel expected)
    {
        var parsed = DriverCommandLine.Parse([flag]);

        var value = Assert.Single(parsed.Values, v => v.Key == "logLevel").Value;
        Assert.Equal(expected, Enum.Parse<LogLevel>(value!, ignoreCase: true));
    }

    [Fact]
    public void A_flag_given_twice_keeps_its_last_value()
    {
        var parsed = DriverCommandLine.Parse(["--node-id", "a", "--no-proxy", "x,y", "--node-id=b", "--no-proxy", "z"]);

        Assert.Equal([new("nodeId", "b"), new("noProxy:0", "z")], parsed.Values);
    }

    [Fact]
    public void A_list_flag_replaces_the_config_files_list()
    {
        using var scratch = new ScratchDirectory();
        var path = scratch.Combine("config.yaml");
        File.WriteAllText(path, "noProxy: [a, b, c]\nhttpProxy: http://proxy:3128\n");
        var configuration = new Microsoft.Extensions.Configuration.ConfigurationManager();

        DriverConfiguration.Apply(configuration, DriverCommandLine.Parse(["--config", path, "--no-proxy", "z"]));

        var registries = new DriverRegistryOptions();
        Microsoft.Extensions.Configuration.ConfigurationBinder.Bind(configuration, registries);
        Assert.Equal(["z"], registries.NoProxy);
        Assert.Equal("http://proxy:3128", registries.HttpProxy);
    }

    [Fact]
    public void List_flags_take_comma_separated_values_and_boolean_flags_stand_alone()
    {
        var parsed = DriverCommandLine.Parse(["--no-proxy", ".svc, 10.0.0.1", "--events-enabled", "--credentials-node-docker-config=false"]);

        Assert.Equal(
            [new("noProxy:0", ".svc"), new("noProxy:1", "10.0.0.1"), new("events:enabled", "true"), new("credentials:nodeDockerConfig", "false")],
            parsed.Values);
    }

    [Fact]
    public async Task Json_logs_are_one_object_per_line_with_the_rpc_fields_and_no_framework_scopes()
    {
        var driver = await DriverProcess.StartAsync(null, "--log-format", "json", "--log-level", "debug");
        await using (driver)
        {
            await new Identity.IdentityClient(driver.Channel).ProbeAsync(new ProbeRequest(), new CallOptions(deadline: DateTime.UtcNow + DriverProcess.Patience));
            await Eventually.ValueAsync(() => driver.Output, output => output.Contains("\"rpc\":\"Probe\"", StringComparison.Ordinal), DriverProcess.Patience);

            var lines = driver.Output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
            foreach (var line in lines)
            {
                using var document = JsonDocument.Parse(line);
                var root = document.RootElement;
                foreach (var field in new[] { "timestamp", "level", "message", "eventId" })
                {
                    Assert.True(root.TryGetProperty(field, out _), $"{field} missing in {line}");
                }
            }
            var rpc = Assert.Single(lines, l => l.Contains("\"rpc\":\"Probe\"", StringComparison.Ordinal) && l.Contains("started", StringComparison.Ordinal));
            Assert.Contains("\"eventName\":\"RpcStarted\"", rpc, StringComparison.Ordinal);
            Assert.DoesNotContain("ConnectionId", driver.Output, StringComparison.Ordinal);
            Assert.DoesNotContain("RequestId", driver.Output, StringComparison.Ordinal);
            Assert.DoesNotContain("SpanId", driver.Output, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task A_failed_publish_is_logged_once_with_its_pod_and_no_forged_lines()
    {
        var driver = await DriverProcess.StartAsync(null, "--log-format", "json");
        await using (driver)
        {
            var request = NodeValidationOverSocketTests.ValidPublish(driver.Scratch.Combine("pods", "p", "mount"));
            request.VolumeContext["modelRef"] = "Not A Reference";
            request.VolumeContext["csi.storage.k8s.io/pod.name"] = "infer-0";
            request.VolumeContext["csi.storage.k8s.io/pod.namespace"] = "ml";
            request.VolumeId = "vol-1\n{\"level\":\"Critical\",\"message\":\"forged\"}";

            await Assert.ThrowsAsync<RpcException>(() => new Node.NodeClient(driver.Channel)
                .NodePublishVolumeAsync(request, new CallOptions(deadline: DateTime.UtcNow + DriverProcess.Patience)).ResponseAsync);
            await Eventually.ValueAsync(() => driver.Output, output => output.Contains("RpcFailed", StringComparison.Ordinal), DriverProcess.Patience);

            var failures = driver.Output.Split('\n', StringSplitOptions.RemoveEmptyEntries).Where(l => l.Contains("InvalidArgument", StringComparison.Ordinal)).ToList();
            var failure = Assert.Single(failures);
            Assert.Contains("ml", failure, StringComparison.Ordinal);
            Assert.Contains("infer-0", failure, StringComparison.Ordinal);
            Assert.DoesNotContain(driver.Output.Split('\n', StringSplitOptions.RemoveEmptyEntries), l => l.StartsWith("{\"level\":\"Critical\"", StringComparison.Ordinal));
        }
    }

    [Fact]
    public void Every_log_message_of_the_driver_and_core_has_its_own_event_id()
    {
        var messages = new[] { typeof(DriverOptions).Assembly, typeof(Core.Cache.ByteSize).Assembly }
            .SelectMany(a => a.GetTypes())
            .SelectMany(t => t.GetMethods(BindingFlags.Static | BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.DeclaredOnly))
            .Select(m => (Method: m, Attribute: m.GetCustomAttribute<LoggerMessageAttribute>()))
            .Where(m => m.Attribute is not null)
            .ToList();

        Assert.NotEmpty(messages);
        var duplicates = messages.GroupBy(m => m.Attribute!.EventId).Where(g => g.Count() > 1)
            .Select(g => $"{g.Key}: {string.Join(", ", g.Select(m => m.Method.DeclaringType!.FullName + "." + m.Method.Name))}")
            .ToList();
        Assert.True(duplicates.Count == 0, "EventIds used twice: " + string.Join("; ", duplicates));
    }

    [Fact]
    public void The_readme_options_table_lists_every_option_the_driver_reads_and_no_other()
    {
        var readme = File.ReadAllText(RepositoryFile("README.md"));
        var section = readme[readme.IndexOf("### Driver options", StringComparison.Ordinal)..];
        section = section[..section.IndexOf("\n### ", 5, StringComparison.Ordinal)];
        var documented = TableKey().Matches(section).Select(m => m.Groups["key"].Value).ToHashSet(StringComparer.Ordinal);

        var known = DriverOptionCatalog.All.Select(e => e.Key).ToHashSet(StringComparer.Ordinal);
        Assert.Empty(known.Except(documented));
        Assert.Empty(documented.Except(known));
        foreach (var entry in DriverOptionCatalog.All.Where(e => e.Flag is not null))
        {
            Assert.Contains($"`{entry.Flag}", section, StringComparison.Ordinal);
        }
    }

    /// <summary>The YAML key column: a row starting with "| `key`".</summary>
    [GeneratedRegex(@"^\| `(?<key>[a-zA-Z.]+)` \|", RegexOptions.Multiline)]
    private static partial Regex TableKey();

    private static string RepositoryFile(string name)
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            if (File.Exists(Path.Join(directory.FullName, "ModelCsi.sln")))
            {
                return Path.Join(directory.FullName, name);
            }
        }
        throw new InvalidOperationException($"no ModelCsi.sln above {AppContext.BaseDirectory}");
    }

    private static async Task<(IReadOnlyList<string> Lines, string Text)> StartAndFailAsync(string[] args)
    {
        // The driver process owns and deletes its scratch directory.
        using var scratch = new ScratchDirectory();
        var driver = DriverProcess.Launch(scratch, scratch.Combine("plugin", "csi.sock"), args);
        await using (driver)
        {
            Assert.True(await driver.WaitForExitAsync(), driver.Output);
            // Output is read asynchronously; exit comes first, the last lines right after.
            await Task.Run(() => driver.WaitForOutputEnd());
            Assert.True(driver.ExitCode == 2, $"exit {driver.ExitCode}: {driver.Output}");
            var lines = driver.Output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
            return (lines, driver.Output);
        }
    }

    private static async Task<(int ExitCode, string Text)> RunToEndAsync(params string[] args)
    {
        // The driver process owns and deletes its scratch directory.
        using var scratch = new ScratchDirectory();
        var driver = DriverProcess.Launch(scratch, scratch.Combine("plugin", "csi.sock"), args);
        await using (driver)
        {
            Assert.True(await driver.WaitForExitAsync(), driver.Output);
            driver.WaitForOutputEnd();
            return (driver.ExitCode, driver.Output);
        }
    }
}
