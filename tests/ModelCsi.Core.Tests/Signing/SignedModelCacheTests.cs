using System.Text;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using ModelCsi.Core.Cache;
using ModelCsi.Core.Failures;
using ModelCsi.Core.ModelPack;
using ModelCsi.Core.Oci;
using ModelCsi.Core.Signing;
using ModelCsi.TestSupport;
using Xunit;
using Layer = ModelCsi.TestSupport.CosignTestSignatures.Layer;

namespace ModelCsi.Core.Tests.Signing;

/// <summary>
/// The signature policy in the node's pull pipeline, against the real registry through a proxy that counts every
/// request: signatures are made with openssl and attached in cosign's format by hand.
/// </summary>
public sealed class SignedModelCacheTests(RegistryFixture fixture, OpenSslKeysFixture keys)
    : IClassFixture<RegistryFixture>, IClassFixture<OpenSslKeysFixture>, IAsyncLifetime
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(60);
    private readonly TempDirectory _temp = new("modelcsi-signed-cache");
    private readonly SignatureMetrics _metrics = SignatureMetrics.Unexported();
    private FaultProxy _proxy = null!;
    private RegistryClient _client = null!;
    private int _seed = Environment.TickCount;

    public Task InitializeAsync()
    {
        _proxy = FaultProxy.Start(fixture.Registry.Host);
        _client = new RegistryClient(OciTestContent.QuickRetries());
        return Task.CompletedTask;
    }

    public async Task DisposeAsync()
    {
        _client.Dispose();
        await _proxy.DisposeAsync();
        _temp.Dispose();
    }

    [Fact]
    public async Task A_signed_model_is_pulled_under_enforce_and_its_cache_hits_make_no_signature_request()
    {
        var (repository, reference, packed, files) = await PushAsync();
        await SignAsync(repository, packed.ManifestDigest, "p256");
        var policy = Policy(SignatureMode.Enforce, repository, "p256");

        using (var cache = NewCache(policy))
        {
            var pulled = await cache.AcquireAsync(new ModelRequest(reference)).WaitAsync(Patience);
            AssertSameFiles(files, pulled.ModelPath);
            var record = Assert.Single(cache.ListModels());
            Assert.Equal("models", record.Signature?.Rule);
            Assert.Equal(OpenSsl.Fingerprint(keys["p256"].PublicKey), record.Signature?.KeyFingerprint);
            var asked = SignatureRequests(repository);
            Assert.True(asked > 0);

            await cache.AcquireAsync(new ModelRequest(reference)).WaitAsync(Patience);
            await cache.AcquireAsync(new ModelRequest($"{_proxy.Host}/{repository}@{packed.ManifestDigest}")).WaitAsync(Patience);

            Assert.Equal(asked, SignatureRequests(repository));
            Assert.Equal(1, Count("verified"));
        }

        // A restart under the same policy remembers the verification too.
        var before = SignatureRequests(repository);
        using (var restarted = NewCache(policy))
        {
            await restarted.AcquireAsync(new ModelRequest($"{_proxy.Host}/{repository}@{packed.ManifestDigest}")).WaitAsync(Patience);
        }

        Assert.Equal(before, SignatureRequests(repository));
    }

    [Fact]
    public async Task A_cached_model_is_verified_again_when_the_policy_no_longer_trusts_the_key_that_verified_it()
    {
        var (repository, reference, packed, _) = await PushAsync();
        await SignAsync(repository, packed.ManifestDigest, "p256");
        using (var first = NewCache(Policy(SignatureMode.Enforce, repository, "p256")))
        {
            await first.AcquireAsync(new ModelRequest(reference)).WaitAsync(Patience);
        }

        var before = SignatureRequests(repository);
        using var changed = NewCache(Policy(SignatureMode.Enforce, repository, "other"));
        var error = await Assert.ThrowsAsync<ModelPullException>(
            () => changed.AcquireAsync(new ModelRequest($"{_proxy.Host}/{repository}@{packed.ManifestDigest}") { Holder = LeaseHolder.Pin("test") }).WaitAsync(Patience));

        Assert.Equal(FailureKind.PermissionDenied, error.Kind);
        Assert.Contains("untrusted key", error.Message, StringComparison.Ordinal);
        Assert.True(SignatureRequests(repository) > before);
        Assert.False(changed.Store.Leases.IsHeld(packed.ManifestDigest));
    }

    [Fact]
    public async Task An_unsigned_model_is_permission_denied_under_enforce_and_nothing_of_it_is_downloaded_or_cached()
    {
        var (repository, reference, packed, _) = await PushAsync();
        using var cache = NewCache(Policy(SignatureMode.Enforce, repository, "p256"));

        var error = await Assert.ThrowsAsync<ModelPullException>(() => cache.AcquireAsync(new ModelRequest(reference)).WaitAsync(Patience));

        Assert.Equal(FailureKind.PermissionDenied, error.Kind);
        Assert.Contains($"{_proxy.Host}/{repository}:v1@{packed.ManifestDigest}", error.Message, StringComparison.Ordinal);
        Assert.Contains("rule 'models'", error.Message, StringComparison.Ordinal);
        Assert.Contains("no signature", error.Message, StringComparison.Ordinal);
        Assert.Equal(0, packed.Manifest.Layers.Sum(l => _proxy.CountRequests("GET", "/blobs/" + l.Digest)));
        Assert.Empty(cache.ListModels());
        Assert.Equal(1, Count("no_signature"));
    }

    [Fact]
    public async Task A_model_signed_by_another_key_is_permission_denied_and_not_cached()
    {
        var (repository, reference, packed, _) = await PushAsync();
        await SignAsync(repository, packed.ManifestDigest, "other");
        using var cache = NewCache(Policy(SignatureMode.Enforce, repository, "p256"));

        var error = await Assert.ThrowsAsync<ModelPullException>(() => cache.AcquireAsync(new ModelRequest(reference)).WaitAsync(Patience));

        Assert.Equal(FailureKind.PermissionDenied, error.Kind);
        Assert.Contains("untrusted key", error.Message, StringComparison.Ordinal);
        Assert.Empty(cache.ListModels());
    }

    [Fact]
    public async Task A_model_cached_before_the_policy_existed_is_refused_on_its_next_hit_when_unsigned()
    {
        var (repository, reference, _, _) = await PushAsync();
        using (var unverified = NewCache(policy: null))
        {
            await unverified.AcquireAsync(new ModelRequest(reference)).WaitAsync(Patience);
        }

        using var cache = NewCache(Policy(SignatureMode.Enforce, repository, "p256"));
        var error = await Assert.ThrowsAsync<ModelPullException>(() => cache.AcquireAsync(new ModelRequest(reference)).WaitAsync(Patience));

        Assert.Equal(FailureKind.PermissionDenied, error.Kind);
        Assert.Null(Assert.Single(cache.ListModels()).Signature);
    }

    [Fact]
    public async Task A_policy_for_one_repository_does_not_affect_another()
    {
        var (guarded, _, _, _) = await PushAsync();
        var (other, reference, _, files) = await PushAsync();
        using var cache = NewCache(Policy(SignatureMode.Enforce, guarded, "p256"));

        var pulled = await cache.AcquireAsync(new ModelRequest(reference)).WaitAsync(Patience);

        AssertSameFiles(files, pulled.ModelPath);
        Assert.Equal(0, SignatureRequests(other));
        Assert.Null(Assert.Single(cache.ListModels()).Signature);
    }

    [Fact]
    public async Task Under_warn_an_unsigned_model_is_served_counted_and_the_requests_observer_warned()
    {
        var (repository, reference, _, files) = await PushAsync();
        using var cache = NewCache(Policy(SignatureMode.Warn, repository, "p256"));
        var observer = new WarningRecorder();

        var pulled = await cache.AcquireAsync(new ModelRequest(reference) { Observer = observer }).WaitAsync(Patience);

        AssertSameFiles(files, pulled.ModelPath);
        var warning = Assert.Single(observer.Warnings);
        Assert.Contains("rule 'models'", warning, StringComparison.Ordinal);
        Assert.Contains("no signature", warning, StringComparison.Ordinal);
        Assert.Equal(1, Count("no_signature"));
        Assert.Null(Assert.Single(cache.ListModels()).Signature);
    }

    private ModelCache NewCache(SignaturePolicy? policy) =>
        new(Options.Create(new ModelCacheOptions { RootDirectory = _temp.Combine("root"), ReservedFreeBytes = 0 }),
            _client, new LayerUnpacker(), TimeProvider.System, NullLogger<ModelCache>.Instance,
            verifier: policy is null ? null : new ModelSignatureVerifier(policy, _metrics));

    private SignaturePolicy Policy(SignatureMode mode, string repository, string key) => SignaturePolicy.Create(new SignaturePolicyOptions
    {
        Rules = [new SignatureRuleOptions { Name = "models", Match = $"{_proxy.Host}/{repository}", Mode = mode, Keys = [keys[key].PublicKey] }],
    });

    private async Task<(string Repository, string Reference, PackedModel Packed, Dictionary<string, byte[]> Files)> PushAsync()
    {
        var seed = Interlocked.Increment(ref _seed);
        var files = new Dictionary<string, byte[]>
        {
            ["model.safetensors"] = OciTestContent.RandomBytes(50_000, seed),
            ["config.json"] = Encoding.UTF8.GetBytes($"{{\"seed\": {seed}}}"),
        };
        var repository = OciTestContent.UniqueRepository("signed");
        var packed = await TestModels.PushAsync(fixture.Registry.Host, repository, "v1", TestModels.WriteDirectory(_temp.Combine($"src-{seed}"), files));
        return (repository, $"{_proxy.Host}/{repository}:v1", packed, files);
    }

    /// <summary>A cosign 2 signature at the <c>.sig</c> tag, naming the repository as the pods reach it (through the proxy).</summary>
    private async Task SignAsync(string repository, string digest, string key)
    {
        var payload = CosignTestSignatures.Payload($"{_proxy.Host}/{repository}", digest);
        await CosignTestSignatures.AttachAsync(fixture.Registry.Host, repository, digest, [new Layer(payload, keys.SignBase64(key, payload))]);
    }

    private int SignatureRequests(string repository) =>
        _proxy.Requests.Count(r => r.Path.Contains($"/{repository}/", StringComparison.Ordinal)
                                   && (r.Path.Contains(".sig", StringComparison.Ordinal) || r.Path.Contains("/referrers/", StringComparison.Ordinal)
                                       || r.Path.Contains("/manifests/sha256-", StringComparison.Ordinal)));

    private double Count(string result) => _metrics.Verifications.WithLabels(result).Value;

    private static void AssertSameFiles(Dictionary<string, byte[]> expected, string modelPath)
    {
        foreach (var (relative, content) in expected)
        {
            Assert.Equal(content, File.ReadAllBytes(Path.Combine(modelPath, relative)));
        }
    }

    private sealed class WarningRecorder : IPullObserver
    {
        public List<string> Warnings { get; } = [];

        public void Started(string reference, string manifestDigest, long totalBytes)
        {
        }

        public void Progress(long bytesDone)
        {
        }

        public void Completed(TimeSpan duration, long bytesDownloaded, bool fromCache)
        {
        }

        public void Failed(string reason)
        {
        }

        public void Warning(string message)
        {
            lock (Warnings)
            {
                Warnings.Add(message);
            }
        }
    }
}
