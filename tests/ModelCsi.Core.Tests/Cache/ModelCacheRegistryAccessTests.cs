using ModelCsi.Core.Failures;
using System.Text;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using ModelCsi.Core.Cache;
using ModelCsi.Core.ModelPack;
using ModelCsi.Core.Oci;
using ModelCsi.Core.Oci.Credentials;
using ModelCsi.Core.Tests.Oci;
using ModelCsi.TestSupport;
using Prometheus;
using Xunit;

namespace ModelCsi.Core.Tests.Cache;

/// <summary>The node cache wired to mirrors, credential sources and pull observers, against real registries.</summary>
public sealed class ModelCacheRegistryAccessTests(TwoRegistriesFixture registries, BasicAuthRegistryFixture privateRegistry)
    : IClassFixture<TwoRegistriesFixture>, IClassFixture<BasicAuthRegistryFixture>, IDisposable
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(60);
    private readonly TempDirectory _temp = new("modelcsi-cache-access");

    public void Dispose() => _temp.Dispose();

    private string Source(int seed) => TestModels.WriteDirectory(_temp.Path, new Dictionary<string, byte[]>
    {
        ["model.safetensors"] = OciTestContent.RandomBytes(200_000, seed),
        ["config.json"] = Encoding.UTF8.GetBytes($"{{\"seed\":{seed}}}"),
    });

    private ModelCache Cache(RegistryClient client, CacheMetrics metrics, CredentialResolver? credentials = null) =>
        new(Options.Create(new ModelCacheOptions { RootDirectory = _temp.Combine("root-" + Guid.NewGuid().ToString("N")[..6]) }),
            client, new LayerUnpacker(), TimeProvider.System, NullLogger<ModelCache>.Instance, metrics, credentials);

    private static async Task<string> ExportAsync(CollectorRegistry registry)
    {
        using var stream = new MemoryStream();
        await registry.CollectAndExportAsTextAsync(stream);
        return Encoding.UTF8.GetString(stream.ToArray());
    }

    /// <summary>Pulls origin/repository:v1 into a fresh cache whose client lists the mirror; returns the metrics text.</summary>
    private async Task<string> PullThroughMirrorAsync(string repository)
    {
        var options = OciTestContent.QuickRetries();
        var origin = new RegistryHostOptions();
        origin.Mirrors.Add(new RegistryMirror { Endpoint = registries.Mirror.Host });
        options.Hosts[registries.Origin.Host] = origin;
        var prometheus = Metrics.NewCustomRegistry();
        var metrics = new CacheMetrics(prometheus);
        using var client = new RegistryClient(options, endpointObserver: metrics);
        using var cache = Cache(client, metrics);

        await cache.AcquireAsync(new ModelRequest($"{registries.Origin.Host}/{repository}:v1")).WaitAsync(Patience);

        return await ExportAsync(prometheus);
    }

    [Fact]
    public async Task A_model_held_by_the_mirror_is_served_by_it_and_the_metrics_say_so()
    {
        var repository = OciTestContent.UniqueRepository("mirrored");
        // The artifact lives on the mirror only; the origin does not have it at all.
        await TestModels.PushAsync(registries.Mirror.Host, repository, "v1", Source(1));

        var text = await PullThroughMirrorAsync(repository);
        Assert.Contains($"modelcsi_registry_requests_total{{endpoint=\"{registries.Mirror.Host}\",role=\"mirror\",kind=\"blob\",result=\"served\"}}", text, StringComparison.Ordinal);
        Assert.DoesNotContain("role=\"origin\",kind=\"blob\",result=\"served\"", text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_model_the_mirror_lacks_comes_from_the_origin_and_the_metrics_say_so()
    {
        var repository = OciTestContent.UniqueRepository("origin-only");
        await TestModels.PushAsync(registries.Origin.Host, repository, "v1", Source(2));

        var text = await PullThroughMirrorAsync(repository);
        Assert.Contains($"modelcsi_registry_requests_total{{endpoint=\"{registries.Origin.Host}\",role=\"origin\",kind=\"blob\",result=\"served\"}}", text, StringComparison.Ordinal);
        Assert.Contains($"endpoint=\"{registries.Mirror.Host}\",role=\"mirror\",kind=\"manifest\",result=\"failed\"", text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_node_docker_config_opens_a_private_registry_and_its_password_is_never_logged()
    {
        var credential = RegistryCredential.Basic(BasicAuthRegistryFixture.User, BasicAuthRegistryFixture.Password);
        var repository = OciTestContent.UniqueRepository("private");
        await TestModels.PushAsync(privateRegistry.Registry.Host, repository, "v1", Source(3), credential: credential);
        var auth = Convert.ToBase64String(Encoding.UTF8.GetBytes($"{BasicAuthRegistryFixture.User}:{BasicAuthRegistryFixture.Password}"));
        var configPath = _temp.Combine("config.json");
        await File.WriteAllTextAsync(configPath, $"{{\"auths\":{{\"{privateRegistry.Registry.Host}\":{{\"auth\":\"{auth}\"}}}}}}");
        using var logs = new CapturedLogs();
        var resolver = new CredentialResolver(
            [new SecretsCredentialSource(), new DockerConfigFileCredentialSource([configPath], logs.For<DockerConfigFileCredentialSource>())],
            logs.For<CredentialResolver>());
        using var client = new RegistryClient(OciTestContent.QuickRetries());
        using var cache = Cache(client, CacheMetrics.Unexported(), resolver);
        var reference = $"{privateRegistry.Registry.Host}/{repository}:v1";

        var anonymous = await Assert.ThrowsAsync<ModelPullException>(() =>
            Cache(client, CacheMetrics.Unexported()).AcquireAsync(new ModelRequest(reference)));
        var handle = await cache.AcquireAsync(new ModelRequest(reference)).WaitAsync(Patience);

        Assert.Equal(FailureKind.PermissionDenied, anonymous.Kind);
        Assert.True(File.Exists(Path.Combine(handle.ModelPath, "model.safetensors")));
        Assert.Contains(configPath, logs.Text, StringComparison.Ordinal);
        Assert.DoesNotContain(BasicAuthRegistryFixture.Password, logs.Text, StringComparison.Ordinal);
        Assert.DoesNotContain(auth, logs.Text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Observers_hear_a_pull_start_progress_and_finish_and_a_later_request_hear_it_was_cached()
    {
        var repository = OciTestContent.UniqueRepository("observed");
        var source = TestModels.WriteDirectory(_temp.Path, new Dictionary<string, byte[]>
        {
            ["model.safetensors"] = OciTestContent.RandomBytes(20_000_000, 4),
        });
        await TestModels.PushAsync(registries.Origin.Host, repository, "v1", source);
        using var client = new RegistryClient(OciTestContent.QuickRetries());
        using var cache = Cache(client, CacheMetrics.Unexported());
        var first = new RecordingPullObserver();
        var second = new RecordingPullObserver();
        var reference = $"{registries.Origin.Host}/{repository}:v1";

        await cache.AcquireAsync(new ModelRequest(reference) { Observer = first }).WaitAsync(Patience);
        await cache.AcquireAsync(new ModelRequest(reference) { Observer = second }).WaitAsync(Patience);

        Assert.Equal("started", first.Events[0]);
        Assert.Contains(first.Events, e => e.StartsWith("progress ", StringComparison.Ordinal));
        Assert.Equal("completed downloaded", first.Events[^1]);
        Assert.Equal(["completed cached"], second.Events);
    }

    [Fact]
    public async Task Observers_hear_a_failure()
    {
        using var client = new RegistryClient(OciTestContent.QuickRetries());
        using var cache = Cache(client, CacheMetrics.Unexported());
        var observer = new RecordingPullObserver();

        await Assert.ThrowsAsync<ModelPullException>(() =>
            cache.AcquireAsync(new ModelRequest($"{registries.Origin.Host}/none/such:v1") { Observer = observer }));

        var failed = Assert.Single(observer.Events);
        Assert.StartsWith("failed", failed, StringComparison.Ordinal);
    }

    private sealed class RecordingPullObserver : IPullObserver
    {
        public List<string> Events { get; } = [];

        public void Started(string reference, string manifestDigest, long totalBytes) => Add("started");

        public void Progress(long bytesDone) => Add($"progress {bytesDone}");

        public void Completed(TimeSpan duration, long bytesDownloaded, bool fromCache) => Add(fromCache ? "completed cached" : "completed downloaded");

        public void Failed(string reason) => Add("failed " + reason);

        private void Add(string e)
        {
            lock (Events)
            {
                Events.Add(e);
            }
        }
    }

    [Fact]
    public async Task A_private_model_cached_for_one_tenant_is_not_served_by_digest_to_a_tenant_without_its_credentials()
    {
        var credential = RegistryCredential.Basic(BasicAuthRegistryFixture.User, BasicAuthRegistryFixture.Password);
        var repository = OciTestContent.UniqueRepository("tenant");
        var packed = await TestModels.PushAsync(privateRegistry.Registry.Host, repository, "v1", Source(4), credential: credential);
        await using var proxy = FaultProxy.Start(privateRegistry.Registry.Host);
        using var client = new RegistryClient(OciTestContent.QuickRetries());
        using var cache = Cache(client, CacheMetrics.Unexported());
        var secrets = new Dictionary<string, string> { ["username"] = BasicAuthRegistryFixture.User, ["password"] = BasicAuthRegistryFixture.Password };
        var byDigest = $"{proxy.Host}/{repository}@{packed.ManifestDigest}";
        await cache.AcquireAsync(new ModelRequest($"{proxy.Host}/{repository}:v1", secrets)).WaitAsync(Patience);

        var noSecret = await Assert.ThrowsAsync<ModelPullException>(() => cache.AcquireAsync(new ModelRequest(byDigest)).WaitAsync(Patience));
        var wrongSecret = await Assert.ThrowsAsync<ModelPullException>(() => cache.AcquireAsync(
            new ModelRequest(byDigest, new Dictionary<string, string> { ["username"] = BasicAuthRegistryFixture.User, ["password"] = "guess" })).WaitAsync(Patience));
        // The owner's credentials were accepted for this repository when it was pulled: no request, even with the registry down.
        proxy.FailNextRequests("/v2/", 10_000);
        var requests = proxy.Requests.Count;
        var owner = await cache.AcquireAsync(new ModelRequest(byDigest, secrets)).WaitAsync(Patience);

        Assert.Equal(FailureKind.PermissionDenied, noSecret.Kind);
        Assert.Equal(FailureKind.PermissionDenied, wrongSecret.Kind);
        Assert.True(File.Exists(Path.Combine(owner.ModelPath, "model.safetensors")));
        Assert.Equal(requests, proxy.Requests.Count);
        var record = await File.ReadAllTextAsync(cache.Layout.ModelRecord(packed.ManifestDigest));
        Assert.DoesNotContain(BasicAuthRegistryFixture.Password, record, StringComparison.Ordinal);
        Assert.DoesNotContain(BasicAuthRegistryFixture.User, record, StringComparison.Ordinal);
    }
}
