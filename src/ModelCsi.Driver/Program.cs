using Microsoft.AspNetCore.Server.Kestrel.Core;
using System.Net;
using Microsoft.Extensions.Options;
using ModelCsi.Core.Cache;
using ModelCsi.Core.ModelPack;
using ModelCsi.Core.Mounting;
using ModelCsi.Core.Oci;
using ModelCsi.Core.Signing;
using ModelCsi.Core.State;
using ModelCsi.Driver;
using ModelCsi.Driver.Grpc;
using ModelCsi.Driver.Options;
using Prometheus;
using ModelCsi.Driver.Logging;

DriverCommandLine commandLine;
try
{
    commandLine = DriverCommandLine.Parse(args);
}
catch (DriverConfigurationException e)
{
    return await DriverStartup.FailAsync(e.Message);
}
if (commandLine.ShowHelp || commandLine.ShowVersion)
{
    await Console.Out.WriteAsync(commandLine.ShowHelp ? DriverHelp.Text() : DriverVersion.Describe() + Environment.NewLine);
    return 0;
}

CsiMetrics.ExportOnlyProcessDefaults();
var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { Args = [] });
try
{
    DriverConfiguration.Apply(builder.Configuration, commandLine);
    DriverStartup.CheckMetricsAddressFree(builder.Configuration[nameof(DriverOptions.MetricsAddress)]);
    // Before anything else starts: a second instance must not take over (and delete) a live driver's socket.
    if (CsiEndpoint.TryParse(builder.Configuration[nameof(DriverOptions.Endpoint)], out var liveCheckPath, out _))
    {
        CsiEndpoint.ThrowIfServed(liveCheckPath);
    }
}
catch (DriverConfigurationException e)
{
    return await DriverStartup.FailAsync(e.Message);
}
DriverLogging.Configure(builder.Logging, builder.Configuration);

builder.Services.AddOptions<DriverOptions>().Bind(builder.Configuration).ValidateOnStart();
builder.Services.AddSingleton<IValidateOptions<DriverOptions>, DriverOptionsValidator>();
builder.Services.Configure<DriverRegistryOptions>(builder.Configuration);
builder.Services.AddSingleton(TimeProvider.System);
builder.Services.AddSingleton<IMounter, LibcMounter>();
builder.Services.AddSingleton<VolumeOperationLocks>();
builder.Services.AddSingleton<IPublishedVolumeStore>(sp =>
{
    var rootDir = sp.GetRequiredService<IOptions<DriverOptions>>().Value.RootDir;
    HostDirectories.Secure(rootDir);
    return new PublishedVolumeStore(rootDir, sp.GetRequiredService<ILogger<PublishedVolumeStore>>());
});
builder.Services.AddSingleton<PublishedLeases>();
builder.Services.AddSingleton<ModelEntryCounts>();
// The binds made before a restart are taken up from one read of the mount table, before the first node RPC needs them.
builder.Services.AddSingleton(sp =>
{
    var mounts = new OwnMounts(sp.GetRequiredService<IMounter>(), sp.GetRequiredService<ILogger<OwnMounts>>());
    var volumes = sp.GetRequiredService<IPublishedVolumeStore>().All.Where(v => !v.Dynamic).ToList();
    var notMounted = mounts.Adopt(volumes.Select(v => (v.TargetPath, v.SourcePath))).ToHashSet(StringComparer.Ordinal);
    foreach (var volume in volumes.Where(v => notMounted.Contains(v.TargetPath)))
    {
        // Kept, not removed: kubelet still owns the volume and will unpublish it (which cleans up), and until
        // then its model stays protected from eviction, the safe side when in doubt.
        Log.PublishedButNotMounted(sp.GetRequiredService<ILogger<OwnMounts>>(), volume.VolumeId, volume.TargetPath);
    }
    return mounts;
});

builder.Services.AddSingleton(sp => new RegistryClient(
    sp.GetRequiredService<IOptions<DriverRegistryOptions>>().Value.ToClientOptions(),
    sp.GetRequiredService<ILogger<RegistryClient>>(),
    sp.GetRequiredService<TimeProvider>(),
    sp.GetRequiredService<CacheMetrics>()));
// Registry credentials (CSI secrets, pod imagePullSecrets, node docker config) and pod pull Events.
builder.Services.AddRegistryAccess(builder.Configuration);
// ModelCache objects (and the Kubernetes connection every API feature shares: --kubeconfig, KUBECONFIG, in-cluster).
ModelCsi.Driver.ModelCaches.ModelCacheRegistration.AddModelCaches(builder.Services, builder.Configuration);
builder.Services.AddSingleton<ModelCsi.Driver.ModelCaches.IModelWarmer, ModelCsi.Driver.ModelCaches.CacheModelWarmer>();

builder.Services.AddOptions<ModelCacheOptions>()
    .Bind(builder.Configuration.GetSection("cache"))
    .PostConfigure<IOptions<DriverOptions>>((cache, driver) => cache.RootDirectory = driver.Value.RootDir)
    .ValidateOnStart();
builder.Services.AddSingleton<IValidateOptions<ModelCacheOptions>, CacheOptionsValidator>();
builder.Services.AddSingleton<LayerUnpacker>();
// The signature policy: rules and keys are read once, at start (a bad rule or key stops the driver there).
builder.Services.AddOptions<SignaturePolicyOptions>().Bind(builder.Configuration.GetSection("signatures")).ValidateOnStart();
builder.Services.AddSingleton<IValidateOptions<SignaturePolicyOptions>, SignaturePolicyOptionsValidator>();
builder.Services.AddSingleton(new SignatureMetrics(Metrics.DefaultRegistry));
builder.Services.AddSingleton(sp => SignaturePolicy.Create(sp.GetRequiredService<IOptions<SignaturePolicyOptions>>().Value));
builder.Services.AddSingleton<IModelSignatureVerifier>(sp => ActivatorUtilities.CreateInstance<ModelSignatureVerifier>(sp));
builder.Services.AddSingleton(new CacheMetrics(Metrics.DefaultRegistry));
builder.Services.AddSingleton(new CsiMetrics(Metrics.DefaultRegistry));
builder.Services.AddSingleton(sp =>
{
    // Opening the cache reconciles it with the disk. Volumes published before a restart take their leases back
    // before anything can evict their models.
    var cache = ActivatorUtilities.CreateInstance<ModelCache>(sp);
    sp.GetRequiredService<PublishedLeases>().Restore(sp.GetRequiredService<IPublishedVolumeStore>(), cache);
    return cache;
});
builder.Services.AddSingleton<CacheCapacityMetrics>();
builder.Services.AddHostedService<CacheCollectionService>();
builder.Services.AddSingleton<IModelSource>(sp => sp.GetRequiredService<ModelCache>());
builder.Services.AddSingleton<ProvisionedVolumes>();
builder.Services.AddSingleton<ModelCsi.Driver.Dynamic.DynamicVolumeServer>();
builder.Services.AddSingleton<ModelCsi.Driver.Dynamic.DynamicVolumes>();
builder.Services.AddHostedService<ModelCsi.Driver.Dynamic.DynamicVolumeService>();

builder.Services.AddGrpc(grpc => grpc.Interceptors.Add<ExceptionMappingInterceptor>());
builder.Services.AddOptions<KestrelServerOptions>().Configure<IOptions<DriverOptions>>((kestrel, driver) =>
{
    var socketPath = CsiEndpoint.SocketPath(driver.Value.Endpoint);
    CsiEndpoint.PrepareSocketPath(socketPath);
    kestrel.ListenUnixSocket(socketPath, listen => listen.Protocols = HttpProtocols.Http2);
    if (!string.IsNullOrEmpty(driver.Value.MetricsAddress) && MetricsEndpoint.TryParse(driver.Value.MetricsAddress, out var metrics))
    {
        // ListenAnyIP binds IPv6 and IPv4 where it can and falls back to IPv4 on nodes without IPv6.
        if (metrics.Address.Equals(IPAddress.Any))
        {
            kestrel.ListenAnyIP(metrics.Port, listen => listen.Protocols = HttpProtocols.Http1);
        }
        else
        {
            kestrel.Listen(metrics, listen => listen.Protocols = HttpProtocols.Http1);
        }
    }
});

try
{
    var app = builder.Build();
    // Resolved here, before the host starts, so a validation failure is our one line and not the host's stack trace too.
    var options = app.Services.GetRequiredService<IOptions<DriverOptions>>().Value;
    _ = app.Services.GetRequiredService<IOptions<ModelCacheOptions>>().Value;
    app.MapGrpcService<IdentityService>();
    if (options.ServesNode)
    {
        app.MapGrpcService<NodeService>();
    }
    if (options.ServesController)
    {
        app.MapGrpcService<ControllerService>();
    }
    if (!string.IsNullOrEmpty(options.MetricsAddress))
    {
        // Metrics are meant for Prometheus over TCP; the unix socket speaks HTTP/2 only and is left to gRPC.
        app.MapMetrics("/metrics");
        app.MapGet("/healthz", (ModelCache cache) => CacheHealth.IsUsable(cache.Layout) ? Results.Text("ok") : Results.Text("cache directory not writable", statusCode: 503));
    }

    app.Lifetime.ApplicationStarted.Register(() =>
    {
        // Loading the records at start means a restarted driver knows what it mounted before the first RPC.
        // Re-marking their models keeps eviction away from volumes published before a restart.
        // A controller-only process has no cache and no records (and, running as non-root, no root dir).
        if (options.ServesNode)
        {
            var volumes = app.Services.GetRequiredService<IPublishedVolumeStore>();
            app.Services.GetRequiredService<OwnMounts>();
            app.Services.GetRequiredService<CsiMetrics>().PublishedVolumes.Set(volumes.Count);
            app.Services.GetRequiredService<CacheCapacityMetrics>().Register(Metrics.DefaultRegistry);
        }
        if (!string.IsNullOrEmpty(options.MetricsAddress))
        {
            Log.MetricsListening(app.Logger, options.MetricsAddress);
        }
        Log.Listening(app.Logger, options.DriverName, DriverVersion.Current, options.Mode, CsiEndpoint.SocketPath(options.Endpoint), options.NodeId);
    });
    app.Lifetime.ApplicationStopped.Register(() => File.Delete(CsiEndpoint.SocketPath(options.Endpoint)));

    await app.RunAsync();
    return 0;
}
catch (OptionsValidationException ex)
{
    // A misconfigured DaemonSet should say what is wrong in one line, not in a stack trace.
    return await DriverStartup.FailAsync(ex.Message);
}
catch (IOException ex) when (DriverStartup.IsBindFailure(ex))
{
    // Kestrel: "Failed to bind to address http://0.0.0.0:9090: address already in use."
    return await DriverStartup.FailAsync(ex.Message);
}
