using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using ModelCsi.Core.Cache;
using ModelCsi.Core.ModelPack;
using ModelCsi.Core.Oci;
using ModelCsi.TestSupport;
using Xunit;

namespace ModelCsi.Core.Tests.Cache;

/// <summary>
/// Issue 11, finding 4: a cached blob is reused by digest only while it is what was verified. One whose mode or
/// size changed on disk is hashed again, and downloaded again when it no longer matches its digest.
/// </summary>
public sealed class CachedBlobTamperingTests(RegistryFixture fixture) : IClassFixture<RegistryFixture>, IAsyncLifetime
{
    private const UnixFileMode WritableByOthers = UnixFileMode.GroupWrite | UnixFileMode.OtherWrite;
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(60);
    private readonly TempDirectory _temp = new("modelcsi-tamper");
    private FaultProxy _proxy = null!;
    private RegistryClient _client = null!;

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

    private ModelCache NewCache() =>
        new(Options.Create(new ModelCacheOptions { RootDirectory = _temp.Combine("root") }),
            _client, new LayerUnpacker(), TimeProvider.System, NullLogger<ModelCache>.Instance);

    /// <summary>Two models in one repository that share their weights layer (a raw blob).</summary>
    private async Task<(string One, string Two, byte[] Shared)> PushTwoSharingAsync(int seed)
    {
        var shared = OciTestContent.RandomBytes(200_000, seed);
        var repository = OciTestContent.UniqueRepository("tamper");
        var first = TestModels.WriteDirectory(_temp.Path, new Dictionary<string, byte[]> { ["model.safetensors"] = shared, ["config.json"] = "{\"a\":1}"u8.ToArray() });
        var second = TestModels.WriteDirectory(_temp.Path, new Dictionary<string, byte[]> { ["model.safetensors"] = shared, ["config.json"] = "{\"a\":2}"u8.ToArray() });
        await TestModels.PushAsync(fixture.Registry.Host, repository, "one", first);
        await TestModels.PushAsync(fixture.Registry.Host, repository, "two", second);
        return ($"{_proxy.Host}/{repository}:one", $"{_proxy.Host}/{repository}:two", shared);
    }

    [Fact]
    public async Task A_shared_blob_made_writable_and_grown_on_disk_is_downloaded_again_for_the_next_model_that_uses_it()
    {
        var (one, two, shared) = await PushTwoSharingAsync(81);
        using var cache = NewCache();
        await cache.AcquireAsync(new ModelRequest(one)).WaitAsync(Patience);
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute, File.GetUnixFileMode(cache.Layout.Root));
        var blob = cache.Layout.Blob(Digest.Of(shared));
        // What a host user with write access would do: open the file up and change it.
        File.SetUnixFileMode(blob, File.GetUnixFileMode(blob) | WritableByOthers);
        await File.AppendAllTextAsync(blob, "x");

        var handle = await cache.AcquireAsync(new ModelRequest(two)).WaitAsync(Patience);

        Assert.Equal(shared, await File.ReadAllBytesAsync(Path.Combine(handle.ModelPath, "model.safetensors")));
        Assert.Equal(2, _proxy.CountRequests("GET", "/blobs/" + Digest.Of(shared)));
        Assert.Equal(0, (int)(File.GetUnixFileMode(blob) & WritableByOthers));
        Assert.Equal(shared.Length, new FileInfo(blob).Length);
    }

    [Fact]
    public async Task A_shared_blob_whose_mode_alone_changed_is_hashed_again_kept_and_closed_to_other_writers()
    {
        var (one, two, shared) = await PushTwoSharingAsync(82);
        using var cache = NewCache();
        await cache.AcquireAsync(new ModelRequest(one)).WaitAsync(Patience);
        var blob = cache.Layout.Blob(Digest.Of(shared));
        File.SetUnixFileMode(blob, File.GetUnixFileMode(blob) | WritableByOthers);

        var handle = await cache.AcquireAsync(new ModelRequest(two)).WaitAsync(Patience);

        Assert.Equal(shared, await File.ReadAllBytesAsync(Path.Combine(handle.ModelPath, "model.safetensors")));
        Assert.Equal(1, _proxy.CountRequests("GET", "/blobs/" + Digest.Of(shared)));
        Assert.Equal(0, (int)(File.GetUnixFileMode(blob) & WritableByOthers));
    }
}
