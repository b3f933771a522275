using ModelCsi.Core.Cache;
using ModelCsi.Core.Kubernetes;
using ModelCsi.Core.ModelPack;
using ModelCsi.Core.Oci;
using ModelCsi.Driver.Kubernetes;
using ModelCsi.TestSupport;
using Xunit;

namespace ModelCsi.Driver.Tests.Kubernetes;

/// <summary>
/// Pod Events for real pulls from a registry with Basic auth, posted by the real client through a kubeconfig
/// (TLS and a bearer token) to the HTTP-level fake API server.
/// </summary>
public sealed class PullEventsFromRegistryTests(BasicAuthRegistryFixture fixture) : IClassFixture<BasicAuthRegistryFixture>, IAsyncLifetime
{
    private readonly TempDirectory _temp = new();
    private readonly CapturedLogs _logs = new();
    private FakeKubeApiServer _server = null!;
    private KubernetesApi _api = null!;

    public async Task InitializeAsync()
    {
        _server = await FakeKubeApiServer.StartAsync(tls: true, bearerToken: "node-token");
        _api = new KubernetesApi(k8s.KubernetesClientConfiguration.BuildConfigFromConfigFile(_server.WriteKubeconfig(_temp.Combine("kubeconfig"))));
    }

    public async Task DisposeAsync()
    {
        _api.Dispose();
        await _server.DisposeAsync();
        _temp.Dispose();
    }

    private List<System.Text.Json.Nodes.JsonObject> Events => [.. _server.List("events", "ml")
        .OrderBy(e => long.Parse((string)e["metadata"]!["resourceVersion"]!, System.Globalization.CultureInfo.InvariantCulture))];

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

        var events = Events;
        var reasons = events.Select(e => (string?)e["reason"]).ToList();
        Assert.Equal(PullEventReporter.PullingReason, reasons[0]);
        Assert.Contains(PullEventReporter.ProgressReason, reasons);
        Assert.Equal(PullEventReporter.PulledReason, reasons[^1]);
        Assert.Contains("97.7 KiB", (string?)events[0]["message"], StringComparison.Ordinal);
        Assert.Contains("downloaded at", (string?)events[^1]["message"], StringComparison.Ordinal);
        Assert.All(events, e => Assert.Equal(("Pod", "server-0", "uid"),
            ((string?)e["involvedObject"]!["kind"], (string?)e["involvedObject"]!["name"], (string?)e["involvedObject"]!["uid"])));
    }

    [Fact]
    public async Task A_pull_without_credentials_shows_one_warning_event_with_the_registrys_refusal()
    {
        var reference = await PushAsync();
        var reporter = Reporter();

        await PullAsync(reference, null, reporter);
        await reporter.FlushAsync();

        var failed = Assert.Single(Events);
        Assert.Equal((KubernetesEvent.Warning, PullEventReporter.FailedReason), ((string?)failed["type"], (string?)failed["reason"]));
        Assert.Contains(reference.Repository, (string?)failed["message"], StringComparison.Ordinal);
        Assert.Contains("username and password", (string?)failed["message"], StringComparison.Ordinal);
    }

    [Fact]
    public async Task Events_the_API_forbids_cost_one_log_line_and_never_the_pull()
    {
        var reference = await PushAsync();
        _server.Forbidden.Add("events");
        var reporter = Reporter();

        await PullAsync(reference, RegistryCredential.Basic(BasicAuthRegistryFixture.User, BasicAuthRegistryFixture.Password), reporter);
        await reporter.FlushAsync();

        Assert.Empty(Events);
        Assert.Single(_logs.Lines, l => l.Contains("Could not post", StringComparison.Ordinal) && l.Contains("HTTP 403", StringComparison.Ordinal));
    }

    /// <summary>Progress&lt;T&gt; posts to the thread pool; this reports inline so the order is exact.</summary>
    private sealed class SynchronousProgress(Action<TransferProgress> report) : IProgress<TransferProgress>
    {
        public void Report(TransferProgress value) => report(value);
    }
}
