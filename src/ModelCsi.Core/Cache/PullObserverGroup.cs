namespace ModelCsi.Core.Cache;

/// <summary>
/// The observers of one de-duplicated pull: every request that joins the running pull attaches its
/// observer and is first told what it missed (started, bytes so far, or the outcome), then follows live.
/// One observer that throws does not stop the others.
/// </summary>
public sealed class PullObserverGroup : IPullObserver
{
    private readonly Lock _lock = new();
    private readonly List<IPullObserver> _observers = [];
    private (string Reference, string Digest, long Total)? _started;
    private long _bytesDone;
    private Action<IPullObserver>? _outcome;

    public int Count
    {
        get
        {
            lock (_lock)
            {
                return _observers.Count;
            }
        }
    }

    public void Attach(IPullObserver observer)
    {
        ArgumentNullException.ThrowIfNull(observer);
        lock (_lock)
        {
            _observers.Add(observer);
            if (_started is { } started)
            {
                Tell(observer, o => o.Started(started.Reference, started.Digest, started.Total));
                if (_bytesDone > 0)
                {
                    Tell(observer, o => o.Progress(_bytesDone));
                }
            }

            if (_outcome is { } outcome)
            {
                Tell(observer, outcome);
            }
        }
    }

    public void Started(string reference, string manifestDigest, long totalBytes)
    {
        lock (_lock)
        {
            _started = (reference, manifestDigest, totalBytes);
            TellAll(o => o.Started(reference, manifestDigest, totalBytes));
        }
    }

    public void Progress(long bytesDone)
    {
        lock (_lock)
        {
            if (bytesDone <= _bytesDone || _outcome is not null)
            {
                return;
            }

            _bytesDone = bytesDone;
            TellAll(o => o.Progress(bytesDone));
        }
    }

    public void LayerCompleted(Oci.OciDescriptor layer)
    {
        lock (_lock)
        {
            if (_outcome is null)
            {
                TellAll(o => o.LayerCompleted(layer));
            }
        }
    }

    public void Completed(TimeSpan duration, long bytesDownloaded, bool fromCache) =>
        Finish(o => o.Completed(duration, bytesDownloaded, fromCache));

    public void Failed(string reason) => Finish(o => o.Failed(reason));

    private void Finish(Action<IPullObserver> outcome)
    {
        lock (_lock)
        {
            if (_outcome is not null)
            {
                return;
            }

            _outcome = outcome;
            TellAll(outcome);
        }
    }

    private void TellAll(Action<IPullObserver> call)
    {
        foreach (var observer in _observers)
        {
            Tell(observer, call);
        }
    }

    private static void Tell(IPullObserver observer, Action<IPullObserver> call)
    {
        try
        {
            call(observer);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            // Observers report; they must never decide a pull's fate.
        }
    }
}
