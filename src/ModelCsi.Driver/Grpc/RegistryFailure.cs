using Grpc.Core;
using ModelCsi.Core.Failures;

namespace ModelCsi.Driver.Grpc;

/// <summary>
/// The status CreateVolume answers when resolving a reference at the registry fails: the code comes from the
/// one <see cref="FailureTable"/>, so CreateVolume and NodePublishVolume answer the same code for the same cause.
/// </summary>
internal static class RegistryFailure
{
    /// <summary>True for failures with a kind of their own (anything but a bug), which become a status here.</summary>
    public static bool IsClassified(Exception exception) =>
        exception is not OperationCanceledException && FailureTable.KindOf(exception) is not FailureKind.Internal and not FailureKind.Cancelled;

    /// <summary>The status for a classified failure, naming the reference once and what the user can do.</summary>
    public static RpcException ToRpcException(string method, string reference, Exception exception)
    {
        var kind = FailureTable.KindOf(exception);
        var hint = kind switch
        {
            FailureKind.NotFound => "; check the repository and tag exist",
            FailureKind.PermissionDenied => "; set the StorageClass provisioner secret (csi.storage.k8s.io/provisioner-secret-name) to a Secret with username and password",
            FailureKind.Unavailable => "; the registry may be down or unreachable from the controller, retrying",
            _ => "",
        };
        return new RpcException(new Status(FailureTable.For(kind).Code, $"{method}: resolving {reference} failed ({kind}): {exception.Message}{hint}"));
    }
}
