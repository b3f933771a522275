using Microsoft.Extensions.Options;
using ModelCsi.Core.Kubernetes;
using ModelCsi.Core.Oci.Credentials;
using ModelCsi.TestSupport;
using Xunit;

namespace ModelCsi.Core.Tests.Kubernetes;

public sealed class PullEventReporterTests
{
    private const string Reference = "registry.example/models/llama:v1";
    private const string Digest = "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
    private const long Total = 100L << 20;

    private readonly FakeKubernetesApi _api = new();
    private readonly ManualTimeProvider _clock = new(new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero));
    private readonly CapturedLogs _logs = new();
    private readonly PullEventOptions _options = new()
    {
        Enabled = true,
        ProgressInterval = TimeSpan.FromSeconds(30),
        ProgressPercentStep = 25,
        MinProgressInterval = TimeSpan.FromSeconds(5),
    };

    private PullEventReporter Reporter() =>
        new(_api, "ml", "server-0", "uid-7", Reference, _options, _clock, _logs.For<PullEventReporter>(), reportingInstance: "node-a");

    private IReadOnlyList<string> Reasons => [.. _api.Events.Select(e => e.Reason)];

    [Fact]
    public async Task A_pull_posts_started_throttled_progress_and_pulled_on_the_pod()
    {
        var reporter = Reporter();

        reporter.Started(Reference, Digest, Total);
        _clock.Advance(TimeSpan.FromSeconds(1));
        reporter.Progress(Total / 2); // 50 % but only 1 s after the start: too soon
        _clock.Advance(TimeSpan.FromSeconds(5));
        reporter.Progress(Total / 2 + 1); // 6 s, 50 %: a percent step
        _clock.Advance(TimeSpan.FromSeconds(10));
        reporter.Progress(Total * 6 / 10); // 10 s later, +10 %: neither
        _clock.Advance(TimeSpan.FromSeconds(30));
        reporter.Progress(Total * 6 / 10 + 10); // 30 s after the last event: time
        reporter.Progress(Total); // done: Completed will say so
        reporter.Completed(TimeSpan.FromSeconds(50), Total, fromCache: false);
        await reporter.FlushAsync();

        Assert.Equal(
            [PullEventReporter.PullingReason, PullEventReporter.ProgressReason, PullEventReporter.ProgressReason, PullEventReporter.PulledReason],
            Reasons);
        var events = _api.Events;
        Assert.All(events, e => Assert.Equal(("ml", "server-0", "uid-7", KubernetesEvent.Normal, "node-a"), (e.Namespace, e.PodName, e.PodUid, e.Type, e.ReportingInstance)));
        Assert.Contains(Reference, events[0].Message, StringComparison.Ordinal);
        Assert.Contains(Digest, events[0].Message, StringComparison.Ordinal);
        Assert.Contains("100.0 MiB", events[0].Message, StringComparison.Ordinal);
        Assert.Contains("(50%)", events[1].Message, StringComparison.Ordinal);
        Assert.Contains("(60%)", events[2].Message, StringComparison.Ordinal);
        Assert.Contains("in 50.0 s", events[3].Message, StringComparison.Ordinal);
        Assert.Contains("2.1 MB/s", events[3].Message, StringComparison.Ordinal);
        Assert.Equal(_clock.GetUtcNow(), events[3].Time);
    }

    [Fact]
    public async Task A_signature_warning_is_a_warning_event_and_the_model_is_still_reported_pulled()
    {
        var reporter = Reporter();

        reporter.Warning($"{Reference} fails signature rule 'models' (warn, mounted anyway): no signature: nothing at the .sig tag");
        reporter.Completed(TimeSpan.Zero, 0, fromCache: true);
        await reporter.FlushAsync();

        Assert.Equal([PullEventReporter.SignatureWarningReason, PullEventReporter.PulledReason], Reasons);
        Assert.Equal(KubernetesEvent.Warning, _api.Events[0].Type);
        Assert.Contains("rule 'models'", _api.Events[0].Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_failed_pull_posts_a_warning_with_the_reason()
    {
        var reporter = Reporter();

        reporter.Started(Reference, Digest, Total);
        reporter.Failed("registry registry.example refused anonymous access to models/llama (HTTP 401)");
        reporter.Progress(Total / 2);
        await reporter.FlushAsync();

        Assert.Equal([PullEventReporter.PullingReason, PullEventReporter.FailedReason], Reasons);
        var failed = _api.Events[1];
        Assert.Equal(KubernetesEvent.Warning, failed.Type);
        Assert.Contains(Reference, failed.Message, StringComparison.Ordinal);
        Assert.Contains("refused anonymous access", failed.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_failure_before_the_manifest_is_resolved_still_posts_an_event()
    {
        var reporter = Reporter();

        reporter.Failed("manifest not found");
        await reporter.FlushAsync();

        var failed = Assert.Single(_api.Events);
        Assert.Equal(PullEventReporter.FailedReason, failed.Reason);
        Assert.Equal($"Failed to pull model {Reference}: manifest not found", failed.Message);
    }

    [Fact]
    public async Task A_cache_hit_posts_only_a_pulled_event_that_says_cached()
    {
        var reporter = Reporter();

        reporter.Completed(TimeSpan.Zero, 0, fromCache: true);
        await reporter.FlushAsync();

        var pulled = Assert.Single(_api.Events);
        Assert.Equal(PullEventReporter.PulledReason, pulled.Reason);
        Assert.Equal($"Model {Reference} is already cached on the node", pulled.Message);
    }

    [Fact]
    public async Task When_events_are_forbidden_the_pull_goes_on_and_the_failure_is_logged_once()
    {
        _api.Forbidden.Add("events");
        var reporter = Reporter();

        reporter.Started(Reference, Digest, Total);
        reporter.Completed(TimeSpan.FromSeconds(1), Total, fromCache: false);
        await reporter.FlushAsync();

        Assert.Empty(_api.Events);
        Assert.Single(_logs.Lines, line => line.Contains("Could not post", StringComparison.Ordinal));
    }

    [Fact]
    public void The_factory_makes_reporters_only_when_enabled_and_the_pod_is_known()
    {
        var pod = CredentialContext.FromVolume(null, new Dictionary<string, string>
        {
            [CredentialContext.PodNamespaceKey] = "ml",
            [CredentialContext.PodNameKey] = "server-0",
        });
        var created = 0;
        IKubernetesApi Api()
        {
            created++;
            return _api;
        }

        var disabled = new PullEventReporterFactory(Api, Options.Create(new PullEventOptions()), _clock, _logs.For<PullEventReporter>());
        var enabled = new PullEventReporterFactory(Api, Options.Create(_options), _clock, _logs.For<PullEventReporter>());

        Assert.Null(disabled.ForPod(pod, Reference));
        Assert.Null(enabled.ForPod(CredentialContext.None, Reference));
        Assert.Equal(0, created);
        Assert.IsType<PullEventReporter>(enabled.ForPod(pod, Reference));
        Assert.Equal(1, created);
    }
}
