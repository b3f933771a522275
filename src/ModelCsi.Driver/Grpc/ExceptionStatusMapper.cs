using Grpc.Core;
using ModelCsi.Core.Cache;

namespace ModelCsi.Driver.Grpc;

/// <summary>
/// Turns exceptions from inner layers into CSI status codes. Without it grpc-dotnet answers Unknown with a
/// message that tells kubelet (and the user reading pod events) nothing.
/// </summary>
internal static class ExceptionStatusMapper
{
    // errno ENOSPC as .NET reports it in IOException.HResult on Unix, and ERROR_DISK_FULL/ERROR_HANDLE_DISK_FULL elsewhere.
    private const int Enospc = 28;
    private const int ErrorDiskFull = unchecked((int)0x80070070);
    private const int ErrorHandleDiskFull = unchecked((int)0x80070027);

    public static StatusCode CodeFor(ModelFetchFailureKind kind) => kind switch
    {
        ModelFetchFailureKind.NotFound => StatusCode.NotFound,
        ModelFetchFailureKind.PermissionDenied => StatusCode.PermissionDenied,
        ModelFetchFailureKind.Unavailable => StatusCode.Unavailable,
        ModelFetchFailureKind.InsufficientStorage => StatusCode.ResourceExhausted,
        ModelFetchFailureKind.DataCorrupted => StatusCode.DataLoss,
        ModelFetchFailureKind.InvalidReference => StatusCode.InvalidArgument,
        // The reference names an artifact this driver cannot serve; like a malformed reference, the fix is in
        // the volume's definition, not in the node's state, so it is an argument error rather than FailedPrecondition.
        ModelFetchFailureKind.Unsupported => StatusCode.InvalidArgument,
        ModelFetchFailureKind.InvalidSelection => StatusCode.InvalidArgument,
        _ => StatusCode.Internal,
    };

    /// <param name="deadlineExpired">The caller's deadline has passed.</param>
    /// <param name="shuttingDown">The driver is stopping.</param>
    public static Status ToStatus(Exception exception, RpcCall call, bool deadlineExpired, bool shuttingDown)
    {
        ArgumentNullException.ThrowIfNull(exception);
        var what = call.Describe();
        return exception switch
        {
            RpcException rpc => rpc.Status,
            ModelFetchException fetch => new Status(
                CodeFor(fetch.FailureKind),
                $"{what}: fetching model '{fetch.Reference}' failed ({fetch.FailureKind}): {fetch.Message}"),
            OperationCanceledException when deadlineExpired => new Status(
                StatusCode.DeadlineExceeded,
                $"{what}: the call's deadline passed before the work finished; it continues to be retried"),
            OperationCanceledException when shuttingDown => new Status(
                StatusCode.Unavailable,
                $"{what}: the driver is shutting down"),
            OperationCanceledException => new Status(StatusCode.Cancelled, $"{what}: cancelled by the caller"),
            IOException io when IsNoSpace(io) => new Status(
                StatusCode.ResourceExhausted,
                $"{what}: no space left on the node: {io.Message}"),
            _ => new Status(StatusCode.Internal, $"{what} failed: {exception.Message}"),
        };
    }

    private static bool IsNoSpace(IOException exception) =>
        exception.HResult is Enospc or ErrorDiskFull or ErrorHandleDiskFull;
}
