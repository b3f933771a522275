using ModelCsi.Core.Cache;
using Xunit;

namespace ModelCsi.Core.Tests.Cache;

public sealed class PullObserverGroupTests
{
    private sealed class Recorder : IPullObserver
    {
        public List<string> Calls { get; } = [];

        public void Started(string reference, string manifestDigest, long totalBytes) => Calls.Add($"started {reference} {totalBytes}");

        public void Progress(long bytesDone) => Calls.Add($"progress {bytesDone}");

        public void Completed(TimeSpan duration, long bytesDownloaded, bool fromCache) => Calls.Add($"completed {bytesDownloaded} {fromCache}");

        public void Failed(string reason) => Calls.Add($"failed {reason}");
    }

    private sealed class Throwing : IPullObserver
    {
        public void Started(string reference, string manifestDigest, long totalBytes) => throw new InvalidOperationException();

        public void Progress(long bytesDone) => throw new InvalidOperationException();

        public void Completed(TimeSpan duration, long bytesDownloaded, bool fromCache) => throw new InvalidOperationException();

        public void Failed(string reason) => throw new InvalidOperationException();
    }

    [Fact]
    public void A_late_joiner_hears_what_it_missed_then_follows_live()
    {
        var group = new PullObserverGroup();
        var first = new Recorder();
        var late = new Recorder();
        group.Attach(first);

        group.Started("r/m:v1", "sha256:x", 100);
        group.Progress(40);
        group.Attach(late);
        group.Progress(30); // not monotonic: ignored
        group.Progress(90);
        group.Completed(TimeSpan.FromSeconds(1), 100, fromCache: false);

        Assert.Equal(["started r/m:v1 100", "progress 40", "progress 90", "completed 100 False"], first.Calls);
        Assert.Equal(["started r/m:v1 100", "progress 40", "progress 90", "completed 100 False"], late.Calls);
    }

    [Fact]
    public void An_observer_attached_after_a_failure_hears_the_failure_and_the_outcome_is_told_once()
    {
        var group = new PullObserverGroup();
        group.Started("r/m:v1", "sha256:x", 100);
        group.Failed("refused");
        group.Completed(TimeSpan.Zero, 0, fromCache: false);
        var late = new Recorder();

        group.Attach(late);

        Assert.Equal(["started r/m:v1 100", "failed refused"], late.Calls);
    }

    [Fact]
    public void A_throwing_observer_does_not_stop_the_others()
    {
        var group = new PullObserverGroup();
        var recorder = new Recorder();
        group.Attach(new Throwing());
        group.Attach(recorder);

        group.Started("r/m:v1", "sha256:x", 1);
        group.Completed(TimeSpan.Zero, 1, fromCache: false);

        Assert.Equal(2, recorder.Calls.Count);
        Assert.Equal(2, group.Count);
    }
}
