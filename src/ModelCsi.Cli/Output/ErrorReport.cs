using ModelCsi.Core.Failures;

namespace ModelCsi.Cli.Output;

/// <summary>Turns a failure into its exit code and one <c>error: ...</c> line (a stack trace only with --verbose).</summary>
public static class ErrorReport
{
    /// <summary>The exit code of a failure, from the one <see cref="FailureTable"/> the driver's status codes come from too.</summary>
    public static int ExitCodeFor(Exception exception) => exception switch
    {
        CliUsageException => ExitCodes.Usage,
        DynamicApiException api => api.StatusCode switch
        {
            400 => ExitCodes.Usage,
            404 => ExitCodes.NotFound,
            _ => ExitCodes.General,
        },
        // The driver classified the failure; its status code carries the kind back.
        Grpc.Core.RpcException rpc => FailureTable.For(FailureTable.KindOf(rpc.StatusCode)).ExitCode,
        _ => FailureTable.For(FailureTable.KindOf(exception)).ExitCode,
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
