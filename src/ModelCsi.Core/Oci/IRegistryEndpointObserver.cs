namespace ModelCsi.Core.Oci;

/// <summary>
/// Told which endpoint (a mirror or the origin) served or failed each manifest and blob request, e.g.
/// to count <c>modelcsi_registry_requests_total{endpoint=...}</c>. Called on the request path: keep it cheap.
/// </summary>
public interface IRegistryEndpointObserver
{
    void RequestCompleted(RegistryEndpointRequest request);
}
