using Csi.V1;
using Grpc.Core;

namespace ModelCsi.Driver.Grpc;

/// <summary>
/// Models are pulled on the node, so there is nothing to provision or attach: the controller only reports
/// that it has no optional capabilities and validates capabilities. Everything else stays Unimplemented
/// (the generated base class answers that).
/// </summary>
internal sealed class ControllerService : Controller.ControllerBase
{
    public override Task<ControllerGetCapabilitiesResponse> ControllerGetCapabilities(ControllerGetCapabilitiesRequest request, ServerCallContext context) =>
        Task.FromResult(new ControllerGetCapabilitiesResponse());

    public override Task<ValidateVolumeCapabilitiesResponse> ValidateVolumeCapabilities(ValidateVolumeCapabilitiesRequest request, ServerCallContext context)
    {
        const string method = nameof(ValidateVolumeCapabilities);
        CsiRequestValidation.RequireVolumeId(request.VolumeId, method);
        if (request.VolumeCapabilities.Count == 0)
        {
            throw CsiRequestValidation.Invalid($"{method}: volume_capabilities is required");
        }
        var problem = request.VolumeCapabilities.Select(CsiRequestValidation.ReadOnlyMountProblem).FirstOrDefault(p => p is not null);
        if (problem is not null)
        {
            return Task.FromResult(new ValidateVolumeCapabilitiesResponse { Message = problem });
        }
        var confirmed = new ValidateVolumeCapabilitiesResponse.Types.Confirmed();
        confirmed.VolumeCapabilities.Add(request.VolumeCapabilities);
        confirmed.VolumeContext.Add(request.VolumeContext);
        confirmed.Parameters.Add(request.Parameters);
        return Task.FromResult(new ValidateVolumeCapabilitiesResponse { Confirmed = confirmed });
    }
}
