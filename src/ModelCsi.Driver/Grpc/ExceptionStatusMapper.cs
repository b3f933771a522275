using Grpc.Core;
using ModelCsi.Core.Failures;

namespace ModelCsi.Driver.Grpc;

/// <summary>
/// Turns exceptions from inner layers into CSI statuses through the one <see cref="FailureTable"/>. Without it
/// grpc-dotnet answers Unknown with a message that tells kubelet (and the user reading pod events) nothing.
/// </summary>
internal static class ExceptionStatusMapper
{
    /// <param name="deadlineExpired">The caller's deadline has passed.</param>
    /// <param name="shuttingDown">The driver is stopping.</param>
    public static Status ToStatus(Exception exception, RpcCall call, bool deadlineExpired, bool shuttingDown)
    {
        ArgumentNullException.ThrowIfNull(exception);
        var what = call.Describe();
        return exception switch
        {
            RpcException rpc => rpc.Status,
            OperationCanceledException when deadlineExpired => new Status(
                StatusCode.DeadlineExceeded,
                $"{what}: the call's deadline passed before the work finished; it continues to be retried"),
            OperationCanceledException when shuttingDown => new Status(StatusCode.Unavailable, $"{what}: the driver is shutting down"),
            OperationCanceledException => new Status(StatusCode.Cancelled, $"{what}: cancelled by the caller"),
            _ => FromKind(FailureTable.KindOf(exception), what, exception),
        };
    }

    private static Status FromKind(FailureKind kind, string what, Exception exception) => kind switch
    {
        FailureKind.InsufficientStorage when exception is IOException =>
            new Status(StatusCode.ResourceExhausted, $"{what}: no space left on the node: {exception.Message}"),
        FailureKind.Internal => new Status(StatusCode.Internal, $"{what} failed: {exception.Message}"),
        _ => new Status(FailureTable.For(kind).Code, $"{what}: {exception.Message}"),
    };
}
