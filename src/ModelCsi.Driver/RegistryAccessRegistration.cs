using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using ModelCsi.Core.Kubernetes;
using ModelCsi.Core.Oci.Credentials;
using ModelCsi.Driver.Kubernetes;
using ModelCsi.Driver.Options;

namespace ModelCsi.Driver;

/// <summary>Registers credential resolution and pod pull Events; the Kubernetes client is only built when one of them needs it.</summary>
public static class RegistryAccessRegistration
{
    public static IServiceCollection AddRegistryAccess(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddOptions<CredentialOptions>().Bind(configuration.GetSection("credentials"));
        services.AddOptions<PullEventOptions>().Bind(configuration.GetSection("events"));
        services.AddOptions<KubernetesOptions>().Bind(configuration.GetSection("kubernetes"));
        services.TryAddSingleton<KubernetesConnection>();
        services.AddSingleton<IKubernetesApi>(sp => new KubernetesApi(sp.GetRequiredService<KubernetesConnection>().Configuration
            ?? throw new InvalidOperationException("pod pull secrets, Events and ModelCache pull secrets need a Kubernetes API: run in a cluster or pass --kubeconfig")));
        services.AddSingleton(sp =>
        {
            var options = sp.GetRequiredService<IOptions<CredentialOptions>>().Value;
            var sources = new List<ICredentialSource> { new SecretsCredentialSource() };
            if (options.PodPullSecrets)
            {
                sources.Add(new PodPullSecretsCredentialSource(sp.GetRequiredService<IKubernetesApi>(),
                    sp.GetRequiredService<ILogger<PodPullSecretsCredentialSource>>()));
            }

            if (options.NodeDockerConfig)
            {
                sources.Add(new DockerConfigFileCredentialSource(options.EffectiveDockerConfigPaths,
                    sp.GetRequiredService<ILogger<DockerConfigFileCredentialSource>>()));
            }

            return new CredentialResolver(sources, sp.GetRequiredService<ILogger<CredentialResolver>>());
        });
        services.AddSingleton(sp => new PullEventReporterFactory(
            sp.GetRequiredService<IKubernetesApi>,
            sp.GetRequiredService<IOptions<PullEventOptions>>(),
            sp.GetRequiredService<TimeProvider>(),
            sp.GetRequiredService<ILogger<PullEventReporter>>(),
            sp.GetRequiredService<IOptions<DriverOptions>>().Value.NodeId));
        return services;
    }
}
