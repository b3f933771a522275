using System.Text.Json;
using ModelCsi.Core.Cache;
using ModelCsi.Core.ModelPack;
using ModelCsi.Core.Mounting;
using ModelCsi.Core.Oci.Credentials;

namespace ModelCsi.Driver.Dynamic;

/// <summary>
/// The mounts of one dynamic volume. Its socket API holds this object and nothing else, which is the whole of
/// the isolation between volumes: there is no way to name another volume. Each mount is pulled in the background,
/// bind-mounted read-only at a private staging point and only then moved (MS_MOVE) to <c>models/&lt;name&gt;</c>,
/// so it appears complete in one step.
/// </summary>
internal sealed class DynamicVolume : IAsyncDisposable
{
    private static readonly JsonSerializerOptions JsonOptions = new() { WriteIndented = true };

    private readonly Lock _lock = new();
    private readonly Dictionary<string, Entry> _entries = new(StringComparer.Ordinal);
    private readonly CancellationTokenSource _stopping = new();
    private readonly IModelSource _store;
    private readonly IMounter _mounter;
    private readonly CredentialContext _credentials;
    private readonly ILogger _logger;

    public DynamicVolume(string volumeId, DynamicVolumeLayout layout, IModelSource store, IMounter mounter, CredentialContext credentials, ILogger logger)
    {
        VolumeId = volumeId;
        Layout = layout;
        _store = store;
        _mounter = mounter;
        _credentials = credentials;
        _logger = logger;
    }

    public string VolumeId { get; }

    public DynamicVolumeLayout Layout { get; }

    public IReadOnlyList<DynamicMountView> List()
    {
        lock (_lock)
        {
            return _entries.Values.OrderBy(e => e.Record.Name, StringComparer.Ordinal).Select(View).ToList();
        }
    }

    public DynamicMountView Get(string name)
    {
        lock (_lock)
        {
            return _entries.TryGetValue(name, out var entry) ? View(entry) : throw NotFound(name);
        }
    }

    /// <summary>Records the mount as pulling and starts its pull; the model appears at <c>models/&lt;name&gt;</c> when complete.</summary>
    public DynamicMountView Add(string? name, string? reference, LayerSelection? selection = null)
    {
        if (!DynamicMountName.IsValid(name))
        {
            throw new DynamicMountException(DynamicMountError.Invalid, $"invalid name '{name}': must match {DynamicMountName.Pattern} and not be '.' or '..'");
        }
        if (string.IsNullOrWhiteSpace(reference))
        {
            throw new DynamicMountException(DynamicMountError.Invalid, "missing 'reference', e.g. registry.example.com/models/llama:1.0");
        }
        lock (_lock)
        {
            if (_entries.TryGetValue(name!, out var existing))
            {
                throw new DynamicMountException(DynamicMountError.NameTaken, $"a mount named '{name}' already exists (model {existing.Record.Reference}); unmount it first");
            }
            var entry = new Entry(new DynamicMountRecord { Name = name!, Reference = reference.Trim(), Selection = selection, State = DynamicMountState.Pulling });
            _entries[entry.Record.Name] = entry;
            Persist();
            StartPull(entry);
            Log.MountRequested(_logger, VolumeId, entry.Record.Name, entry.Record.Reference);
            return View(entry);
        }
    }

    /// <summary>Cancels the mount's pull or unmounts it, forgets it and lets the cache evict its model once nothing else uses it.</summary>
    public async Task RemoveAsync(string name, CancellationToken cancellationToken = default)
    {
        Entry entry;
        lock (_lock)
        {
            if (!_entries.Remove(name, out entry!))
            {
                throw NotFound(name);
            }
            Persist();
        }
        await entry.Pull.CancelAsync();
        await WaitQuietlyAsync(entry.PullTask).WaitAsync(cancellationToken);
        lock (_lock)
        {
            UnmountModel(name);
            entry.ReleaseLease();
        }
        Log.MountRemoved(_logger, VolumeId, name);
    }

    /// <summary>
    /// Takes up the mounts of the state file after a driver restart: mounts still in place are kept (the kernel
    /// kept them) and their models marked in use again; pulls cut short by the restart, and ready mounts that are
    /// gone, are started again.
    /// </summary>
    public void Restore()
    {
        if (!File.Exists(Layout.StateFile))
        {
            return;
        }
        var records = JsonSerializer.Deserialize<List<DynamicMountRecord>>(File.ReadAllBytes(Layout.StateFile), JsonOptions) ?? [];
        lock (_lock)
        {
            foreach (var record in records)
            {
                var entry = new Entry(record);
                _entries[record.Name] = entry;
                if (record.State == DynamicMountState.Ready && record.ManifestDigest is { } key && _mounter.FindMount(Layout.MountPoint(record.Name)) is not null)
                {
                    entry.Lease = _store.Acquire(key, LeaseHolder.DynamicMount(VolumeId, record.Name));
                    continue;
                }
                if (record.State != DynamicMountState.Failed)
                {
                    entry.Record = record with { State = DynamicMountState.Pulling, Error = null };
                    StartPull(entry);
                }
            }
            Persist();
        }
        Log.Restored(_logger, VolumeId, records.Count);
    }

    /// <summary>Unmounts every model and deletes the state file (unpublish); the caller removes the directories.</summary>
    public async Task TearDownAsync()
    {
        await StopPullsAsync();
        lock (_lock)
        {
            foreach (var entry in _entries.Values)
            {
                UnmountModel(entry.Record.Name);
            }
            foreach (var entry in _entries.Values)
            {
                entry.ReleaseLease();
            }
            _entries.Clear();
            File.Delete(Layout.StateFile);
        }
    }

    /// <summary>Stops the pulls in flight without touching mounts or state (driver shutdown: the restart picks them up).</summary>
    public async ValueTask DisposeAsync()
    {
        await StopPullsAsync();
        _stopping.Dispose();
    }

    private async Task StopPullsAsync()
    {
        await _stopping.CancelAsync();
        Task[] pulls;
        lock (_lock)
        {
            pulls = _entries.Values.Select(e => e.PullTask).ToArray();
        }
        foreach (var pull in pulls)
        {
            await WaitQuietlyAsync(pull);
        }
    }

    private void StartPull(Entry entry)
    {
        entry.Pull = CancellationTokenSource.CreateLinkedTokenSource(_stopping.Token);
        var token = entry.Pull.Token;
        entry.PullTask = Task.Run(() => PullAsync(entry, token), CancellationToken.None);
    }

    private async Task PullAsync(Entry entry, CancellationToken cancellationToken)
    {
        var name = entry.Record.Name;
        ModelHandle? model = null;
        try
        {
            model = await _store.AcquireAsync(
                new ModelRequest(entry.Record.Reference)
                {
                    Holder = LeaseHolder.DynamicMount(VolumeId, name),
                    Selection = entry.Record.Selection,
                    Credentials = _credentials,
                    Observer = entry.Progress,
                },
                cancellationToken);
            lock (_lock)
            {
                if (cancellationToken.IsCancellationRequested || !IsCurrent(entry))
                {
                    model.Lease?.Dispose();
                    return;
                }
                entry.Lease = model.Lease;
                MountModel(name, model.ModelPath);
                entry.Record = entry.Record with { State = DynamicMountState.Ready, ManifestDigest = model.CacheKey, Error = null };
                Persist();
            }
            Log.MountReady(_logger, VolumeId, name, entry.Record.Reference, model.CacheKey);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // Removed or shutting down: whoever cancelled owns what comes next.
            if (model is not null)
            {
                lock (_lock)
                {
                    ReleaseFailed(entry, model);
                }
            }
        }
        catch (Exception ex)
        {
            lock (_lock)
            {
                if (model is not null)
                {
                    ReleaseFailed(entry, model);
                }
                if (IsCurrent(entry))
                {
                    entry.Record = entry.Record with { State = DynamicMountState.Failed, Error = ex.Message };
                    Persist();
                }
            }
            Log.MountFailed(_logger, VolumeId, name, entry.Record.Reference, ex.Message);
        }
    }

    /// <summary>A mount that did not become ready holds no model.</summary>
    private static void ReleaseFailed(Entry entry, ModelHandle model)
    {
        if (ReferenceEquals(entry.Lease, model.Lease))
        {
            entry.ReleaseLease();
        }
        else
        {
            model.Lease?.Dispose();
        }
    }

    private bool IsCurrent(Entry entry) => _entries.TryGetValue(entry.Record.Name, out var current) && ReferenceEquals(current, entry);

    /// <summary>Read-only bind at a private staging point, then one move into the shared tree: the pod never sees a half-made mount.</summary>
    private void MountModel(string name, string modelPath)
    {
        var staging = Layout.Staging(name);
        var mountPoint = Layout.MountPoint(name);
        Directory.CreateDirectory(staging);
        try
        {
            UnmountAll(staging);
            _mounter.BindReadOnly(modelPath, staging);
            if (_mounter.FindMount(staging) is not { IsReadOnly: true })
            {
                _mounter.Unmount(staging);
                throw new InvalidOperationException($"bind mount of {modelPath} at {staging} is not read-only after the remount");
            }
            try
            {
                // A crash between the mount and the state write leaves the mount of the same model behind; it is replaced.
                UnmountAll(mountPoint);
                Directory.CreateDirectory(mountPoint);
                _mounter.Move(staging, mountPoint);
            }
            catch
            {
                UnmountAll(staging);
                throw;
            }
        }
        finally
        {
            Directory.Delete(staging);
        }
    }

    private void UnmountModel(string name)
    {
        var mountPoint = Layout.MountPoint(name);
        UnmountAll(mountPoint);
        if (Directory.Exists(mountPoint))
        {
            // Never recursive: if the unmount silently did not happen, this fails instead of deleting model files.
            Directory.Delete(mountPoint);
        }
    }

    private void UnmountAll(string path)
    {
        for (var i = 0; i < 8 && _mounter.FindMount(path) is not null; i++)
        {
            _mounter.Unmount(path);
        }
    }

    /// <summary>Temp file, fsync, rename: a crash leaves the old list or the new one, never a torn file.</summary>
    private void Persist()
    {
        var records = _entries.Values.Select(e => e.Record).OrderBy(r => r.Name, StringComparer.Ordinal).ToList();
        var temp = Layout.StateFile + "." + Guid.NewGuid().ToString("N") + ".tmp";
        try
        {
            using (var stream = new FileStream(temp, FileMode.CreateNew, FileAccess.Write, FileShare.None))
            {
                JsonSerializer.Serialize(stream, records, JsonOptions);
                stream.Flush(flushToDisk: true);
            }
            File.Move(temp, Layout.StateFile, overwrite: true);
        }
        catch
        {
            File.Delete(temp);
            throw;
        }
    }

    private DynamicMountView View(Entry entry) => new()
    {
        Name = entry.Record.Name,
        Reference = entry.Record.Reference,
        ManifestDigest = entry.Record.ManifestDigest,
        State = entry.Record.State,
        Path = DynamicVolumeLayout.ModelsName + "/" + entry.Record.Name,
        BytesTotal = entry.Progress.BytesTotal,
        BytesDone = entry.Progress.BytesDone,
        Error = entry.Record.Error,
    };

    private static DynamicMountException NotFound(string name) => new(DynamicMountError.NotFound, $"no mount named '{name}'");

    private static async Task WaitQuietlyAsync(Task task)
    {
        try
        {
            await task;
        }
        catch (Exception)
        {
            // The pull records its own failure; here only its end matters.
        }
    }

    private sealed class Entry(DynamicMountRecord record)
    {
        public DynamicMountRecord Record { get; set; } = record;

        public DynamicMountProgress Progress { get; } = new();

        public CancellationTokenSource Pull { get; set; } = new();

        public Task PullTask { get; set; } = Task.CompletedTask;

        /// <summary>The lease on the mounted model; each mount holds its own, so removing one never frees another's model.</summary>
        public ModelLease? Lease { get; set; }

        public void ReleaseLease()
        {
            Lease?.Dispose();
            Lease = null;
        }
    }
}
