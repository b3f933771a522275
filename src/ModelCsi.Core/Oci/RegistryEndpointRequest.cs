namespace ModelCsi.Core.Oci;

/// <summary>One pull request answered (or failed) by one endpoint.</summary>
/// <param name="Registry">The origin registry of the reference, <c>host[:port]</c>.</param>
/// <param name="Endpoint">
/// The endpoint that was asked, <c>host[:port]</c>, when it is configured (a mirror, or a registry in the client's
/// host settings or allow-list); <c>other</c> for any other registry, so a metric label never takes values from references.
/// </param>
/// <param name="IsMirror">True for a mirror, false for the origin.</param>
/// <param name="Kind">What was asked for.</param>
/// <param name="Served">True when the endpoint answered; false when it failed and the next endpoint (if any) is tried.</param>
/// <param name="Reason">Why it failed; null when served.</param>
public sealed record RegistryEndpointRequest(string Registry, string Endpoint, bool IsMirror, RegistryRequestKind Kind, bool Served, string? Reason = null);
