using System.Globalization;
using Csi.V1;
using Grpc.Core;
using ModelCsi.Driver.Tests.Support;
using ModelCsi.TestSupport;
using Xunit;
using AccessMode = Csi.V1.VolumeCapability.Types.AccessMode.Types.Mode;

namespace ModelCsi.Driver.Tests;

/// <summary>
/// Pull policies through the real driver over its socket, with the real registry behind a proxy that counts every
/// request and can play a registry that is down (503) or refuses (404, 403).
/// </summary>
public sealed class PullPolicyOverSocketTests(RegistryFixture registry) : IClassFixture<RegistryFixture>
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(120);

    private static CallOptions Deadline => new(deadline: DateTime.UtcNow + Patience);

    private static NodePublishVolumeRequest Publish(ScratchDirectory scratch, string volumeId, string reference, string? pullPolicy = null)
    {
        var request = new NodePublishVolumeRequest
        {
            VolumeId = volumeId,
            TargetPath = scratch.Combine("kubelet", "pods", volumeId, "volumes", "kubernetes.io~csi", "model", "mount"),
            VolumeCapability = new VolumeCapability
            {
                Mount = new VolumeCapability.Types.MountVolume(),
                AccessMode = new VolumeCapability.Types.AccessMode { Mode = AccessMode.SingleNodeWriter },
            },
            VolumeContext = { ["modelRef"] = reference },
        };
        if (pullPolicy is not null)
        {
            request.VolumeContext["pullPolicy"] = pullPolicy;
        }

        return request;
    }

    private async Task<string> PushAsync(string tag = "v1")
    {
        using var sources = new TempDirectory("modelcsi-policy");
        var files = new Dictionary<string, byte[]> { ["model.safetensors"] = OciTestContent.RandomBytes(100_000, Random.Shared.Next()), ["config.json"] = "{}"u8.ToArray() };
        var repository = OciTestContent.UniqueRepository("policy");
        await TestModels.PushAsync(registry.Registry.Host, repository, tag, TestModels.WriteDirectory(sources.Path, files));
        return repository;
    }

    [Fact]
    public async Task IfNotPresent_serves_a_cached_tag_with_no_registry_request_also_after_the_registry_is_stopped_and_after_a_restart()
    {
        // A registry of its own, so this test can stop it.
        var own = await RegistryProcess.StartAsync();
        using var sources = new TempDirectory("modelcsi-policy");
        var repository = OciTestContent.UniqueRepository("policy");
        await TestModels.PushAsync(own.Host, repository, "v1", TestModels.WriteDirectory(sources.Path, new Dictionary<string, byte[]> { ["config.json"] = "{}"u8.ToArray() }));
        await using var proxy = FaultProxy.Start(own.Host);
        var reference = $"{proxy.Host}/{repository}:v1";
        using var scratch = new ScratchDirectory();
        var driver = await DriverProcess.StartAsync(scratch);
        var node = new Node.NodeClient(driver.Channel);
        await node.NodePublishVolumeAsync(Publish(scratch, "pod-a", reference), Deadline);
        var afterFirst = proxy.Requests.Count;

        await node.NodePublishVolumeAsync(Publish(scratch, "pod-b", reference, "IfNotPresent"), Deadline);
        Assert.Equal(afterFirst, proxy.Requests.Count);

        await own.DisposeAsync();
        await node.NodePublishVolumeAsync(Publish(scratch, "pod-c", reference), Deadline);
        Assert.Equal(afterFirst, proxy.Requests.Count);

        // Stopped without disposing: disposing would take the scratch directory (the cache) with it.
        driver.KillHard();
        Assert.True(await driver.WaitForExitAsync());

        // The last-known resolution belongs with the cache's records: a restarted driver still knows it.
        await using var restarted = await DriverProcess.StartAsync(scratch);
        await new Node.NodeClient(restarted.Channel).NodePublishVolumeAsync(Publish(scratch, "pod-d", reference), Deadline);
        Assert.True(File.Exists(Path.Combine(scratch.Combine("kubelet", "pods", "pod-d", "volumes", "kubernetes.io~csi", "model", "mount"), "config.json")));
        Assert.Equal(afterFirst, proxy.Requests.Count);
    }

    [Fact]
    public async Task Always_falls_back_to_the_last_known_digest_only_when_the_registry_is_unavailable()
    {
        var repository = await PushAsync("latest");
        await using var proxy = FaultProxy.Start(registry.Registry.Host);
        var reference = $"{proxy.Host}/{repository}:latest";
        using var scratch = new ScratchDirectory();
        await using var driver = await DriverProcess.StartAsync(scratch);
        var node = new Node.NodeClient(driver.Channel);
        await node.NodePublishVolumeAsync(Publish(scratch, "pod-a", reference), Deadline);

        // `latest` defaults to Always: the tag is resolved again, at the registry.
        var manifestsBefore = proxy.CountRequests("GET", "/manifests/") + proxy.CountRequests("HEAD", "/manifests/");
        await node.NodePublishVolumeAsync(Publish(scratch, "pod-b", reference), Deadline);
        Assert.True(proxy.CountRequests("GET", "/manifests/") + proxy.CountRequests("HEAD", "/manifests/") > manifestsBefore);

        proxy.FailNextRequests("/manifests/", 10_000, 503);
        await node.NodePublishVolumeAsync(Publish(scratch, "pod-c", reference), Deadline);
        Assert.Equal(1, await StaleResolutionsAsync(driver));

        proxy.FailNextRequests("/manifests/", 10_000, 404);
        var notFound = await Assert.ThrowsAsync<RpcException>(() => node.NodePublishVolumeAsync(Publish(scratch, "pod-d", reference), Deadline).ResponseAsync);
        proxy.FailNextRequests("/manifests/", 10_000, 403);
        var denied = await Assert.ThrowsAsync<RpcException>(() => node.NodePublishVolumeAsync(Publish(scratch, "pod-e", reference), Deadline).ResponseAsync);

        Assert.Equal(StatusCode.NotFound, notFound.StatusCode);
        Assert.Equal(StatusCode.PermissionDenied, denied.StatusCode);
        Assert.Equal(1, await StaleResolutionsAsync(driver));
    }

    [Fact]
    public async Task Never_refuses_an_uncached_reference_and_serves_a_cached_one_without_asking()
    {
        var repository = await PushAsync();
        await using var proxy = FaultProxy.Start(registry.Registry.Host);
        var reference = $"{proxy.Host}/{repository}:v1";
        using var scratch = new ScratchDirectory();
        await using var driver = await DriverProcess.StartAsync(scratch);
        var node = new Node.NodeClient(driver.Channel);

        var refused = await Assert.ThrowsAsync<RpcException>(() => node.NodePublishVolumeAsync(Publish(scratch, "pod-a", reference, "Never"), Deadline).ResponseAsync);
        Assert.Equal(StatusCode.FailedPrecondition, refused.StatusCode);
        Assert.Contains(reference, refused.Status.Detail, StringComparison.Ordinal);
        Assert.Empty(proxy.Requests);

        await node.NodePublishVolumeAsync(Publish(scratch, "pod-b", reference), Deadline);
        var requests = proxy.Requests.Count;
        await node.NodePublishVolumeAsync(Publish(scratch, "pod-c", reference, "never"), Deadline);
        Assert.Equal(requests, proxy.Requests.Count);
    }

    [Fact]
    public async Task An_invalid_pull_policy_is_InvalidArgument_naming_the_key_and_the_three_values()
    {
        using var scratch = new ScratchDirectory();
        await using var driver = await DriverProcess.StartAsync(scratch);

        var error = await Assert.ThrowsAsync<RpcException>(() => new Node.NodeClient(driver.Channel)
            .NodePublishVolumeAsync(Publish(scratch, "pod-a", "registry.local/m:v1", "Sometimes"), Deadline).ResponseAsync);

        Assert.Equal(StatusCode.InvalidArgument, error.StatusCode);
        Assert.Contains("pullPolicy", error.Status.Detail, StringComparison.Ordinal);
        Assert.Contains("IfNotPresent, Always, Never", error.Status.Detail, StringComparison.Ordinal);
    }

    private static async Task<double> StaleResolutionsAsync(DriverProcess driver)
    {
        using var http = new HttpClient { BaseAddress = new Uri(driver.MetricsUrl!), Timeout = Patience };
        var text = await http.GetStringAsync(new Uri("/metrics", UriKind.Relative));
        var line = text.Split('\n').Single(l => l.StartsWith("modelcsi_stale_resolutions_total ", StringComparison.Ordinal));
        return double.Parse(line[(line.LastIndexOf(' ') + 1)..], CultureInfo.InvariantCulture);
    }
}
