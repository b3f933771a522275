using System.Net.Sockets;
using Grpc.Core;

namespace ModelCsi.Core.Failures;

/// <summary>
/// The one table of failures: which kind an exception is, and what each kind becomes as a gRPC code, a metric
/// reason and a CLI exit code. The driver, the metrics and the CLI all read it, so they never disagree.
/// </summary>
public static class FailureTable
{
    // errno ENOSPC as .NET reports it in IOException.HResult on Unix.
    private const int Enospc = 28;

    public const int ExitSuccess = 0;

    private static readonly Dictionary<FailureKind, FailureOutcome> Outcomes = new()
    {
        [FailureKind.Internal] = new(StatusCode.Internal, "Internal", 1),
        [FailureKind.InvalidArgument] = new(StatusCode.InvalidArgument, "InvalidArgument", 2),
        [FailureKind.NotFound] = new(StatusCode.NotFound, "NotFound", 3),
        [FailureKind.PermissionDenied] = new(StatusCode.PermissionDenied, "PermissionDenied", 4),
        [FailureKind.Unavailable] = new(StatusCode.Unavailable, "Unavailable", 5),
        [FailureKind.DataCorrupted] = new(StatusCode.DataLoss, "DataCorrupted", 6),
        // The reference names an artifact this driver cannot serve; the fix is in the volume's definition, not in
        // the node's state, so it is an argument error rather than FailedPrecondition.
        [FailureKind.Unsupported] = new(StatusCode.InvalidArgument, "Unsupported", 7),
        [FailureKind.InsufficientStorage] = new(StatusCode.ResourceExhausted, "InsufficientStorage", 8),
        [FailureKind.FailedPrecondition] = new(StatusCode.FailedPrecondition, "FailedPrecondition", 9),
        [FailureKind.Cancelled] = new(StatusCode.Cancelled, "Cancelled", 130),
    };

    public static IReadOnlyDictionary<FailureKind, FailureOutcome> All => Outcomes;

    public static FailureOutcome For(FailureKind kind) => Outcomes[kind];

    /// <summary>The kind of any exception: its own when it carries one, otherwise by what the runtime throws.</summary>
    public static FailureKind KindOf(Exception exception) => exception switch
    {
        IClassifiedFailure classified => classified.Kind,
        OperationCanceledException => FailureKind.Cancelled,
        HttpRequestException or SocketException => FailureKind.Unavailable,
        IOException io when IsNoSpace(io) => FailureKind.InsufficientStorage,
        _ => FailureKind.Internal,
    };

    /// <summary>The kind a gRPC status code stands for, for clients that only see the code (the CLI talking to the driver).</summary>
    public static FailureKind KindOf(StatusCode code) => code switch
    {
        StatusCode.InvalidArgument or StatusCode.OutOfRange => FailureKind.InvalidArgument,
        StatusCode.NotFound => FailureKind.NotFound,
        StatusCode.PermissionDenied or StatusCode.Unauthenticated => FailureKind.PermissionDenied,
        StatusCode.Unavailable or StatusCode.DeadlineExceeded or StatusCode.Aborted => FailureKind.Unavailable,
        StatusCode.DataLoss => FailureKind.DataCorrupted,
        StatusCode.ResourceExhausted => FailureKind.InsufficientStorage,
        StatusCode.FailedPrecondition or StatusCode.AlreadyExists => FailureKind.FailedPrecondition,
        StatusCode.Cancelled => FailureKind.Cancelled,
        _ => FailureKind.Internal,
    };

    public static bool IsNoSpace(IOException exception) =>
        exception.HResult == Enospc
        || exception.Message.Contains("No space left", StringComparison.Ordinal)
        || exception.Message.Contains("ENOSPC", StringComparison.Ordinal);
}
