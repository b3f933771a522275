using ModelCsi.Driver.ModelCaches;
using ModelCsi.TestSupport;
using Prometheus;
using Xunit;
using static ModelCsi.Driver.Tests.ModelCaches.ModelCacheObjects;

namespace ModelCsi.Driver.Tests.ModelCaches;

/// <summary>The node plugin's ModelCache loop, through the real Kubernetes client against the HTTP-level fake API server.</summary>
public sealed class NodeAgentTests : IAsyncLifetime
{
    private const string Digest = "sha256:1111111111111111111111111111111111111111111111111111111111111111";
    private const string OtherDigest = "sha256:2222222222222222222222222222222222222222222222222222222222222222";
    private const string Model = "registry.example/models/tiny@" + Digest;
    private static readonly Dictionary<string, string> Gpu = new() { ["gpu"] = "a100" };
    private static readonly Dictionary<string, string> Cpu = new() { ["gpu"] = "none" };

    private ModelCacheCluster _cluster = null!;
    private readonly FakeModelWarmer _warmer = new();

    public async Task InitializeAsync()
    {
        _cluster = await ModelCacheCluster.StartAsync();
        _warmer.Models[Digest] = 4096;
        _warmer.Models[OtherDigest] = 8192;
    }

    public async Task DisposeAsync() => await _cluster.DisposeAsync();

    private FakeKubeApiServer Server => _cluster.Server;

    private Task<string?> PhaseAsync(string cache, string node, string phase) =>
        Eventually.ValueAsync(() => Phase(Server, cache, node), p => p == phase, ModelCacheCluster.Patience);

    [Fact]
    public async Task A_matching_ModelCache_is_pulled_pinned_and_reported_Ready_with_its_digest_and_size()
    {
        Server.PutNode("node-a", Gpu);
        var metrics = new ModelCacheMetrics(Metrics.NewCustomRegistry());
        await _cluster.StartNodeAsync("node-a", _warmer, metrics);
        Server.Put("modelcaches", Create("tiny", Model, Gpu));

        Assert.Equal(ModelCachePhase.Ready, await PhaseAsync("tiny", "node-a", ModelCachePhase.Ready));
        var entry = NodeEntry(Server, "tiny", "node-a")!;
        Assert.Equal(Digest, (string?)entry["digest"]);
        Assert.Equal(4096, (long)entry["sizeBytes"]!);
        Assert.NotNull(entry["lastTransitionTime"]);
        Assert.Equal(["modelcache/tiny"], _warmer.PinnedOwners);
        Assert.Equal(1, metrics.Models(ModelCachePhase.Ready));
        Assert.Equal(4096, metrics.PinnedBytes);
        Assert.Contains(Server.Requests, r => r.StartsWith("PATCH /apis/model.csi.modelpack.org/v1alpha1/modelcaches/tiny/status?", StringComparison.Ordinal)
                                              && r.Contains("fieldManager=modelcsi-node%2Fnode-a", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_ModelCache_for_nodes_that_do_not_match_leaves_no_entry_and_no_pin()
    {
        Server.PutNode("node-a", Cpu);
        Server.Put("modelcaches", Create("gpu-only", Model, Gpu, created: DateTimeOffset.UtcNow.AddMinutes(-2)));
        Server.Put("modelcaches", Create("everywhere", Model.Replace(Digest, OtherDigest, StringComparison.Ordinal), created: DateTimeOffset.UtcNow.AddMinutes(-1)));
        await _cluster.StartNodeAsync("node-a", _warmer);

        // The node has seen both; the one for every node is Ready, so the other was passed over, not missed.
        await PhaseAsync("everywhere", "node-a", ModelCachePhase.Ready);
        Assert.Null(NodeEntry(Server, "gpu-only", "node-a"));
        Assert.Equal(["modelcache/everywhere"], _warmer.PinnedOwners);
    }

    [Fact]
    public async Task A_label_change_on_the_node_unpins_and_removes_its_entry()
    {
        Server.PutNode("node-a", Gpu);
        await _cluster.StartNodeAsync("node-a", _warmer);
        Server.Put("modelcaches", Create("tiny", Model, Gpu));
        await PhaseAsync("tiny", "node-a", ModelCachePhase.Ready);

        Server.PutNode("node-a", Cpu);

        var entry = await Eventually.ValueAsync(() => NodeEntry(Server, "tiny", "node-a"), e => e is null, ModelCacheCluster.Patience);
        Assert.Null(entry);
        Assert.Empty(_warmer.PinnedOwners);
    }

    [Fact]
    public async Task Deleting_the_ModelCache_unpins_the_model()
    {
        Server.PutNode("node-a", Gpu);
        await _cluster.StartNodeAsync("node-a", _warmer);
        Server.Put("modelcaches", Create("tiny", Model));
        await PhaseAsync("tiny", "node-a", ModelCachePhase.Ready);

        Server.Delete("modelcaches", "tiny");

        var pinned = await Eventually.ValueAsync(() => _warmer.PinnedOwners, p => p.Count == 0, ModelCacheCluster.Patience);
        Assert.Empty(pinned);
    }

    [Fact]
    public async Task A_watch_cut_mid_stream_resumes_from_the_last_resourceVersion_without_missing_an_event()
    {
        Server.PutNode("node-a", Gpu);
        var agent = await _cluster.StartNodeAsync("node-a", _warmer);
        Server.Put("modelcaches", Create("first", Model));
        await PhaseAsync("first", "node-a", ModelCachePhase.Ready);
        var seen = agent.Caches!.ResourceVersion;

        // The connection drops, and while the node is away a ModelCache is created.
        Server.HoldWatches = true;
        Server.CutWatches();
        Server.Put("modelcaches", Create("second", Model.Replace(Digest, OtherDigest, StringComparison.Ordinal)));
        Server.HoldWatches = false;

        Assert.Equal(ModelCachePhase.Ready, await PhaseAsync("second", "node-a", ModelCachePhase.Ready));
        Assert.Equal(1, agent.Caches.Lists);
        Assert.Contains(Server.Requests, r => r.Contains("/modelcaches?", StringComparison.Ordinal) && r.Contains("watch=true", StringComparison.Ordinal)
                                              && r.Contains("resourceVersion=" + seen, StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_watch_from_a_compacted_resourceVersion_gets_410_and_lists_again()
    {
        Server.PutNode("node-a", Gpu);
        var agent = await _cluster.StartNodeAsync("node-a", _warmer);
        Server.Put("modelcaches", Create("first", Model));
        await PhaseAsync("first", "node-a", ModelCachePhase.Ready);

        Server.HoldWatches = true;
        Server.CutWatches();
        Server.Put("modelcaches", Create("second", Model.Replace(Digest, OtherDigest, StringComparison.Ordinal)));
        Server.Delete("modelcaches", "first");
        Server.Compact();
        Server.HoldWatches = false;

        Assert.Equal(ModelCachePhase.Ready, await PhaseAsync("second", "node-a", ModelCachePhase.Ready));
        var pinned = await Eventually.ValueAsync(() => _warmer.PinnedOwners, p => p.Count == 1, ModelCacheCluster.Patience);
        Assert.Equal(["modelcache/second"], pinned);
        Assert.Equal(2, agent.Caches!.Lists);
        Assert.Contains("410 Gone", _cluster.Logs.Text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Bookmarks_move_the_resume_point_forward()
    {
        Server.PutNode("node-a", Gpu);
        var agent = await _cluster.StartNodeAsync("node-a", _warmer);
        Server.Put("modelcaches", Create("first", Model));
        await PhaseAsync("first", "node-a", ModelCachePhase.Ready);
        Server.PutNode("node-b", Gpu);
        var now = Server.ResourceVersion.ToString(System.Globalization.CultureInfo.InvariantCulture);

        Server.SendBookmarks();

        Assert.Equal(now, await Eventually.ValueAsync(() => agent.Caches!.ResourceVersion, v => v == now, ModelCacheCluster.Patience));
    }

    [Fact]
    public async Task Three_nodes_write_their_entries_to_one_object_and_none_is_lost()
    {
        string[] nodes = ["node-a", "node-b", "node-c"];
        foreach (var node in nodes)
        {
            Server.PutNode(node, Gpu);
            var warmer = new FakeModelWarmer();
            warmer.Models[Digest] = 4096;
            await _cluster.StartNodeAsync(node, warmer);
        }

        Server.Put("modelcaches", Create("tiny", Model, Gpu));

        foreach (var node in nodes)
        {
            Assert.Equal(ModelCachePhase.Ready, await PhaseAsync("tiny", node, ModelCachePhase.Ready));
        }

        Assert.Equal(3, (Server.Get("modelcaches", "tiny")!["status"]!["nodes"]!.AsArray()).Count);
    }

    [Fact]
    public async Task A_pin_beyond_the_cache_limit_is_Failed_with_the_bytes_needed_and_allowed_and_the_older_ModelCache_keeps_its_pin()
    {
        Server.PutNode("node-a", Gpu);
        _warmer.PinLimit = 10_000;
        var now = DateTimeOffset.UtcNow;
        // Created in the API in the opposite order of their age: age decides, not arrival.
        Server.Put("modelcaches", Create("newer", Model.Replace(Digest, OtherDigest, StringComparison.Ordinal), created: now.AddMinutes(-1)));
        Server.Put("modelcaches", Create("older", Model, created: now.AddMinutes(-5)));
        await _cluster.StartNodeAsync("node-a", _warmer);

        Assert.Equal(ModelCachePhase.Failed, await PhaseAsync("newer", "node-a", ModelCachePhase.Failed));
        Assert.Equal(ModelCachePhase.Ready, Phase(Server, "older", "node-a"));
        var message = (string?)NodeEntry(Server, "newer", "node-a")!["message"];
        Assert.Contains("needs 8192 bytes but the cache allows 10000", message, StringComparison.Ordinal);
        Assert.Equal(["modelcache/older"], _warmer.PinnedOwners);
    }

    [Fact]
    public async Task A_tag_waits_Pending_for_the_controller_and_the_node_pulls_the_resolved_digest()
    {
        Server.PutNode("node-a", Gpu);
        await _cluster.StartNodeAsync("node-a", _warmer);
        Server.Put("modelcaches", Create("tagged", "registry.example/models/tiny:v1"));
        await PhaseAsync("tagged", "node-a", ModelCachePhase.Pending);
        Assert.Contains("waiting for the controller", (string?)NodeEntry(Server, "tagged", "node-a")!["message"], StringComparison.Ordinal);

        Server.Put("modelcaches", Create("tagged", "registry.example/models/tiny:v1", resolvedDigest: Digest));

        await PhaseAsync("tagged", "node-a", ModelCachePhase.Ready);
        Assert.Equal(Digest, _warmer.Requests[^1].ResolvedDigest);
    }

    [Fact]
    public async Task A_pull_secret_named_by_the_ModelCache_reaches_the_cache()
    {
        Server.PutNode("node-a", Gpu);
        Server.PutDockerConfigSecret("models", "registry-login", """{"auths":{"registry.example":{"auth":"dXNlcjpwYXNz"}}}""");
        await _cluster.StartNodeAsync("node-a", _warmer, options: ModelCacheCluster.Options(), pullSecrets: true);
        Server.Put("modelcaches", Create("private", Model, pullSecret: "registry-login"));

        await PhaseAsync("private", "node-a", ModelCachePhase.Ready);
        Assert.Contains("dXNlcjpwYXNz", _warmer.Requests[^1].DockerConfigJson, StringComparison.Ordinal);
        Assert.DoesNotContain("dXNlcjpwYXNz", _warmer.Requests[^1].ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Download_progress_is_written_at_most_once_per_interval()
    {
        Server.PutNode("node-a", Gpu);
        _warmer.ProgressSteps = 10;
        var clock = new ManualTimeProvider(DateTimeOffset.UtcNow);
        await _cluster.StartNodeAsync("node-a", _warmer, time: clock);
        Server.Put("modelcaches", Create("tiny", Model));

        await PhaseAsync("tiny", "node-a", ModelCachePhase.Ready);

        // Ten reports within one (frozen) interval: one write, besides the Pulling and Ready transitions.
        var progressWrites = Server.Applies.Where(a => a.FieldManager == "modelcsi-node/node-a")
            .Select(a => a.Status["nodes"]![0]!)
            .Count(n => (string?)n["phase"] == ModelCachePhase.Pulling && (long)n["downloadedBytes"]! > 0);
        Assert.Equal(1, progressWrites);
    }

    [Fact]
    public async Task A_spec_the_driver_cannot_act_on_is_Failed_with_the_reason_and_pulls_nothing()
    {
        Server.PutNode("node-a", Gpu);
        var bad = Create("bad", Model);
        bad["spec"]!["pullPolicy"] = "Sometimes";
        Server.Put("modelcaches", bad);
        await _cluster.StartNodeAsync("node-a", _warmer);

        await PhaseAsync("bad", "node-a", ModelCachePhase.Failed);
        Assert.Contains("spec.pullPolicy must be IfNotPresent or Always", (string?)NodeEntry(Server, "bad", "node-a")!["message"], StringComparison.Ordinal);
        Assert.Empty(_warmer.Requests);
    }
}
