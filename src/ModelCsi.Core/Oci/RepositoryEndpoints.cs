using Microsoft.Extensions.Logging;
using ModelCsi.Core.ModelPack;

namespace ModelCsi.Core.Oci;

/// <summary>
/// The ordered endpoints of one repository: its registry's mirrors (for pulls), then the origin. A pull
/// asks each mirror in turn and falls back on any failure, as containerd does; the origin's failure is final.
/// Each attempt is reported to the <see cref="IRegistryEndpointObserver"/>.
/// </summary>
internal sealed class RepositoryEndpoints
{
    private readonly RegistryClient _registry;

    public RepositoryEndpoints(RegistryClient registry, OciReference reference, RegistryCredential? credential)
    {
        _registry = registry;
        Reference = reference;
        Origin = new RegistryEndpoint(registry.BaseUri(reference), reference.Repository, credential, registry.Options.MaxRetries,
            registry.EndpointLabel(reference.Registry, reference.RegistryEndpoint), mirror: null);
        // A failing mirror is skipped at once: the next endpoint is the retry.
        Mirrors = [.. registry.Options.ForHost(reference.Registry).Mirrors.Select(mirror => new RegistryEndpoint(
            mirror.BaseUri(), mirror.RepositoryPath(reference.Repository), mirror.SendOriginCredentials ? credential : null, maxRetries: 0,
            mirror.BaseUri().Authority, mirror))];
    }

    public OciReference Reference { get; }

    /// <summary>The registry itself: pushes, and the last resort of pulls.</summary>
    public RegistryEndpoint Origin { get; }

    public IReadOnlyList<RegistryEndpoint> Mirrors { get; }

    /// <summary><c>registry/repository</c>, for messages.</summary>
    public string Name => $"{Reference.Registry}/{Reference.Repository}";

    /// <summary>Runs a pull request on each mirror in order (only those that resolve tags when <paramref name="byTag"/>), then on the origin.</summary>
    public async Task<T> PullAsync<T>(RegistryRequestKind kind, string what, bool byTag, Func<RegistryEndpoint, Task<T>> request, CancellationToken cancellationToken)
    {
        var mirrors = byTag ? [.. Mirrors.Where(m => m.ResolvesTags)] : Mirrors;
        for (var i = 0; i < mirrors.Count; i++)
        {
            var mirror = mirrors[i];
            try
            {
                var result = await request(mirror);
                Observe(mirror, kind, served: true, reason: null);
                return result;
            }
            catch (Exception e) when (!cancellationToken.IsCancellationRequested
                                      && e is RegistryException or HttpRequestException or IOException or OperationCanceledException or ModelPackFormatException)
            {
                var next = i + 1 < mirrors.Count ? mirrors[i + 1].Authority : $"the origin {Origin.Authority}";
                Log.EndpointFailed(_registry.Logger, what, mirror.Authority, e.Message, next);
                Observe(mirror, kind, served: false, e.Message);
            }
        }

        try
        {
            var result = await request(Origin);
            Observe(Origin, kind, served: true, reason: null);
            return result;
        }
        catch (Exception e) when (e is RegistryException or HttpRequestException or IOException or ModelPackFormatException)
        {
            Observe(Origin, kind, served: false, e.Message);
            throw;
        }
    }

    private void Observe(RegistryEndpoint endpoint, RegistryRequestKind kind, bool served, string? reason) =>
        _registry.Observe(new RegistryEndpointRequest(Reference.Registry, endpoint.MetricLabel, endpoint.IsMirror, kind, served, reason));
}
