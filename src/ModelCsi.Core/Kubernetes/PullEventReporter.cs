using System.Globalization;
using Microsoft.Extensions.Logging;
using ModelCsi.Core.Cache;

namespace ModelCsi.Core.Kubernetes;

/// <summary>
/// Turns one pod's view of a pull into Kubernetes Events on that pod: <c>ModelPulling</c>, throttled
/// <c>ModelPullProgress</c>, then <c>ModelPulled</c> or <c>ModelPullFailed</c> (and <c>ModelSignatureWarning</c> when a
/// <c>warn</c> signature rule fails). Events are posted in
/// order in the background; a failing API costs a log line, never the pull.
/// </summary>
public sealed class PullEventReporter : IPullObserver
{
    public const string PullingReason = "ModelPulling";
    public const string ProgressReason = "ModelPullProgress";
    public const string PulledReason = "ModelPulled";
    public const string FailedReason = "ModelPullFailed";
    public const string SignatureWarningReason = "ModelSignatureWarning";

    private readonly IKubernetesApi _api;
    private readonly PullEventOptions _options;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly string _namespace;
    private readonly string _podName;
    private readonly string? _podUid;
    private readonly string? _reportingInstance;
    private readonly Lock _lock = new();
    private Task _pending = Task.CompletedTask;
    private string _reference;
    private long _total;
    private DateTimeOffset _lastProgressAt;
    private int _lastPercent;
    private bool _finished;
    private bool _apiFailureLogged;

    /// <param name="reference">The model reference as the volume names it, for messages before (or without) <see cref="Started"/>.</param>
    public PullEventReporter(IKubernetesApi api, string @namespace, string podName, string? podUid, string reference, PullEventOptions options,
        TimeProvider time, ILogger logger, string? reportingInstance = null)
    {
        _reference = reference;
        _api = api;
        _namespace = @namespace;
        _podName = podName;
        _podUid = podUid;
        _options = options;
        _time = time;
        _logger = logger;
        _reportingInstance = reportingInstance;
    }

    public void Started(string reference, string manifestDigest, long totalBytes)
    {
        lock (_lock)
        {
            _reference = reference;
            _total = totalBytes;
            _lastProgressAt = _time.GetUtcNow();
            _lastPercent = 0;
            Post(KubernetesEvent.Normal, PullingReason, $"Pulling model {reference} ({manifestDigest}, {FormatBytes(totalBytes)})");
        }
    }

    public void Progress(long bytesDone)
    {
        lock (_lock)
        {
            if (_finished || _total <= 0 || bytesDone >= _total)
            {
                return;
            }

            var now = _time.GetUtcNow();
            var elapsed = now - _lastProgressAt;
            var percent = (int)(bytesDone * 100 / _total);
            var byTime = elapsed >= _options.ProgressInterval;
            var byPercent = _options.ProgressPercentStep > 0 && percent - _lastPercent >= _options.ProgressPercentStep && elapsed >= _options.MinProgressInterval;
            if (!byTime && !byPercent)
            {
                return;
            }

            _lastProgressAt = now;
            _lastPercent = percent;
            Post(KubernetesEvent.Normal, ProgressReason,
                $"Pulling model {_reference}: {FormatBytes(bytesDone)} of {FormatBytes(_total)} ({percent}%)");
        }
    }

    public void Completed(TimeSpan duration, long bytesDownloaded, bool fromCache)
    {
        lock (_lock)
        {
            _finished = true;
            var message = fromCache
                ? $"Model {_reference} is already cached on the node"
                : $"Pulled model {_reference} in {duration.TotalSeconds.ToString("0.0", CultureInfo.InvariantCulture)} s: {FormatBytes(bytesDownloaded)} downloaded at {Rate(bytesDownloaded, duration)}";
            Post(KubernetesEvent.Normal, PulledReason, message);
        }
    }

    public void Failed(string reason)
    {
        lock (_lock)
        {
            _finished = true;
            Post(KubernetesEvent.Warning, FailedReason, $"Failed to pull model {_reference}: {reason}");
        }
    }

    public void Warning(string message)
    {
        lock (_lock)
        {
            Post(KubernetesEvent.Warning, SignatureWarningReason, message);
        }
    }

    /// <summary>Completes when every Event posted so far has been sent (or failed).</summary>
    public Task FlushAsync()
    {
        lock (_lock)
        {
            return _pending;
        }
    }

    private void Post(string type, string reason, string message)
    {
        var kubernetesEvent = new KubernetesEvent(_namespace, _podName, _podUid, type, reason, message, _time.GetUtcNow(),
            _options.ReportingComponent, _reportingInstance);
        _pending = SendAfterAsync(_pending, kubernetesEvent);
    }

    private async Task SendAfterAsync(Task previous, KubernetesEvent kubernetesEvent)
    {
        await previous;
        try
        {
            await _api.CreateEventAsync(kubernetesEvent);
        }
        catch (Exception e) when (e is KubernetesApiException or HttpRequestException or OperationCanceledException)
        {
            if (!_apiFailureLogged)
            {
                _apiFailureLogged = true;
                Log.EventFailed(_logger, kubernetesEvent.Reason, _namespace, _podName, e.Message);
            }
        }
    }

    private static string Rate(long bytes, TimeSpan duration) =>
        duration <= TimeSpan.Zero ? "n/a" : (bytes / 1e6 / duration.TotalSeconds).ToString("0.0", CultureInfo.InvariantCulture) + " MB/s";

    internal static string FormatBytes(long bytes) => bytes switch
    {
        >= 1L << 30 => (bytes / (double)(1L << 30)).ToString("0.0", CultureInfo.InvariantCulture) + " GiB",
        >= 1L << 20 => (bytes / (double)(1L << 20)).ToString("0.0", CultureInfo.InvariantCulture) + " MiB",
        >= 1L << 10 => (bytes / (double)(1L << 10)).ToString("0.0", CultureInfo.InvariantCulture) + " KiB",
        _ => bytes.ToString(CultureInfo.InvariantCulture) + " B",
    };
}
