using ModelCsi.Core.Cache;
using ModelCsi.TestSupport;
using Xunit;

namespace ModelCsi.Core.Tests.Cache;

/// <summary>
/// A warm publish marks its model used. Eviction needs that exactly and reads it from memory; the record file only
/// carries it across restarts, so it is rewritten when a new reference uses the model or its time is a minute old,
/// not on every hit (a file write per publish would serialise concurrent publishes on the records' lock).
/// </summary>
public sealed class ModelRecordsTouchTests : IDisposable
{
    private const string Digest = "sha256:1111111111111111111111111111111111111111111111111111111111111111";
    private readonly TempDirectory _dir = new("modelcsi-records");
    private readonly ManualTimeProvider _time = new(new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero));
    private readonly CacheLayout _layout;
    private readonly ModelRecords _records;

    public ModelRecordsTouchTests()
    {
        _layout = new CacheLayout(_dir.Path);
        _layout.CreateDirectories();
        _records = new ModelRecords(_layout, _time);
        _records.Write(new CachedModelRecord
        {
            ManifestDigest = Digest,
            References = ["r/m:v1"],
            Size = 1,
            Layers = [],
            PulledAt = _time.GetUtcNow(),
            LastUsedAt = _time.GetUtcNow(),
        });
    }

    private string Key => CacheKeys.For(Digest, null);

    private DateTimeOffset OnDisk()
    {
        var reloaded = new ModelRecords(_layout, _time);
        reloaded.Load();
        return reloaded.Get(Key)!.LastUsedAt;
    }

    [Fact]
    public void Hits_by_the_same_reference_within_a_minute_update_memory_and_leave_the_file()
    {
        var written = _time.GetUtcNow();
        _time.Advance(TimeSpan.FromSeconds(30));
        _records.Touch(Key, "r/m:v1");

        Assert.Equal(written + TimeSpan.FromSeconds(30), _records.Get(Key)!.LastUsedAt);
        Assert.Equal(written, OnDisk());
    }

    [Fact]
    public void A_hit_a_minute_after_the_last_write_rewrites_the_file()
    {
        _time.Advance(TimeSpan.FromSeconds(30));
        _records.Touch(Key, "r/m:v1");
        _time.Advance(TimeSpan.FromSeconds(31));
        _records.Touch(Key, "r/m:v1");

        Assert.Equal(_time.GetUtcNow(), OnDisk());
    }

    [Fact]
    public void A_hit_by_a_new_reference_is_written_at_once_with_the_reference_last()
    {
        _time.Advance(TimeSpan.FromSeconds(1));
        _records.Touch(Key, "r/m@" + Digest);

        var reloaded = new ModelRecords(_layout, _time);
        reloaded.Load();
        Assert.Equal(["r/m:v1", "r/m@" + Digest], reloaded.Get(Key)!.References);
        Assert.Equal(_time.GetUtcNow(), reloaded.Get(Key)!.LastUsedAt);
    }

    [Fact]
    public void Another_change_to_the_record_writes_the_latest_use_too()
    {
        _time.Advance(TimeSpan.FromSeconds(10));
        _records.Touch(Key, "r/m:v1");
        _records.RecordSignature(Key, new CachedSignature { Rule = "r/*", KeyFingerprint = "sha256:k", VerifiedAt = _time.GetUtcNow() });

        Assert.Equal(_time.GetUtcNow(), OnDisk());
    }

    public void Dispose() => _dir.Dispose();
}
