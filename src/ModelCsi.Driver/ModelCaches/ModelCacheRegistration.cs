using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using ModelCsi.Core.Kubernetes;
using ModelCsi.Core.Oci;
using ModelCsi.Core.Oci.Credentials;
using ModelCsi.Driver.Kubernetes;
using ModelCsi.Driver.Options;
using Prometheus;

namespace ModelCsi.Driver.ModelCaches;

/// <summary>
/// Registers the ModelCache loops (after <c>AddRegistryAccess</c>, which registers the Kubernetes connection): the node agent in node mode (once an
/// <see cref="IModelWarmer"/> is registered), the controller in controller mode. Both stay idle without a
/// Kubernetes API or with <c>modelCache.enabled: false</c>.
/// </summary>
public static class ModelCacheRegistration
{
    public static IServiceCollection AddModelCaches(this IServiceCollection services, IConfiguration configuration)
    {
        // A zero or negative interval would spin or stop a loop: a broken config fails at start, in one line.
        services.AddOptions<ModelCacheResourceOptions>().Bind(configuration.GetSection("modelCache"))
            .Validate(o => o.ProgressInterval >= TimeSpan.Zero && o.RetryFailedAfter > TimeSpan.Zero && o.ResyncInterval > TimeSpan.Zero
                           && o.ReconnectBackoff > TimeSpan.Zero && o.ReconnectBackoffMax >= o.ReconnectBackoff,
                "modelCache: retryFailedAfter, resyncInterval and reconnectBackoff must be positive, progressInterval not negative, and reconnectBackoffMax at least reconnectBackoff")
            .ValidateOnStart();
        services.TryAddSingleton<KubernetesConnection>();
        services.AddSingleton(_ => new ModelCacheMetrics(Metrics.DefaultRegistry));
        services.AddHostedService(sp =>
        {
            var driver = sp.GetRequiredService<IOptions<DriverOptions>>().Value;
            var options = sp.GetRequiredService<IOptions<ModelCacheResourceOptions>>().Value;
            // Resolved only for a node: the warmer opens the cache, which a controller-only process must not touch.
            var warmer = driver.ServesNode && options.Enabled ? sp.GetService<IModelWarmer>() : null;
            var active = driver.ServesNode && options.Enabled && warmer is not null;
            return new ModelCacheNodeAgent(active ? sp.GetRequiredService<KubernetesConnection>().Client : null, driver.NodeId, warmer,
                active && options.PullSecrets ? sp.GetRequiredService<IKubernetesApi>() : null, options,
                active ? sp.GetRequiredService<ModelCacheMetrics>() : new ModelCacheMetrics(Metrics.NewCustomRegistry()),
                sp.GetRequiredService<TimeProvider>(), sp.GetRequiredService<ILoggerFactory>());
        });
        services.AddHostedService(sp =>
        {
            var driver = sp.GetRequiredService<IOptions<DriverOptions>>().Value;
            var options = sp.GetRequiredService<IOptions<ModelCacheResourceOptions>>().Value;
            var active = driver.ServesController && options.Enabled;
            var resolver = new ModelRefResolver(sp.GetRequiredService<RegistryClient>(), sp.GetRequiredService<CredentialResolver>(),
                active && options.PullSecrets ? sp.GetRequiredService<IKubernetesApi>() : null);
            return new ModelCacheController(active ? sp.GetRequiredService<KubernetesConnection>().Client : null, resolver, options,
                sp.GetRequiredService<TimeProvider>(), sp.GetRequiredService<ILogger<ModelCacheController>>());
        });
        return services;
    }
}
