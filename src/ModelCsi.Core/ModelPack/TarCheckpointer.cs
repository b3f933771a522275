using System.Text;
using System.Text.Json;
using ModelCsi.Core.Oci;
using ModelCsi.Core.Transfer;
using Mono.Unix.Native;

namespace ModelCsi.Core.ModelPack;

/// <summary>
/// Lets a plain tar layer cut by a crash, kill or lost connection continue from its last checkpoint instead of
/// byte 0. It owns one partial layer directory: <c>tree/</c> (the extraction), <c>journal</c> (every path the
/// extraction created, and the directory entries' mtimes) and <c>checkpoint</c> (a <see cref="TarCheckpoint"/>).
/// </summary>
/// <remarks>
/// <para>Order: at a checkpoint the journal is flushed, the filesystem synced (<c>syncfs</c>: the entries'
/// files, modes and directories and the journal), and only then the checkpoint is written to a temp file,
/// fdatasynced and renamed over the old one (the directory fsynced after). So a checkpoint on disk never
/// describes entries that are not.</para>
/// <para>Why a resumed tree is the same tree: after a checkpoint the extraction only ever adds paths, it never
/// changes one that existed at the checkpoint. Files are created with O_EXCL and never opened again; an entry
/// that would delete or replace an existing path (a tar naming a path twice) first retracts the checkpoint
/// (unlinks it, durably), so a crash after that starts from byte 0. On resume, every path in the tree that the
/// journal (cut to the checkpoint's length) does not name was created after the checkpoint, possibly half
/// written and possibly from bytes that were never verified: it is deleted, and the entries after the
/// checkpoint are extracted again from the registry's bytes, hashed on from the saved state, so the digest of
/// the whole blob is still checked before the layer counts as complete. Any doubt about a checkpoint (another
/// blob, an offset past the end, a hash state of the wrong shape or byte count, a journal shorter than it
/// says) discards the partial directory: a fresh start, never a guessed tree.</para>
/// </remarks>
internal sealed class TarCheckpointer : IDisposable
{
    /// <summary>Beyond this the journal is not read back; the layer stops checkpointing (and restarts from 0 after a crash).</summary>
    public const long MaxJournalBytes = 32L << 20;

    private const int MaxCheckpointBytes = 64 << 10;
    private const char CreatedRecord = 'C';
    private const char DirectoryRecord = 'D';

    private readonly OciDescriptor _layer;
    private readonly long _interval;
    private readonly IFileSync _sync;
    private readonly FileStream _journal;
    private long _lastOffset;
    private bool _live;

    private TarCheckpointer(string directory, OciDescriptor layer, long interval, IFileSync sync, TarCheckpoint? resume)
    {
        Directory = directory;
        _layer = layer;
        _interval = interval;
        _sync = sync;
        Resume = resume;
        _live = resume is not null;
        _lastOffset = resume?.Offset ?? 0;
        System.IO.Directory.CreateDirectory(Tree);
        _journal = new FileStream(JournalPath, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.Read, 64 << 10);
        _journal.SetLength(resume?.JournalLength ?? 0);
        _journal.Seek(0, SeekOrigin.End);
    }

    public string Directory { get; }

    /// <summary>Where the layer's files are extracted.</summary>
    public string Tree => Path.Combine(Directory, "tree");

    public string CheckpointPath => Path.Combine(Directory, "checkpoint");

    private string JournalPath => Path.Combine(Directory, "journal");

    /// <summary>The checkpoint the extraction continues from; null for a start from byte 0.</summary>
    public TarCheckpoint? Resume { get; }

    public BlobResumePoint? ResumePoint => Resume is null ? null : new BlobResumePoint(Resume.Offset, Convert.FromBase64String(Resume.HashState));

    /// <summary>
    /// Opens the partial directory of <paramref name="layer"/>: continues from its checkpoint when that is valid,
    /// otherwise discards whatever is there. <paramref name="interval"/> is the least number of blob bytes between
    /// checkpoints; 0 never writes one.
    /// </summary>
    public static TarCheckpointer Open(string directory, OciDescriptor layer, long interval, IFileSync sync)
    {
        ArgumentNullException.ThrowIfNull(layer);
        ArgumentOutOfRangeException.ThrowIfNegative(interval);
        var resume = TryLoad(directory, layer);
        if (resume is null)
        {
            Discard(directory);
        }

        return new TarCheckpointer(directory, layer, interval, sync, resume);
    }

    /// <summary>Deletes a partial layer directory with everything in it.</summary>
    public static void Discard(string directory)
    {
        if (System.IO.Directory.Exists(directory))
        {
            System.IO.Directory.Delete(directory, recursive: true);
        }
    }

    private static TarCheckpoint? TryLoad(string directory, OciDescriptor layer)
    {
        try
        {
            var path = Path.Combine(directory, "checkpoint");
            var info = new FileInfo(path);
            if (!info.Exists || info.Length > MaxCheckpointBytes || !System.IO.Directory.Exists(Path.Combine(directory, "tree")))
            {
                return null;
            }

            var checkpoint = JsonSerializer.Deserialize<TarCheckpoint>(File.ReadAllBytes(path));
            var journal = new FileInfo(Path.Combine(directory, "journal"));
            if (checkpoint is null || checkpoint.Version != TarCheckpoint.CurrentVersion
                || !string.Equals(checkpoint.Digest, layer.Digest, StringComparison.Ordinal)
                || checkpoint.Offset <= 0 || checkpoint.Offset > layer.Size
                || checkpoint.Entries <= 0 || checkpoint.RegularEntries < 0 || checkpoint.FilesWritten < 0
                || checkpoint.BytesWritten < 0 || checkpoint.DeclaredBytes < 0
                || checkpoint.JournalLength < 0 || checkpoint.JournalLength > MaxJournalBytes
                || !journal.Exists || journal.Length < checkpoint.JournalLength)
            {
                return null;
            }

            var state = Convert.FromBase64String(checkpoint.HashState);
            return Sha256Context.IsPlausible(state) && Sha256Context.BytesHashedBy(state) == checkpoint.Offset ? checkpoint : null;
        }
        catch (Exception e) when (e is JsonException or FormatException or IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    /// <summary>Whether a checkpoint at <paramref name="offset"/> is due.</summary>
    public bool Due(long offset) => _interval > 0 && offset - _lastOffset >= _interval && _journal.Position <= MaxJournalBytes;

    /// <summary>Journals a path (relative to the tree, '/'-separated) about to be created.</summary>
    public void Created(string relativePath) => Append(CreatedRecord + relativePath);

    /// <summary>Journals a directory entry, whose mtime is set once every file is in.</summary>
    public void DirectoryEntry(string relativePath, DateTimeOffset mtime) =>
        Append($"{DirectoryRecord}{mtime.UtcTicks}:{relativePath}");

    /// <summary>Called before the extraction deletes or replaces an existing path: a checkpoint could not undo that, so it goes first.</summary>
    public void Replacing()
    {
        if (_live)
        {
            File.Delete(CheckpointPath);
            _sync.SyncDirectory(Directory);
            _live = false;
        }
    }

    /// <summary>Makes every entry so far durable, then records <paramref name="checkpoint"/> (see the remarks for the order).</summary>
    public void Write(TarCheckpoint checkpoint)
    {
        ArgumentNullException.ThrowIfNull(checkpoint);
        _journal.Flush();
        _sync.SyncFileSystem(Tree);
        var temp = CheckpointPath + ".new";
        using (var file = File.OpenHandle(temp, FileMode.Create, FileAccess.Write, FileShare.None))
        {
            RandomAccess.Write(file, JsonSerializer.SerializeToUtf8Bytes(checkpoint with { JournalLength = _journal.Position }), 0);
            _sync.DataSync(file);
        }

        File.Move(temp, CheckpointPath, overwrite: true);
        _sync.SyncDirectory(Directory);
        _live = true;
        _lastOffset = checkpoint.Offset;
    }

    /// <summary>The journal up to the checkpoint: the paths that existed then, and the directory entries' mtimes.</summary>
    public (HashSet<string> Created, List<(string Path, DateTimeOffset Mtime)> Directories) ReadJournal()
    {
        var created = new HashSet<string>(StringComparer.Ordinal);
        var directories = new List<(string, DateTimeOffset)>();
        var bytes = new byte[_journal.Length];
        RandomAccess.Read(_journal.SafeFileHandle, bytes, 0);
        foreach (var record in Encoding.UTF8.GetString(bytes).Split('\0', StringSplitOptions.RemoveEmptyEntries))
        {
            if (record[0] == CreatedRecord)
            {
                created.Add(record[1..]);
            }
            else if (record[0] == DirectoryRecord && record.IndexOf(':', StringComparison.Ordinal) is var colon and > 1
                && long.TryParse(record.AsSpan(1, colon - 1), out var ticks) && ticks >= DateTimeOffset.MinValue.UtcTicks && ticks <= DateTimeOffset.MaxValue.UtcTicks)
            {
                directories.Add((record[(colon + 1)..], new DateTimeOffset(ticks, TimeSpan.Zero)));
            }
            else
            {
                throw new InvalidDataException($"the journal of partial layer {_layer.Digest} has an unknown record");
            }
        }

        return (created, directories);
    }

    /// <summary>
    /// Deletes every path of the tree the journal does not name (created after the checkpoint) and reports the
    /// rest: directories and regular files, relative to the tree, parents first. Symlinks are never followed.
    /// </summary>
    public void Prune(HashSet<string> created, Action<string> directory, Action<string> regularFile) =>
        Prune(Tree, string.Empty, created, directory, regularFile);

    private static void Prune(string path, string relative, HashSet<string> created, Action<string> directory, Action<string> regularFile)
    {
        foreach (var child in System.IO.Directory.GetFileSystemEntries(path))
        {
            var name = Path.GetFileName(child);
            var childRelative = relative.Length == 0 ? name : relative + "/" + name;
            if (Syscall.lstat(child, out var stat) != 0)
            {
                throw new IOException($"lstat '{child}' failed: {Stdlib.GetLastError()}");
            }

            var type = stat.st_mode & FilePermissions.S_IFMT;
            if (!created.Contains(childRelative))
            {
                if (type == FilePermissions.S_IFDIR)
                {
                    System.IO.Directory.Delete(child, recursive: true);
                }
                else
                {
                    File.Delete(child);
                }
            }
            else if (type == FilePermissions.S_IFDIR)
            {
                directory(childRelative);
                Prune(child, childRelative, created, directory, regularFile);
            }
            else if (type == FilePermissions.S_IFREG)
            {
                regularFile(childRelative);
            }
        }
    }

    private void Append(string record)
    {
        var bytes = Encoding.UTF8.GetBytes(record + "\0");
        _journal.Write(bytes);
    }

    public void Dispose() => _journal.Dispose();
}
