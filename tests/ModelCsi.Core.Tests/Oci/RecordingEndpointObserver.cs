using System.Collections.Concurrent;
using ModelCsi.Core.Oci;

namespace ModelCsi.Core.Tests.Oci;

/// <summary>Keeps every endpoint report, in order.</summary>
internal sealed class RecordingEndpointObserver : IRegistryEndpointObserver
{
    private readonly ConcurrentQueue<RegistryEndpointRequest> _requests = new();

    public IReadOnlyList<RegistryEndpointRequest> Requests => [.. _requests];

    public IEnumerable<RegistryEndpointRequest> Served => Requests.Where(r => r.Served);

    public void RequestCompleted(RegistryEndpointRequest request) => _requests.Enqueue(request);
}
