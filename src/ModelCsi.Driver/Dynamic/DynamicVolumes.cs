using System.Collections.Concurrent;
using Microsoft.Extensions.Options;
using ModelCsi.Core.Cache;
using ModelCsi.Core.Mounting;
using ModelCsi.Core.Oci.Credentials;
using ModelCsi.Core.State;
using ModelCsi.Driver.Options;

namespace ModelCsi.Driver.Dynamic;

/// <summary>
/// The dynamic volumes this node serves: each one's directory, mounts and socket API. Publish makes the volume
/// directory a shared mount and binds it read-only at the target, so models mounted under it later propagate into
/// the target (the pod's container needs <c>mountPropagation: HostToContainer</c> to see them).
/// </summary>
internal sealed class DynamicVolumes(
    IOptions<DriverOptions> options,
    IModelSource store,
    IMounter mounter,
    DynamicVolumeServer server,
    ILogger<DynamicVolumes> logger) : IAsyncDisposable
{
    private const int MaxStackedMounts = 8;

    private readonly ConcurrentDictionary<string, Active> _active = new(StringComparer.Ordinal);
    private readonly Lock _stagingLock = new();
    private readonly string _root = options.Value.RootDir;
    private bool _stagingReady;
    private int _starting;

    public bool IsServing(string volumeId, string targetPath) => _active.ContainsKey(Layout(volumeId, targetPath).Key);

    public DynamicVolumeLayout Layout(string volumeId, string targetPath) => new(_root, volumeId, targetPath);

    /// <summary>Creates the volume directory, opens its socket on the API server and binds the directory read-only at the target.</summary>
    public async Task PublishAsync(string volumeId, string targetPath, CredentialContext credentials, CancellationToken cancellationToken = default)
    {
        var layout = Layout(volumeId, targetPath);
        SaveSecrets(layout, credentials.Secrets);
        await StartAsync(volumeId, layout, credentials, cancellationToken);
        Directory.CreateDirectory(targetPath);
        mounter.BindReadOnly(layout.Directory, targetPath);
        if (mounter.FindMount(targetPath) is not { IsReadOnly: true })
        {
            mounter.Unmount(targetPath);
            throw new InvalidOperationException($"bind mount of {layout.Directory} at {targetPath} is not read-only after the remount");
        }
        Log.Published(logger, volumeId, targetPath, layout.Socket);
    }

    /// <summary>After a driver restart: the target bind and the model mounts survived in the kernel; the API and the pulls did not.</summary>
    public async Task RestoreAsync(PublishedVolume record, CancellationToken cancellationToken = default)
    {
        var credentials = new CredentialContext
        {
            PodNamespace = record.Pod.Namespace,
            PodName = record.Pod.Name,
            PodUid = record.Pod.Uid,
            ServiceAccountName = record.Pod.ServiceAccountName,
        };
        try
        {
            var layout = Layout(record.VolumeId, record.TargetPath);
            await StartAsync(record.VolumeId, layout, credentials with { Secrets = LoadSecrets(layout) }, cancellationToken);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or System.Text.Json.JsonException)
        {
            // Kubelet still owns the volume and will unpublish it; the rest of the node must come up regardless.
            Log.RestoreFailed(logger, record.VolumeId, record.TargetPath, ex.Message);
        }
    }

    /// <summary>Closes the volume's socket (dropping its open connections), unmounts every model and the target, and removes the volume's directory and state.</summary>
    public async Task UnpublishAsync(string volumeId, string targetPath)
    {
        var layout = Layout(volumeId, targetPath);
        if (_active.TryRemove(layout.Key, out var active))
        {
            await active.Socket.DisposeAsync();
            await active.Volume.TearDownAsync();
            await active.Volume.DisposeAsync();
        }
        else if (Directory.Exists(layout.Directory))
        {
            // Not taken up after a restart (or a half-done publish): tear it down from its state file all the same.
            await using var volume = new DynamicVolume(volumeId, layout, store, mounter, CredentialContext.None, logger);
            await volume.TearDownAsync();
        }
        UnmountAll(targetPath);
        if (Directory.Exists(targetPath))
        {
            Directory.Delete(targetPath);
        }
        if (Directory.Exists(layout.Directory))
        {
            if (Directory.Exists(layout.Models))
            {
                foreach (var leftover in Directory.EnumerateDirectories(layout.Models))
                {
                    UnmountAll(leftover);
                    Directory.Delete(leftover);
                }
            }
            UnmountAll(layout.Directory);
            File.Delete(layout.Socket);
            if (Directory.Exists(layout.Models))
            {
                Directory.Delete(layout.Models);
            }
            Directory.Delete(layout.Directory);
        }
        File.Delete(layout.StateFile);
        File.Delete(layout.SecretsFile);
        ReleaseStagingRootIfIdle(layout);
        Log.Unpublished(logger, volumeId, targetPath);
    }

    /// <summary>Driver shutdown: closes every socket, stops the API server and every pull, leaving mounts and state for the next start.</summary>
    public async ValueTask DisposeAsync()
    {
        foreach (var key in _active.Keys)
        {
            if (_active.TryRemove(key, out var active))
            {
                await active.Socket.DisposeAsync();
                await active.Volume.DisposeAsync();
            }
        }
        await server.DisposeAsync();
    }

    private static void SaveSecrets(DynamicVolumeLayout layout, IReadOnlyDictionary<string, string> secrets)
    {
        if (secrets.Count == 0)
        {
            return;
        }

        Directory.CreateDirectory(layout.DynamicRoot);
        var temp = layout.SecretsFile + "." + Guid.NewGuid().ToString("N") + ".tmp";
        using (var stream = new FileStream(temp, new FileStreamOptions
        {
            Mode = FileMode.CreateNew,
            Access = FileAccess.Write,
            UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite,
        }))
        {
            System.Text.Json.JsonSerializer.Serialize(stream, secrets);
            stream.Flush(flushToDisk: true);
        }

        File.Move(temp, layout.SecretsFile, overwrite: true);
    }

    private static IReadOnlyDictionary<string, string> LoadSecrets(DynamicVolumeLayout layout) =>
        File.Exists(layout.SecretsFile)
            ? System.Text.Json.JsonSerializer.Deserialize<Dictionary<string, string>>(File.ReadAllBytes(layout.SecretsFile)) ?? []
            : new Dictionary<string, string>();

    private async Task StartAsync(string volumeId, DynamicVolumeLayout layout, CredentialContext credentials, CancellationToken cancellationToken)
    {
        if (_active.ContainsKey(layout.Key))
        {
            return;
        }
        EnsureStagingRoot(layout);
        try
        {
            // The volume's own directory keeps the usual 0755: it is the root of what the pod sees at its target,
            // and the pod may run as any user. Host users cannot reach it: dynamic/ above it is 0700.
            Directory.CreateDirectory(layout.Models);
            mounter.SetPropagation(layout.Directory, MountPropagation.Shared);
            var volume = new DynamicVolume(volumeId, layout, store, mounter, credentials, logger);
            try
            {
                volume.Restore();
                var socket = await server.OpenAsync(volume, cancellationToken);
                if (!_active.TryAdd(layout.Key, new Active(volume, socket)))
                {
                    await socket.DisposeAsync();
                    await volume.DisposeAsync();
                }
            }
            catch
            {
                await volume.DisposeAsync();
                throw;
            }
        }
        finally
        {
            lock (_stagingLock)
            {
                _starting--;
            }
        }
    }

    /// <summary>Staging mounts are moved into the shared volume trees, and the kernel refuses to move a mount whose parent is shared.</summary>
    /// <remarks>
    /// Also makes dynamic/ 0700: the volumes' sockets (0666, so any user of the pod can use them) are reachable
    /// only through the target each is bound at, never by another host user through the driver's directory.
    /// Counts the start in progress so that a concurrent last unpublish does not take the staging root away.
    /// </remarks>
    private void EnsureStagingRoot(DynamicVolumeLayout layout)
    {
        lock (_stagingLock)
        {
            _starting++;
            if (_stagingReady)
            {
                return;
            }
            try
            {
                Directory.CreateDirectory(layout.DynamicRoot);
                File.SetUnixFileMode(layout.DynamicRoot, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
                Directory.CreateDirectory(layout.StagingRoot);
                mounter.SetPropagation(layout.StagingRoot, MountPropagation.Private);
            }
            catch
            {
                _starting--;
                throw;
            }
            _stagingReady = true;
        }
    }

    /// <summary>After the last dynamic volume is gone, the staging root's self-bind goes too: the driver leaves no mount of its own behind.</summary>
    private void ReleaseStagingRootIfIdle(DynamicVolumeLayout layout)
    {
        lock (_stagingLock)
        {
            if (!_active.IsEmpty || _starting > 0)
            {
                return;
            }
            // A volume not taken up after a restart still has its directory (and may still be unpublished later).
            var others = Directory.Exists(layout.DynamicRoot)
                && Directory.EnumerateFileSystemEntries(layout.DynamicRoot).Any(e => Path.GetFileName(e) != Path.GetFileName(layout.StagingRoot));
            var staging = Directory.Exists(layout.StagingRoot) && Directory.EnumerateFileSystemEntries(layout.StagingRoot).Any();
            if (others || staging)
            {
                return;
            }
            UnmountAll(layout.StagingRoot);
            if (Directory.Exists(layout.StagingRoot))
            {
                Directory.Delete(layout.StagingRoot);
            }
            _stagingReady = false;
        }
    }

    private void UnmountAll(string path)
    {
        for (var i = 0; i < MaxStackedMounts && mounter.FindMount(path) is not null; i++)
        {
            mounter.Unmount(path);
        }
        if (mounter.FindMount(path) is not null)
        {
            throw new InvalidOperationException($"{path} is still a mount point after {MaxStackedMounts} unmounts");
        }
    }

    private sealed record Active(DynamicVolume Volume, DynamicVolumeSocket Socket);
}
