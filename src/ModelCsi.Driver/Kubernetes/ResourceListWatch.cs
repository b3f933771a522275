using k8s;
using k8s.Autorest;
using Microsoft.Extensions.Logging;

namespace ModelCsi.Driver.Kubernetes;

/// <summary>
/// The informer loop every Kubernetes client runs: list, then watch from the list's resourceVersion, keep a
/// local copy of the objects and report it after every change. A dropped watch resumes from the last
/// resourceVersion seen (events or BOOKMARKs), so nothing is missed; a <c>410 Gone</c> (history compacted)
/// lists again; any other failure reconnects after a backoff. Runs until cancelled.
/// </summary>
public sealed class ResourceListWatch<T>
    where T : class
{
    private readonly string _what;
    private readonly Func<CancellationToken, Task<(IReadOnlyList<T> Items, string? ResourceVersion)>> _list;
    private readonly Func<string?, Action<Exception>, CancellationToken, IAsyncEnumerable<WatchedEvent<T>>> _watch;
    private readonly Func<T, string> _keyOf;
    private readonly Action<IReadOnlyDictionary<string, T>> _onChange;
    private readonly ListWatchBackoff _backoff;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly Dictionary<string, T> _objects = new(StringComparer.Ordinal);
    private int _lists;

    /// <param name="what">For log lines, e.g. "ModelCaches".</param>
    /// <param name="onChange">Called with a copy of every object after each change (on the loop's thread).</param>
    public ResourceListWatch(string what,
        Func<CancellationToken, Task<(IReadOnlyList<T> Items, string? ResourceVersion)>> list,
        Func<string?, Action<Exception>, CancellationToken, IAsyncEnumerable<WatchedEvent<T>>> watch,
        Func<T, string> keyOf, Action<IReadOnlyDictionary<string, T>> onChange, ListWatchBackoff backoff, TimeProvider time, ILogger logger)
    {
        _what = what;
        _list = list;
        _watch = watch;
        _keyOf = keyOf;
        _onChange = onChange;
        _backoff = backoff;
        _time = time;
        _logger = logger;
    }

    /// <summary>The last resourceVersion seen.</summary>
    public string? ResourceVersion { get; private set; }

    /// <summary>Full lists so far (1 plus one per relist).</summary>
    public int Lists => Volatile.Read(ref _lists);

    public async Task RunAsync(CancellationToken cancellationToken)
    {
        var failures = 0;
        var mustList = true;
        while (!cancellationToken.IsCancellationRequested)
        {
            try
            {
                if (mustList)
                {
                    await ListAsync(cancellationToken);
                    mustList = false;
                }

                var expired = false;
                Exception? streamError = null;
                var events = 0;
                await foreach (var watched in _watch(ResourceVersion, e =>
                {
                    if (e is KubernetesException { Status.Code: 410 })
                    {
                        expired = true;
                    }
                    else
                    {
                        streamError = e;
                    }
                }, cancellationToken))
                {
                    events++;
                    Apply(watched);
                }

                if (expired)
                {
                    Log.WatchExpired(_logger, _what, ResourceVersion);
                    mustList = true;
                    continue;
                }

                if (streamError is not null)
                {
                    Log.WatchError(_logger, _what, streamError.Message);
                }

                // A watch the server ends after its timeout reconnects at once; one that ends empty again and
                // again (a confused server or proxy) must not spin.
                failures = events > 0 && streamError is null ? 0 : failures + 1;
                if (failures > 0)
                {
                    await Task.Delay(_backoff.After(failures), _time, cancellationToken);
                }
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e) when (e is HttpOperationException or HttpRequestException or IOException or KubernetesException
                                          or k8s.Exceptions.KubernetesClientException or OperationCanceledException or System.Text.Json.JsonException)
            {
                failures++;
                if (e is HttpOperationException { Response.StatusCode: System.Net.HttpStatusCode.Gone })
                {
                    mustList = true;
                }

                var delay = _backoff.After(failures);
                Log.WatchFailed(_logger, _what, Describe(e), delay, ResourceVersion);
                try
                {
                    await Task.Delay(delay, _time, cancellationToken);
                }
                catch (OperationCanceledException)
                {
                    return;
                }
            }
        }
    }

    private async Task ListAsync(CancellationToken cancellationToken)
    {
        var (items, version) = await _list(cancellationToken);
        Interlocked.Increment(ref _lists);
        _objects.Clear();
        foreach (var item in items)
        {
            _objects[_keyOf(item)] = item;
        }

        ResourceVersion = version;
        _onChange(new Dictionary<string, T>(_objects, StringComparer.Ordinal));
    }

    private void Apply(WatchedEvent<T> watched)
    {
        if (watched.ResourceVersion is not null)
        {
            ResourceVersion = watched.ResourceVersion;
        }

        switch (watched.Type)
        {
            case WatchEventType.Added or WatchEventType.Modified when watched.Item is not null:
                _objects[_keyOf(watched.Item)] = watched.Item;
                break;
            case WatchEventType.Deleted when watched.Item is not null:
                _objects.Remove(_keyOf(watched.Item));
                break;
            default:
                return;
        }

        _onChange(new Dictionary<string, T>(_objects, StringComparer.Ordinal));
    }

    // Response bodies can echo objects; the status code says enough.
    private static string Describe(Exception e) => e is HttpOperationException http ? $"HTTP {(int)http.Response.StatusCode}" : e.Message;
}
