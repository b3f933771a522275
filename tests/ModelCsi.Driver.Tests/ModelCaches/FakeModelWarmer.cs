using System.Collections.Concurrent;
using ModelCsi.Driver.ModelCaches;

namespace ModelCsi.Driver.Tests.ModelCaches;

/// <summary>
/// An in-memory node cache for ModelCache logic tests: models by digest with their sizes, pins by owner,
/// and a pin limit that refuses (with the bytes needed and allowed) a pin that does not fit.
/// </summary>
internal sealed class FakeModelWarmer : IModelWarmer
{
    private readonly Lock _lock = new();
    private readonly Dictionary<string, (string Digest, long Size)> _pins = new(StringComparer.Ordinal);
    private readonly ConcurrentQueue<WarmRequest> _requests = new();

    /// <summary>Model sizes by digest; unknown digests fail like a missing manifest.</summary>
    public ConcurrentDictionary<string, long> Models { get; } = new(StringComparer.Ordinal);

    /// <summary>Bytes all pins together may hold.</summary>
    public long PinLimit { get; set; } = long.MaxValue;

    /// <summary>Progress reports per pull before it completes.</summary>
    public int ProgressSteps { get; set; } = 1;

    /// <summary>When set, pulls wait for it (a long download) after reporting half their bytes.</summary>
    public TaskCompletionSource? Gate { get; set; }

    public IReadOnlyList<WarmRequest> Requests => [.. _requests];

    public IReadOnlyCollection<string> PinnedOwners
    {
        get
        {
            lock (_lock)
            {
                return [.. _pins.Keys];
            }
        }
    }

    public async Task<WarmedModel> WarmAndPinAsync(WarmRequest request, IProgress<long>? progress, CancellationToken cancellationToken)
    {
        _requests.Enqueue(request);
        var digest = request.ResolvedDigest ?? request.ModelRef[(request.ModelRef.IndexOf('@', StringComparison.Ordinal) + 1)..];
        if (!Models.TryGetValue(digest, out var size))
        {
            throw new InvalidOperationException($"{request.ModelRef}: manifest {digest} not found");
        }

        for (var step = 1; step <= ProgressSteps; step++)
        {
            progress?.Report(size * step / (ProgressSteps + 1));
        }

        if (Gate is { } gate)
        {
            await gate.Task.WaitAsync(cancellationToken);
        }

        progress?.Report(size);
        if (request.Pin)
        {
            lock (_lock)
            {
                var pinned = _pins.Where(p => p.Key != request.Owner).Sum(p => p.Value.Size);
                if (pinned + size > PinLimit)
                {
                    throw new InvalidOperationException(
                        $"pinning {digest} needs {size} bytes but the cache allows {PinLimit} and {pinned} are pinned already");
                }

                _pins[request.Owner] = (digest, size);
            }
        }

        return new WarmedModel(digest, size);
    }

    public void Unpin(string owner)
    {
        lock (_lock)
        {
            _pins.Remove(owner);
        }
    }
}
