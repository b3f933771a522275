using System.Formats.Tar;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.Win32.SafeHandles;
using ModelCsi.Core.ModelPack;
using ModelCsi.Core.Oci;
using ModelCsi.Core.Tests.Transfer;
using ModelCsi.Core.Transfer;
using ModelCsi.TestSupport;
using Xunit;

namespace ModelCsi.Core.Tests.ModelPack;

/// <summary>
/// A plain tar layer cut at any point continues from its last checkpoint and ends as the very tree an
/// uninterrupted extraction gives: contents, modes, owners, mtimes, symlinks and hard links.
/// </summary>
public sealed class TarCheckpointResumeTests : IDisposable
{
    private const long Interval = 16 << 10;
    private static readonly LayerFetchOptions Options = new() { BufferSize = 8 << 10, BufferCount = 4, WritebackInterval = 64 << 10, MaxReconnects = 0 };
    private static readonly byte[] Blob = BuildTar();
    private static readonly OciDescriptor Layer = OciTestContent.Describe(Blob, "application/vnd.cncf.model.weight.v1.tar");
    private readonly TempDirectory _temp = new("modelcsi-tar-resume");

    public void Dispose() => _temp.Dispose();

    [Theory]
    [InlineData(0.01)]
    [InlineData(0.3)]
    [InlineData(0.45)]
    [InlineData(0.62)]
    [InlineData(0.77)]
    [InlineData(0.999)]
    public async Task A_tar_layer_cut_mid_download_resumes_from_its_checkpoint_to_a_byte_identical_tree(double cutAt)
    {
        var expected = await UninterruptedTreeAsync();
        var partial = _temp.Combine("partial");
        var cut = (long)(Blob.Length * cutAt);

        await Assert.ThrowsAnyAsync<IOException>(() => AttemptAsync(partial, new ScriptedBlobSource(Blob).CutOpening(0, cut)));
        var checkpoint = ReadCheckpoint(partial);
        var second = new ScriptedBlobSource(Blob);
        var result = await AttemptAsync(partial, second);

        Assert.Equal(expected, TreeSnapshot.Of(Path.Combine(partial, "tree")));
        var resumedAt = checkpoint?["Offset"]!.GetValue<long>() ?? 0;
        Assert.Equal(resumedAt, second.OpenedAt.Single());
        Assert.Equal(Blob.Length - resumedAt, result.BytesDownloaded);
        if (cutAt >= 0.3)
        {
            // The consumer trails the reader by at most the ring (32 KiB): checkpoints every 16 KiB were written.
            Assert.True(resumedAt > 0, "the second attempt continued from a checkpoint");
            Assert.True(result.BytesDownloaded < Blob.Length);
        }
    }

    [Fact]
    public async Task A_resume_deletes_whatever_the_tree_holds_beyond_its_checkpoint()
    {
        var expected = await UninterruptedTreeAsync();
        var partial = _temp.Combine("partial");
        await Assert.ThrowsAnyAsync<IOException>(() => AttemptAsync(partial, new ScriptedBlobSource(Blob).CutOpening(0, Blob.Length * 3 / 4)));
        Assert.NotNull(ReadCheckpoint(partial));
        // What a crash could leave: files written after the checkpoint, from bytes never verified.
        File.WriteAllText(Path.Combine(partial, "tree", "planted.bin"), "not from this layer");
        Directory.CreateDirectory(Path.Combine(partial, "tree", "d1", "planted-dir", "deeper"));
        File.CreateSymbolicLink(Path.Combine(partial, "tree", "d2", "planted-link"), "/etc/passwd");

        await AttemptAsync(partial, new ScriptedBlobSource(Blob));

        Assert.Equal(expected, TreeSnapshot.Of(Path.Combine(partial, "tree")));
    }

    [Fact]
    public async Task A_checkpoint_with_a_tampered_hash_state_never_yields_a_layer_the_digest_does_not_vouch_for()
    {
        var partial = _temp.Combine("partial");
        await Assert.ThrowsAnyAsync<IOException>(() => AttemptAsync(partial, new ScriptedBlobSource(Blob).CutOpening(0, Blob.Length * 3 / 4)));
        var checkpoint = ReadCheckpoint(partial)!;
        var state = Convert.FromBase64String(checkpoint["HashState"]!.GetValue<string>());
        state[0] ^= 1; // one bit of h[0]: still a well-formed state, for the wrong bytes
        checkpoint["HashState"] = Convert.ToBase64String(state);
        File.WriteAllText(Path.Combine(partial, "checkpoint"), checkpoint.ToJsonString());

        await Assert.ThrowsAsync<DigestMismatchException>(() => AttemptAsync(partial, new ScriptedBlobSource(Blob)));
    }

    [Theory]
    [InlineData("{not json")]
    [InlineData("""{"Version":1,"Digest":"sha256:0000000000000000000000000000000000000000000000000000000000000000","Offset":512,"HashState":"AAAA","Entries":1,"JournalLength":0}""")]
    [InlineData("""{"Version":1,"Digest":"DIGEST","Offset":99999999999,"HashState":"AAAA","Entries":1,"JournalLength":0}""")]
    [InlineData("""{"Version":1,"Digest":"DIGEST","Offset":512,"HashState":"AAAA","Entries":1,"JournalLength":0}""")]
    public async Task A_checkpoint_that_does_not_fit_the_layer_starts_it_over_from_byte_zero(string checkpointText)
    {
        var expected = await UninterruptedTreeAsync();
        var partial = _temp.Combine("partial");
        await Assert.ThrowsAnyAsync<IOException>(() => AttemptAsync(partial, new ScriptedBlobSource(Blob).CutOpening(0, Blob.Length * 3 / 4)));
        File.WriteAllText(Path.Combine(partial, "checkpoint"), checkpointText.Replace("DIGEST", Layer.Digest, StringComparison.Ordinal));
        var second = new ScriptedBlobSource(Blob);

        await AttemptAsync(partial, second);

        Assert.Equal(0, second.OpenedAt.Single());
        Assert.Equal(expected, TreeSnapshot.Of(Path.Combine(partial, "tree")));
    }

    [Fact]
    public async Task A_checkpoint_is_written_only_after_a_sync_that_covers_every_entry_it_counts()
    {
        var partial = _temp.Combine("partial");
        var sync = new CheckpointObservingSync(partial);

        await AttemptAsync(partial, new ScriptedBlobSource(Blob), sync);

        var calls = sync.Calls;
        var checkpoints = calls.Select((c, i) => (c, i)).Where(x => x.c.Kind == "checkpoint-visible").ToList();
        Assert.True(checkpoints.Count >= 5, $"{checkpoints.Count} checkpoints");
        foreach (var (call, index) in checkpoints)
        {
            // Before the checkpoint became visible: the filesystem was synced holding at least the files it counts,
            // and then the checkpoint's own bytes.
            var syncfs = calls.Take(index).LastOrDefault(c => c.Kind == "syncfs");
            Assert.NotNull(syncfs);
            Assert.NotEmpty(call.Paths);
            Assert.Subset(syncfs.Paths.ToHashSet(), call.Paths.ToHashSet());
            var syncfsIndex = calls.ToList().LastIndexOf(syncfs);
            Assert.Contains(calls.Skip(syncfsIndex).Take(index - syncfsIndex), c => c.Kind == "datasync");
            Assert.DoesNotContain(calls.Skip(syncfsIndex + 1).Take(index - syncfsIndex - 1), c => c.Kind == "checkpoint-visible");
        }
    }

    private async Task<string> UninterruptedTreeAsync()
    {
        var partial = _temp.Combine("reference");
        var source = new ScriptedBlobSource(Blob);
        using (var checkpoints = TarCheckpointer.Open(partial, Layer, interval: 0, LibcFileSync.Instance))
        {
            await new PipelinedBlobFetcher(Options).FetchToResumableConsumerAsync(new BlobSource(source.OpenAt), Layer, null,
                (stream, token) => new LayerUnpacker().UnpackResumableTarAsync(stream, Layer, checkpoints, UnpackLimits.Default, token));
        }

        return TreeSnapshot.Of(Path.Combine(partial, "tree"));
    }

    private static async Task<LayerFetchResult> AttemptAsync(string partial, ScriptedBlobSource source, IFileSync? sync = null)
    {
        sync ??= LibcFileSync.Instance;
        using var checkpoints = TarCheckpointer.Open(partial, Layer, Interval, sync);
        return await new PipelinedBlobFetcher(Options, sync).FetchToResumableConsumerAsync(new BlobSource(source.OpenAt), Layer, checkpoints.ResumePoint,
            (stream, token) => new LayerUnpacker().UnpackResumableTarAsync(stream, Layer, checkpoints, UnpackLimits.Default, token));
    }

    private static JsonObject? ReadCheckpoint(string partial)
    {
        var path = Path.Combine(partial, "checkpoint");
        return File.Exists(path) ? JsonNode.Parse(File.ReadAllText(path))!.AsObject() : null;
    }

    /// <summary>
    /// A layer with everything a tree can hold: explicit directories with their own mtimes, files of many sizes
    /// (some empty, some executable) with distinct mtimes, a long pax name, symlinks, hard links, a name written
    /// twice and a file replaced by a symlink (both retract the checkpoint before the old path goes).
    /// </summary>
    private static byte[] BuildTar()
    {
        var random = new Random(1234);
        var entries = new List<TarEntry>();
        var mtime = new DateTimeOffset(2023, 1, 2, 3, 4, 5, TimeSpan.Zero);
        for (var d = 0; d < 5; d++)
        {
            var directory = LayerBlob.Directory($"d{d}/");
            directory.ModificationTime = mtime.AddDays(d);
            entries.Add(directory);
        }

        var files = new List<string>();
        for (var i = 0; i < 80; i++)
        {
            var name = i == 7 ? $"d1/{new string('n', 150)}.bin" : $"d{i % 5}/f{i}.bin";
            var size = i % 9 == 0 ? 0 : random.Next(1, 20_000);
            var file = LayerBlob.File(name, string.Empty, i % 4 == 0 ? (UnixFileMode)0b111_101_101 : (UnixFileMode)0b110_100_100);
            var content = new byte[size];
            random.NextBytes(content);
            file.DataStream = new MemoryStream(content);
            file.ModificationTime = mtime.AddSeconds(i * 37).AddTicks(i * 1234);
            entries.Add(file);
            files.Add(name);
            if (i % 10 == 5)
            {
                entries.Add(LayerBlob.Link(TarEntryType.SymbolicLink, $"d{i % 5}/link{i}", $"f{i}.bin"));
                entries.Add(LayerBlob.Link(TarEntryType.HardLink, $"d{(i + 1) % 5}/hard{i}", name));
            }

            if (i == 40)
            {
                var again = LayerBlob.File("d0/f0.bin", new string('x', 3000));
                again.ModificationTime = mtime.AddYears(1);
                entries.Add(again);
                entries.Add(LayerBlob.Link(TarEntryType.SymbolicLink, "d2/f2.bin", "f7.bin"));
            }
        }

        return LayerBlob.Tar(entries, recordPadding: true);
    }

    /// <summary>
    /// The real syncs, recorded with the paths in the tree at each filesystem sync; when the partial directory is
    /// synced after a checkpoint rename, the paths that checkpoint covers (its journal's, still in the tree).
    /// </summary>
    private sealed class CheckpointObservingSync(string partial) : IFileSync
    {
        private readonly List<Call> _calls = [];

        public IReadOnlyList<Call> Calls => [.. _calls];

        public void StartWriteback(SafeFileHandle file, long offset, long length)
        {
        }

        public void DataSync(SafeFileHandle file)
        {
            LibcFileSync.Instance.DataSync(file);
            _calls.Add(new Call("datasync", new HashSet<string>()));
        }

        public void SyncDirectory(string path)
        {
            LibcFileSync.Instance.SyncDirectory(path);
            var checkpoint = Path.Combine(partial, "checkpoint");
            if (path == partial && File.Exists(checkpoint))
            {
                var length = JsonDocument.Parse(File.ReadAllBytes(checkpoint)).RootElement.GetProperty("JournalLength").GetInt64();
                var journal = File.ReadAllBytes(Path.Combine(partial, "journal"))[..(int)length];
                var covered = Encoding.UTF8.GetString(journal).Split('\0', StringSplitOptions.RemoveEmptyEntries)
                    .Where(r => r[0] == 'C').Select(r => r[1..])
                    .Where(p => Path.Exists(Path.Combine(partial, "tree", p)) || new FileInfo(Path.Combine(partial, "tree", p)).LinkTarget is not null)
                    .ToHashSet();
                _calls.Add(new Call("checkpoint-visible", covered));
            }
        }

        public void SyncFileSystem(string path)
        {
            LibcFileSync.Instance.SyncFileSystem(path);
            var tree = Path.Combine(partial, "tree");
            _calls.Add(new Call("syncfs", Directory.EnumerateFileSystemEntries(tree, "*", SearchOption.AllDirectories)
                .Select(p => Path.GetRelativePath(tree, p)).ToHashSet()));
        }

        internal sealed record Call(string Kind, IReadOnlySet<string> Paths);
    }
}
