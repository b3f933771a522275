using Microsoft.Extensions.Logging.Abstractions;
using ModelCsi.Core.Oci;
using ModelCsi.Core.Oci.Credentials;
using ModelCsi.Driver.ModelCaches;
using ModelCsi.TestSupport;
using Xunit;
using static ModelCsi.Driver.Tests.ModelCaches.ModelCacheObjects;

namespace ModelCsi.Driver.Tests.ModelCaches;

/// <summary>The controller's side: resolving the reference against a real registry and summarising the nodes' entries.</summary>
public sealed class ModelCacheControllerTests(RegistryFixture registry) : IClassFixture<RegistryFixture>, IAsyncLifetime
{
    private static readonly Dictionary<string, string> Gpu = new() { ["gpu"] = "a100" };
    private static readonly Dictionary<string, string> Cpu = new() { ["gpu"] = "none" };

    private readonly TempDirectory _sources = new("modelcsi-mcache-models");
    private ModelCacheCluster _cluster = null!;
    private RegistryClient _registryClient = null!;
    private ModelCacheController _controller = null!;

    private FakeKubeApiServer Server => _cluster.Server;

    public async Task InitializeAsync()
    {
        _cluster = await ModelCacheCluster.StartAsync();
        _registryClient = new RegistryClient(OciTestContent.QuickRetries());
        var resolver = new ModelRefResolver(_registryClient, new CredentialResolver([new SecretsCredentialSource()], NullLogger<CredentialResolver>.Instance), null);
        _controller = new ModelCacheController(_cluster.Client(), resolver, ModelCacheCluster.Options(), TimeProvider.System, NullLogger<ModelCacheController>.Instance);
        await _controller.StartAsync(CancellationToken.None);
    }

    public async Task DisposeAsync()
    {
        await _controller.StopAsync(CancellationToken.None);
        _controller.Dispose();
        _registryClient.Dispose();
        await _cluster.DisposeAsync();
        _sources.Dispose();
    }

    private async Task<string> PushAsync(string tag)
    {
        var files = new Dictionary<string, byte[]> { ["model.safetensors"] = OciTestContent.RandomBytes(4096, Random.Shared.Next()) };
        var packed = await TestModels.PushAsync(registry.Registry.Host, "models/tiny", tag, TestModels.WriteDirectory(_sources.Path, files));
        return packed.ManifestDigest;
    }

    private Task<System.Text.Json.Nodes.JsonNode?> StatusAsync(Func<System.Text.Json.Nodes.JsonNode?, bool> accept) =>
        Eventually.ValueAsync(() => Server.Get("modelcaches", "tiny")?["status"], accept, ModelCacheCluster.Patience);

    private static string? ReadyReason(System.Text.Json.Nodes.JsonNode? status) => (string?)status?["conditions"]?[0]?["reason"];

    [Fact]
    public async Task A_tag_is_resolved_to_the_digest_the_nodes_then_pull_and_Ready_turns_true_when_every_matching_node_holds_it()
    {
        var digest = await PushAsync("v1");
        Server.PutNode("node-a", Gpu);
        Server.PutNode("node-b", Gpu);
        Server.PutNode("node-c", Cpu);
        Server.Put("modelcaches", Create("tiny", $"{registry.Registry.Host}/models/tiny:v1", Gpu));

        var status = await StatusAsync(s => (string?)s?["resolvedDigest"] == digest && (int?)s?["desiredNodes"] == 2);
        Assert.Equal(digest, (string?)status!["resolvedDigest"]);
        Assert.Equal(0, (int)status["readyNodes"]!);

        foreach (var node in new[] { "node-a", "node-b", "node-c" })
        {
            var warmer = new FakeModelWarmer();
            warmer.Models[digest] = 4096;
            await _cluster.StartNodeAsync(node, warmer);
        }

        status = await StatusAsync(s => ReadyReason(s) == "AllNodesReady");
        Assert.Equal("True", (string?)status!["conditions"]![0]!["status"]);
        Assert.Equal(2, (int)status["readyNodes"]!);
        Assert.Equal(0, (int)status["failedNodes"]!);
        Assert.Equal(2, status["nodes"]!.AsArray().Count);
        Assert.Null(NodeEntry(Server, "tiny", "node-c"));
    }

    [Fact]
    public async Task The_resolved_digest_stays_when_the_tag_moves_mid_rollout()
    {
        var first = await PushAsync("moving");
        Server.PutNode("node-a", Gpu);
        Server.Put("modelcaches", Create("tiny", $"{registry.Registry.Host}/models/tiny:moving"));
        await StatusAsync(s => (string?)s?["resolvedDigest"] == first);

        var second = await PushAsync("moving");
        Server.PutNode("node-b", Gpu);

        var status = await StatusAsync(s => (int?)s?["desiredNodes"] == 2);
        Assert.NotEqual(first, second);
        Assert.Equal(first, (string?)status!["resolvedDigest"]);
    }

    [Fact]
    public async Task A_failed_node_is_counted_and_named_in_the_Ready_condition()
    {
        var digest = await PushAsync("v2");
        Server.PutNode("node-a", Gpu);
        Server.PutNode("node-b", Gpu);
        Server.Put("modelcaches", Create("tiny", $"{registry.Registry.Host}/models/tiny:v2"));
        var good = new FakeModelWarmer();
        good.Models[digest] = 4096;
        await _cluster.StartNodeAsync("node-a", good);
        await _cluster.StartNodeAsync("node-b", new FakeModelWarmer { PinLimit = 10 });

        var status = await StatusAsync(s => ReadyReason(s) == "NodesFailed" && (int?)s?["readyNodes"] == 1);
        Assert.Equal(1, (int)status!["failedNodes"]!);
        Assert.Contains("node-b", (string?)status["conditions"]![0]!["message"], StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_reference_that_does_not_exist_is_reported_in_the_Ready_condition()
    {
        Server.PutNode("node-a", Gpu);
        Server.Put("modelcaches", Create("tiny", $"{registry.Registry.Host}/models/absent:v1"));

        var status = await StatusAsync(s => ReadyReason(s) == "ResolveFailed");
        Assert.Equal("False", (string?)status!["conditions"]![0]!["status"]);
        Assert.Contains("models/absent:v1", (string?)status["conditions"]![0]!["message"], StringComparison.Ordinal);
        Assert.Null(status["resolvedDigest"]);
    }
}
