using Microsoft.Extensions.Logging.Abstractions;
using ModelCsi.Core.State;
using ModelCsi.Core.Tests.Mounting;
using Xunit;
using ModelCsi.TestSupport;

namespace ModelCsi.Core.Tests.State;

public sealed class PublishedVolumeStoreTests : IDisposable
{
    private readonly ScratchDirectory _root = new();

    public void Dispose() => _root.Dispose();

    private PublishedVolumeStore Open() => new(_root.Path, NullLogger<PublishedVolumeStore>.Instance);

    private static PublishedVolume Volume(string id, string target, string reference = "registry.local/models/tiny:1") => new()
    {
        VolumeId = id,
        TargetPath = target,
        Reference = reference,
        CacheKey = "sha256:" + new string('a', 64),
        SourcePath = "/var/lib/model-csi/models/aaaa",
        SubPath = "weights",
        Pod = new PodInfo { Name = "infer-0", Namespace = "ml", Uid = "1234", ServiceAccountName = "runner", Ephemeral = true },
        PublishedAt = new DateTimeOffset(2026, 1, 2, 3, 4, 5, TimeSpan.Zero),
    };

    [Fact]
    public async Task A_saved_volume_is_known_after_reloading_the_store()
    {
        var saved = Volume("vol-1", "/pods/a/mount");
        await Open().SaveAsync(saved);

        var reloaded = Open();

        Assert.Equal(saved, reloaded.Find("vol-1", "/pods/a/mount"));
        Assert.Single(reloaded.All);
    }

    [Fact]
    public async Task Saving_again_replaces_the_record()
    {
        var store = Open();
        await store.SaveAsync(Volume("vol-1", "/pods/a/mount"));
        await store.SaveAsync(Volume("vol-1", "/pods/a/mount", "registry.local/models/tiny:2"));

        var reloaded = Open();

        Assert.Equal("registry.local/models/tiny:2", reloaded.Find("vol-1", "/pods/a/mount")?.Reference);
        Assert.Single(Directory.GetFiles(store.Directory));
    }

    [Fact]
    public async Task The_same_volume_at_two_targets_is_two_records()
    {
        var store = Open();
        await store.SaveAsync(Volume("vol-1", "/pods/a/mount"));
        await store.SaveAsync(Volume("vol-1", "/pods/b/mount"));

        var reloaded = Open();

        Assert.Equal(2, reloaded.All.Count);
        Assert.Equal("vol-1", reloaded.FindByTarget("/pods/b/mount")?.VolumeId);
    }

    [Fact]
    public async Task A_removed_volume_is_gone_after_reloading()
    {
        var store = Open();
        await store.SaveAsync(Volume("vol-1", "/pods/a/mount"));
        await store.SaveAsync(Volume("vol-2", "/pods/b/mount"));

        store.Remove("vol-1", "/pods/a/mount");
        var reloaded = Open();

        Assert.Null(store.Find("vol-1", "/pods/a/mount"));
        Assert.Null(reloaded.Find("vol-1", "/pods/a/mount"));
        Assert.NotNull(reloaded.Find("vol-2", "/pods/b/mount"));
    }

    [Fact]
    public void Removing_an_unknown_volume_is_harmless()
    {
        var store = Open();

        store.Remove("never", "/published");

        Assert.Empty(store.All);
    }

    [Fact]
    public async Task A_torn_temp_file_from_an_interrupted_write_is_ignored_and_cleaned_up()
    {
        var store = Open();
        await store.SaveAsync(Volume("vol-1", "/pods/a/mount"));
        var record = Directory.GetFiles(store.Directory).Single();
        var torn = record + ".0123456789abcdef.tmp";
        File.WriteAllText(torn, "{\"volumeId\":\"vol-1\",\"targetPa");

        var reloaded = Open();

        Assert.Equal("registry.local/models/tiny:1", reloaded.Find("vol-1", "/pods/a/mount")?.Reference);
        Assert.Single(reloaded.All);
        Assert.False(File.Exists(torn));
    }

    [Fact]
    public async Task A_corrupt_record_is_skipped_without_hiding_the_others()
    {
        var store = Open();
        await store.SaveAsync(Volume("vol-1", "/pods/a/mount"));
        File.WriteAllText(Path.Combine(store.Directory, new string('f', 64) + ".json"), "{ not json");

        var reloaded = Open();

        Assert.Single(reloaded.All);
    }

    [Fact]
    public async Task Records_live_under_state_volumes_named_by_a_sha256()
    {
        var store = Open();
        await store.SaveAsync(Volume("vol-1", "/pods/a/mount"));

        var file = Path.GetFileName(Directory.GetFiles(Path.Combine(_root.Path, "state", "volumes")).Single());

        Assert.Matches("^[0-9a-f]{64}\\.json$", file);
    }
}
