using System.CommandLine;
using Csi.V1;
using Grpc.Core;
using ModelCsi.Cli.Output;
using AccessMode = Csi.V1.VolumeCapability.Types.AccessMode.Types.Mode;

namespace ModelCsi.Cli.Commands;

/// <summary>
/// <c>modelcsi csi ...</c>: drives a CSI driver's socket by hand, the way kubelet would, for demos and for
/// debugging a node (is the plugin up, what does a publish of this model answer).
/// </summary>
public sealed class CsiCommand : Command
{
    private readonly CliConsole _console;
    private readonly GlobalOptions _globals;

    private readonly Option<string> _endpoint = new("--endpoint")
    {
        Description = "The driver's socket, unix:///path/csi.sock (default: $CSI_ENDPOINT)",
    };

    private readonly Option<TimeSpan> _timeout = new("--timeout")
    {
        Description = "Deadline of the call (kubelet uses about 2 minutes for a publish)",
        DefaultValueFactory = _ => TimeSpan.FromMinutes(5),
    };

    public CsiCommand(CliConsole console, GlobalOptions globals)
        : base("csi", "Talk to a CSI driver's unix socket like kubelet: probe, publish, unpublish, stats.")
    {
        _console = console;
        _globals = globals;
        Add(ProbeCommand());
        Add(PublishCommand());
        Add(UnpublishCommand());
        Add(StatsCommand());
    }

    private Command WithCommonOptions(Command command)
    {
        command.Add(_endpoint);
        command.Add(_timeout);
        return command;
    }

    private Command ProbeCommand()
    {
        var command = WithCommonOptions(new Command("probe", "Show the plugin's name, version, capabilities and readiness, and the node id"));
        command.SetAction((parse, token) => CallAsync(parse, "probe", async (channel, options) =>
        {
            var identity = new Identity.IdentityClient(channel);
            var info = await identity.GetPluginInfoAsync(new GetPluginInfoRequest(), options);
            var capabilities = await identity.GetPluginCapabilitiesAsync(new GetPluginCapabilitiesRequest(), options);
            var probe = await identity.ProbeAsync(new ProbeRequest(), options);
            await _console.Out.WriteLineAsync($"plugin:       {info.Name} {info.VendorVersion}");
            var names = capabilities.Capabilities.Select(c => c.Service?.Type.ToString() ?? c.TypeCase.ToString()).ToList();
            await _console.Out.WriteLineAsync($"capabilities: {(names.Count == 0 ? "(none: node service only)" : string.Join(", ", names))}");
            await _console.Out.WriteLineAsync($"ready:        {probe.Ready ?? true}");
            try
            {
                var node = await new Node.NodeClient(channel).NodeGetInfoAsync(new NodeGetInfoRequest(), options);
                await _console.Out.WriteLineAsync($"node id:      {node.NodeId}");
            }
            catch (RpcException e) when (e.StatusCode == StatusCode.Unimplemented)
            {
                await _console.Out.WriteLineAsync("node id:      (node service not served: controller mode)");
            }

            return probe.Ready == false ? ExitCodes.Unavailable : ExitCodes.Success;
        }, token));
        return command;
    }

    private Command PublishCommand()
    {
        var volumeId = new Option<string>("--volume-id") { Description = "CSI volume id", Required = true };
        var target = new Option<string>("--target") { Description = "Target path to mount the model at (created if missing)", Required = true };
        var model = new Option<string>("--model-ref") { Description = "Model reference (volume attribute modelRef)", Required = true };
        var subPath = new Option<string?>("--sub-path") { Description = "Mount only this folder of the model" };
        var attributes = new Option<string[]>("--attr") { Description = "Extra volume attribute key=value (repeatable)", AllowMultipleArgumentsPerToken = false };
        var secrets = new Option<string[]>("--secret") { Description = "Publish secret key=value (repeatable), e.g. username=..., password=..." };
        var pod = new Option<string?>("--pod") { Description = "Act as kubelet for an inline volume of pod NAMESPACE/NAME: SINGLE_NODE_WRITER, pod info keys and ephemeral=true" };
        var metricsUrl = new Option<Uri?>("--metrics-url") { Description = "The driver's metrics listener (http://127.0.0.1:9090): show download bytes and rate while it pulls" };
        var command = WithCommonOptions(new Command("publish", "NodePublishVolume: pull the model if needed and bind-mount it read-only at the target"));
        foreach (var option in new Option[] { volumeId, target, model, subPath, attributes, secrets, pod, metricsUrl })
        {
            command.Add(option);
        }

        command.SetAction((parse, token) => CallAsync(parse, "publish", async (channel, options) =>
        {
            var request = new NodePublishVolumeRequest
            {
                VolumeId = parse.GetValue(volumeId)!,
                TargetPath = Path.GetFullPath(parse.GetValue(target)!),
                Readonly = true,
                VolumeCapability = new VolumeCapability
                {
                    Mount = new VolumeCapability.Types.MountVolume(),
                    AccessMode = new VolumeCapability.Types.AccessMode { Mode = AccessMode.MultiNodeReaderOnly },
                },
                VolumeContext = { ["modelRef"] = parse.GetValue(model)! },
            };
            if (parse.GetValue(subPath) is { } sub)
            {
                request.VolumeContext["subPath"] = sub;
            }

            foreach (var (key, value) in Pairs(parse.GetValue(attributes), "--attr"))
            {
                request.VolumeContext[key] = value;
            }

            foreach (var (key, value) in Pairs(parse.GetValue(secrets), "--secret"))
            {
                request.Secrets[key] = value;
            }

            if (parse.GetValue(pod) is { } podName)
            {
                AddInlinePodInfo(request, podName);
            }

            var started = _console.Time.GetTimestamp();
            using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(5) };
            var scrape = parse.GetValue(metricsUrl) is { } url ? PublishProgress.HttpScraper(http, url) : null;
            var progress = new PublishProgress(_console, request.VolumeContext["modelRef"], scrape);
            var publish = new Node.NodeClient(channel).NodePublishVolumeAsync(request, options).ResponseAsync;
            await (parse.GetValue(_globals.Quiet) ? publish : progress.TrackAsync(publish, options.CancellationToken));
            var elapsed = _console.Time.GetElapsedTime(started);
            await _console.Out.WriteLineAsync($"published {request.VolumeContext["modelRef"]} at {request.TargetPath} ({elapsed.TotalMilliseconds:F0} ms)");
            return ExitCodes.Success;
        }, token));
        return command;
    }

    private Command UnpublishCommand()
    {
        var volumeId = new Option<string>("--volume-id") { Description = "CSI volume id", Required = true };
        var target = new Option<string>("--target") { Description = "Target path the volume was published at", Required = true };
        var command = WithCommonOptions(new Command("unpublish", "NodeUnpublishVolume: unmount and remove the target"));
        command.Add(volumeId);
        command.Add(target);
        command.SetAction((parse, token) => CallAsync(parse, "unpublish", async (channel, options) =>
        {
            var path = Path.GetFullPath(parse.GetValue(target)!);
            await new Node.NodeClient(channel).NodeUnpublishVolumeAsync(
                new NodeUnpublishVolumeRequest { VolumeId = parse.GetValue(volumeId)!, TargetPath = path }, options);
            await _console.Out.WriteLineAsync($"unpublished {path}");
            return ExitCodes.Success;
        }, token));
        return command;
    }

    private Command StatsCommand()
    {
        var volumeId = new Option<string>("--volume-id") { Description = "CSI volume id", Required = true };
        var path = new Option<string>("--path") { Description = "Path the volume is published at", Required = true };
        var command = WithCommonOptions(new Command("stats", "NodeGetVolumeStats: bytes and inodes of a published model"));
        command.Add(volumeId);
        command.Add(path);
        command.SetAction((parse, token) => CallAsync(parse, "stats", async (channel, options) =>
        {
            var stats = await new Node.NodeClient(channel).NodeGetVolumeStatsAsync(
                new NodeGetVolumeStatsRequest { VolumeId = parse.GetValue(volumeId)!, VolumePath = Path.GetFullPath(parse.GetValue(path)!) }, options);
            foreach (var usage in stats.Usage)
            {
                await _console.Out.WriteLineAsync($"{usage.Unit}: used {usage.Used}, total {usage.Total}, available {usage.Available}");
            }

            return ExitCodes.Success;
        }, token));
        return command;
    }

    /// <summary>What kubelet adds for an inline volume when the CSIDriver has podInfoOnMount.</summary>
    private static void AddInlinePodInfo(NodePublishVolumeRequest request, string pod)
    {
        var parts = pod.Split('/', 2);
        var (podNamespace, podName) = parts.Length == 2 ? (parts[0], parts[1]) : ("default", parts[0]);
        request.VolumeCapability.AccessMode.Mode = AccessMode.SingleNodeWriter;
        request.VolumeContext["csi.storage.k8s.io/pod.name"] = podName;
        request.VolumeContext["csi.storage.k8s.io/pod.namespace"] = podNamespace;
        request.VolumeContext["csi.storage.k8s.io/pod.uid"] = Guid.NewGuid().ToString();
        request.VolumeContext["csi.storage.k8s.io/serviceAccount.name"] = "default";
        request.VolumeContext["csi.storage.k8s.io/ephemeral"] = "true";
    }

    private static IEnumerable<(string Key, string Value)> Pairs(string[]? values, string option)
    {
        foreach (var value in values ?? [])
        {
            var split = value.IndexOf('=', StringComparison.Ordinal);
            if (split <= 0)
            {
                throw new CliUsageException($"{option} '{value.Split('=')[0]}...' must be key=value");
            }

            yield return (value[..split], value[(split + 1)..]);
        }
    }

    private async Task<int> CallAsync(ParseResult parse, string verb, Func<Grpc.Net.Client.GrpcChannel, CallOptions, Task<int>> call, CancellationToken cancellationToken)
    {
        var endpoint = parse.GetValue(_endpoint) ?? _console.GetEnvironmentVariable("CSI_ENDPOINT") ?? string.Empty;
        try
        {
            if (endpoint.Length == 0)
            {
                throw new CliUsageException("--endpoint (or CSI_ENDPOINT) is required");
            }

            using var channel = CsiChannel.Open(endpoint);
            var options = new CallOptions(deadline: DateTime.UtcNow + parse.GetValue(_timeout), cancellationToken: cancellationToken);
            return await call(channel, options);
        }
        catch (Exception e) when (e is RpcException or CliUsageException or OperationCanceledException or HttpRequestException)
        {
            // gRPC wraps a socket that refuses connections in Unavailable("Error connecting to subchannel"): say what it is.
            var failure = SocketUnreachableException.Find(e) ?? e;
            var action = failure is SocketUnreachableException ? $"csi {verb}" : $"csi {verb} {endpoint}";
            return ErrorReport.Write(failure, action, _console, parse.GetValue(_globals.Verbose));
        }
    }
}
