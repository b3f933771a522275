using Grpc.Core;
using Grpc.Core.Interceptors;
using Microsoft.Extensions.Hosting;

namespace ModelCsi.Driver.Grpc;

/// <summary>Opens a logging scope per RPC and maps every non-RPC exception to a meaningful CSI status.</summary>
internal sealed class ExceptionMappingInterceptor(
    ILogger<ExceptionMappingInterceptor> logger,
    IHostApplicationLifetime lifetime,
    TimeProvider timeProvider,
    CsiMetrics metrics) : Interceptor
{
    public override async Task<TResponse> UnaryServerHandler<TRequest, TResponse>(
        TRequest request,
        ServerCallContext context,
        UnaryServerMethod<TRequest, TResponse> continuation)
    {
        var call = RpcCall.From(context.Method, request);
        // Ids and paths are escaped: a CRLF in a volume id must not forge log lines.
        using var scope = Log.RpcScope(logger, call.Method, CsiRequestValidation.Escaped(call.VolumeId ?? "-"), CsiRequestValidation.Escaped(call.TargetPath ?? "-"));
        // The failure line is written here, after the service's own scopes have closed: the pod goes on it from the request.
        using var podScope = call.Pod is { } pod ? Log.PodScope(logger, pod.Namespace, pod.Name, "-") : null;
        Log.RpcStarted(logger, call.Method);
        var started = timeProvider.GetTimestamp();
        var code = StatusCode.Unknown;
        try
        {
            var response = await continuation(request, context);
            code = StatusCode.OK;
            Log.RpcSucceeded(logger, call.Method);
            return response;
        }
        catch (RpcException ex)
        {
            code = ex.StatusCode;
            Log.RpcFailed(logger, call.Method, ex.StatusCode, ex.Status.Detail, null);
            throw;
        }
        catch (Exception ex)
        {
            var status = ExceptionStatusMapper.ToStatus(
                ex,
                call,
                deadlineExpired: context.Deadline <= timeProvider.GetUtcNow().UtcDateTime,
                shuttingDown: lifetime.ApplicationStopping.IsCancellationRequested);
            code = status.StatusCode;
            Log.RpcFailed(logger, call.Method, status.StatusCode, status.Detail, status.StatusCode == StatusCode.Internal ? ex : null);
            throw new RpcException(status);
        }
        finally
        {
            metrics.Requests.WithLabels(call.Method, code.ToString()).Inc();
            metrics.RequestDuration.WithLabels(call.Method).Observe(timeProvider.GetElapsedTime(started).TotalSeconds);
        }
    }
}
