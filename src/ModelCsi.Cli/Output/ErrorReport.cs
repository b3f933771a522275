using ModelCsi.Core.ModelPack;
using ModelCsi.Core.Oci;

namespace ModelCsi.Cli.Output;

/// <summary>Turns a failure into its exit code and one <c>error: ...</c> line (a stack trace only with --verbose).</summary>
public static class ErrorReport
{
    public static int ExitCodeFor(Exception exception) => exception switch
    {
        ReferenceFormatException or CliUsageException or Core.Signing.SignatureKeyException => ExitCodes.Usage,
        Core.Signing.SignaturePolicyViolationException violation => Commands.SignatureExitCodes.For(violation.Verdict.Outcome),
        ManifestNotFoundException or BlobNotFoundException => ExitCodes.NotFound,
        RegistryAuthException => ExitCodes.Auth,
        RegistryUnavailableException => ExitCodes.Unavailable,
        DigestMismatchException or UnsafeArchiveEntryException => ExitCodes.Integrity,
        UnsupportedArtifactException or UnsupportedLayerException or IndexSelectionException => ExitCodes.UnsupportedArtifact,
        OperationCanceledException => ExitCodes.Cancelled,
        DynamicApiException api => api.StatusCode switch
        {
            400 => ExitCodes.Usage,
            404 => ExitCodes.NotFound,
            _ => ExitCodes.General,
        },
        // The dynamic volume's socket is missing or nobody listens on it.
        HttpRequestException => ExitCodes.Unavailable,
        Grpc.Core.RpcException rpc => rpc.StatusCode switch
        {
            Grpc.Core.StatusCode.InvalidArgument => ExitCodes.Usage,
            Grpc.Core.StatusCode.NotFound => ExitCodes.NotFound,
            Grpc.Core.StatusCode.PermissionDenied or Grpc.Core.StatusCode.Unauthenticated => ExitCodes.Auth,
            Grpc.Core.StatusCode.Unavailable or Grpc.Core.StatusCode.DeadlineExceeded => ExitCodes.Unavailable,
            Grpc.Core.StatusCode.DataLoss => ExitCodes.Integrity,
            _ => ExitCodes.General,
        },
        _ => ExitCodes.General,
    };

    /// <param name="action">What was being done, naming the reference, e.g. <c>pull registry/model:v1</c>.</param>
    public static int Write(Exception exception, string action, CliConsole console, bool verbose)
    {
        ArgumentNullException.ThrowIfNull(exception);
        ArgumentNullException.ThrowIfNull(console);
        var message = exception switch
        {
            OperationCanceledException => "cancelled",
            Grpc.Core.RpcException rpc => $"{rpc.StatusCode}: {OneLine(rpc.Status.Detail)}",
            _ => OneLine(exception.Message),
        };
        console.Error.WriteLine($"error: {action}: {message}");
        if (verbose)
        {
            console.Error.WriteLine(exception.ToString());
        }

        return ExitCodeFor(exception);
    }

    private static string OneLine(string text) =>
        string.Join(' ', text.Split(['\r', '\n'], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
}
