using Csi.V1;

namespace ModelCsi.Driver.Grpc;

/// <summary>What an RPC is about, for log scopes and error messages.</summary>
internal sealed record RpcCall(string Method, string? VolumeId, string? TargetPath)
{
    public static RpcCall From(string fullMethod, object request)
    {
        var method = fullMethod[(fullMethod.LastIndexOf('/') + 1)..];
        return request switch
        {
            NodePublishVolumeRequest r => new(method, r.VolumeId, r.TargetPath),
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

    public string Describe() => VolumeId is null ? Method : $"{Method} of volume {VolumeId}";
}
