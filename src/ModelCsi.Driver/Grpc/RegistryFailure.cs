using System.Diagnostics.CodeAnalysis;
using Grpc.Core;
using ModelCsi.Core.Cache;
using ModelCsi.Core.ModelPack;
using ModelCsi.Core.Oci;

namespace ModelCsi.Driver.Grpc;

/// <summary>
/// Sorts what resolving a reference at the registry can throw into the same failure kinds the node's
/// cache uses, so CreateVolume and NodePublishVolume answer the same code for the same cause.
/// </summary>
internal static class RegistryFailure
{
    public static bool TryClassify(Exception exception, [NotNullWhen(true)] out ModelFetchFailureKind? kind)
    {
        kind = exception switch
        {
            ManifestNotFoundException => ModelFetchFailureKind.NotFound,
            RegistryAuthException => ModelFetchFailureKind.PermissionDenied,
            RegistryUnavailableException or HttpRequestException => ModelFetchFailureKind.Unavailable,
            ReferenceFormatException => ModelFetchFailureKind.InvalidReference,
            UnsupportedArtifactException or IndexSelectionException => ModelFetchFailureKind.Unsupported,
            _ => null,
        };
        return kind is not null;
    }

    /// <summary>The status for a classified failure, naming the reference and what the user can do.</summary>
    public static RpcException ToRpcException(ModelFetchFailureKind kind, string method, string reference, Exception exception)
    {
        var hint = kind switch
        {
            ModelFetchFailureKind.NotFound => "; check the repository and tag exist",
            ModelFetchFailureKind.PermissionDenied => "; set the StorageClass provisioner secret (csi.storage.k8s.io/provisioner-secret-name) to a Secret with username and password",
            ModelFetchFailureKind.Unavailable => "; the registry may be down or unreachable from the controller, retrying",
            _ => "",
        };
        return new RpcException(new Status(
            ExceptionStatusMapper.CodeFor(kind),
            $"{method}: model '{reference}' could not be resolved ({kind}): {exception.Message}{hint}"));
    }
}
