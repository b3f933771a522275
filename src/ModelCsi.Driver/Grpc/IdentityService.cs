using Csi.V1;
using Grpc.Core;
using Microsoft.Extensions.Options;
using ModelCsi.Driver.Options;

namespace ModelCsi.Driver.Grpc;

internal sealed class IdentityService(IOptions<DriverOptions> options, ILogger<IdentityService> logger) : Identity.IdentityBase
{
    private readonly DriverOptions _options = options.Value;

    public override Task<GetPluginInfoResponse> GetPluginInfo(GetPluginInfoRequest request, ServerCallContext context) =>
        Task.FromResult(new GetPluginInfoResponse { Name = _options.DriverName, VendorVersion = DriverVersion.Current });

    public override Task<GetPluginCapabilitiesResponse> GetPluginCapabilities(GetPluginCapabilitiesRequest request, ServerCallContext context)
    {
        var response = new GetPluginCapabilitiesResponse();
        if (_options.ServesController)
        {
            response.Capabilities.Add(new PluginCapability
            {
                Service = new PluginCapability.Types.Service { Type = PluginCapability.Types.Service.Types.Type.ControllerService },
            });
        }
        return Task.FromResult(response);
    }

    /// <summary>
    /// Ready only when the root directory really takes a write: a read-only or full disk would fail every pull.
    /// A controller-only process never writes there (it runs as non-root without one), so it is ready when it answers.
    /// </summary>
    public override async Task<ProbeResponse> Probe(ProbeRequest request, ServerCallContext context)
    {
        if (!_options.ServesNode)
        {
            return new ProbeResponse { Ready = true };
        }
        var probeFile = Path.Combine(_options.RootDir, $".probe-{Environment.ProcessId}-{Guid.NewGuid():N}");
        bool ready;
        try
        {
            await File.WriteAllTextAsync(probeFile, "probe", context.CancellationToken);
            File.Delete(probeFile);
            ready = true;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            Log.ProbeNotReady(logger, _options.RootDir, ex.Message);
            ready = false;
        }
        return new ProbeResponse { Ready = ready };
    }
}
