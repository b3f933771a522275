using Csi.V1;

namespace ModelCsi.Driver.Grpc;

/// <summary>What an RPC is about, for log scopes and error messages.</summary>
internal sealed record RpcCall(string Method, string? VolumeId, string? TargetPath)
{
    /// <summary>The pod the request is for (kubelet's podInfoOnMount attributes), when it says.</summary>
    public (string Namespace, string Name)? Pod { get; init; }

    public static RpcCall From(string fullMethod, object request)
    {
        var method = fullMethod[(fullMethod.LastIndexOf('/') + 1)..];
        return request switch
        {
            NodePublishVolumeRequest r => new(method, r.VolumeId, r.TargetPath) { Pod = PodOf(r.VolumeContext) },
            NodeUnpublishVolumeRequest r => new(method, r.VolumeId, r.TargetPath),
            NodeGetVolumeStatsRequest r => new(method, r.VolumeId, r.VolumePath),
            NodeStageVolumeRequest r => new(method, r.VolumeId, r.StagingTargetPath),
            NodeUnstageVolumeRequest r => new(method, r.VolumeId, r.StagingTargetPath),
            NodeExpandVolumeRequest r => new(method, r.VolumeId, r.VolumePath),
            // CreateVolume has no id yet; its name is what the provisioner retries with.
            CreateVolumeRequest r => new(method, r.Name, null),
            DeleteVolumeRequest r => new(method, r.VolumeId, null),
            ValidateVolumeCapabilitiesRequest r => new(method, r.VolumeId, null),
            _ => new(method, null, null),
        };
    }

    private static (string, string)? PodOf(Google.Protobuf.Collections.MapField<string, string> context) =>
        context.TryGetValue(VolumeContextKeys.PodName, out var name) && !string.IsNullOrEmpty(name)
            ? (CsiRequestValidation.Shown(context.GetValueOrDefault(VolumeContextKeys.PodNamespace) ?? "-"), CsiRequestValidation.Shown(name))
            : null;

    public string Describe() => VolumeId is null ? Method : $"{Method} of volume {VolumeId}";
}
