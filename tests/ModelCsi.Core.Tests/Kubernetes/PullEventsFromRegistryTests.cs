using ModelCsi.Core.Cache;
using ModelCsi.Core.Kubernetes;
using ModelCsi.Core.ModelPack;
using ModelCsi.Core.Oci;
using ModelCsi.TestSupport;
using Xunit;

namespace ModelCsi.Core.Tests.Kubernetes;

/// <summary>Pod Events for real pulls from a registry with Basic auth, recorded by the fake API.</summary>
public sealed class PullEventsFromRegistryTests(BasicAuthRegistryFixture fixture) : IClassFixture<BasicAuthRegistryFixture>, IDisposable
{
    private readonly TempDirectory _temp = new();
    private readonly FakeKubernetesApi _api = new();
    private readonly CapturedLogs _logs = new();

    public void Dispose() => _temp.Dispose();

    private PullEventReporter Reporter() => new(_api, "ml", "server-0", "uid", "(set by Started)", new PullEventOptions
    {
        Enabled = true,
        ProgressInterval = TimeSpan.Zero, // every report, so the test sees progress from a small model
        ProgressPercentStep = 0,
    }, TimeProvider.System, _logs.For<PullEventReporter>());

    private async Task<OciReference> PushAsync()
    {
        var repository = OciTestContent.UniqueRepository("events");
        var source = TestModels.WriteDirectory(_temp.Combine("src"), new Dictionary<string, byte[]>
        {
            ["a.safetensors"] = OciTestContent.RandomBytes(50_000, 1),
            ["b.safetensors"] = OciTestContent.RandomBytes(50_000, 2),
        });
        await TestModels.PushAsync(fixture.Registry.Host, repository, "v1", source, credential: RegistryCredential.Basic(BasicAuthRegistryFixture.User, BasicAuthRegistryFixture.Password));
        return OciReference.Parse($"{fixture.Registry.Host}/{repository}:v1");
    }

    /// <summary>Drives the observer the way the cache will: started after resolving, progress while downloading, then the outcome.</summary>
    private async Task PullAsync(OciReference reference, RegistryCredential? credential, IPullObserver observer)
    {
        using var client = new RegistryClient(OciTestContent.QuickRetries());
        var repository = client.Repository(reference, credential);
        var started = TimeProvider.System.GetTimestamp();
        try
        {
            var model = await ModelResolver.ResolveAsync(repository);
            observer.Started(reference.ToString(), model.ManifestDigest, model.Manifest.Layers.Sum(l => l.Size));
            var result = await new ModelPuller().PullAsync(repository, _temp.Combine("out"),
                progress: new SynchronousProgress(p => observer.Progress(p.BytesTransferred)));
            observer.Completed(TimeProvider.System.GetElapsedTime(started), result.BytesDownloaded, fromCache: false);
        }
        catch (RegistryException e)
        {
            observer.Failed(e.Message);
        }
    }

    [Fact]
    public async Task A_successful_pull_shows_pulling_progress_and_pulled_on_the_pod()
    {
        var reference = await PushAsync();
        var reporter = Reporter();

        await PullAsync(reference, RegistryCredential.Basic(BasicAuthRegistryFixture.User, BasicAuthRegistryFixture.Password), reporter);
        await reporter.FlushAsync();

        var reasons = _api.Events.Select(e => e.Reason).ToList();
        Assert.Equal(PullEventReporter.PullingReason, reasons[0]);
        Assert.Contains(PullEventReporter.ProgressReason, reasons);
        Assert.Equal(PullEventReporter.PulledReason, reasons[^1]);
        Assert.Contains("97.7 KiB", _api.Events[0].Message, StringComparison.Ordinal);
        Assert.Contains("downloaded at", _api.Events[^1].Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_pull_without_credentials_shows_one_warning_event_with_the_registrys_refusal()
    {
        var reference = await PushAsync();
        var reporter = Reporter();

        await PullAsync(reference, null, reporter);
        await reporter.FlushAsync();

        var failed = Assert.Single(_api.Events);
        Assert.Equal((KubernetesEvent.Warning, PullEventReporter.FailedReason), (failed.Type, failed.Reason));
        Assert.Contains(reference.Repository, failed.Message, StringComparison.Ordinal);
        Assert.Contains("username and password", failed.Message, StringComparison.Ordinal);
    }

    /// <summary>Progress&lt;T&gt; posts to the thread pool; this reports inline so the order is exact.</summary>
    private sealed class SynchronousProgress(Action<TransferProgress> report) : IProgress<TransferProgress>
    {
        public void Report(TransferProgress value) => report(value);
    }
}
