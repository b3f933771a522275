using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using ModelCsi.Core.Cache;
using ModelCsi.Core.Oci.Credentials;

namespace ModelCsi.Core.Kubernetes;

/// <summary>
/// Makes a <see cref="PullEventReporter"/> for a publish request's pod, or none when Events are off or the
/// pod is unknown. The API client is created on first use, so a driver with Events off never needs one.
/// </summary>
public sealed class PullEventReporterFactory(Func<IKubernetesApi> api, IOptions<PullEventOptions> options, TimeProvider time, ILogger<PullEventReporter> logger,
    string? reportingInstance = null)
{
    private readonly Lazy<IKubernetesApi> _api = new(api);

    /// <param name="context">The publish request's context; its pod receives the Events.</param>
    /// <param name="reference">The model reference of the volume.</param>
    public IPullObserver? ForPod(CredentialContext context, string reference)
    {
        ArgumentNullException.ThrowIfNull(context);
        return options.Value.Enabled && context.HasPod
            ? new PullEventReporter(_api.Value, context.PodNamespace!, context.PodName!, context.PodUid, reference, options.Value, time, logger, reportingInstance)
            : null;
    }
}
