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
    ILogger<DynamicVolumes> logger) : IAsyncDisposable
{
    private const int MaxStackedMounts = 8;

    private readonly ConcurrentDictionary<string, Active> _active = new(StringComparer.Ordinal);
    private readonly Lock _stagingLock = new();
    private readonly string _root = options.Value.RootDir;
    private bool _stagingReady;

    public bool IsServing(string volumeId, string targetPath) => _active.ContainsKey(Layout(volumeId, targetPath).Key);

    public DynamicVolumeLayout Layout(string volumeId, string targetPath) => new(_root, volumeId, targetPath);

    /// <summary>Creates the volume directory, starts its API and binds the directory read-only at the target.</summary>
    public async Task PublishAsync(string volumeId, string targetPath, CredentialContext credentials, CancellationToken cancellationToken = default)
    {
        var layout = Layout(volumeId, targetPath);
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
            await StartAsync(record.VolumeId, Layout(record.VolumeId, record.TargetPath), credentials, cancellationToken);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or System.Text.Json.JsonException)
        {
            // Kubelet still owns the volume and will unpublish it; the rest of the node must come up regardless.
            Log.RestoreFailed(logger, record.VolumeId, record.TargetPath, ex.Message);
        }
    }

    /// <summary>Stops the API, unmounts every model and the target, and removes the volume's directory and state.</summary>
    public async Task UnpublishAsync(string volumeId, string targetPath)
    {
        var layout = Layout(volumeId, targetPath);
        if (_active.TryRemove(layout.Key, out var active))
        {
            await active.Api.DisposeAsync();
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
        Log.Unpublished(logger, volumeId, targetPath);
    }

    /// <summary>Driver shutdown: stops every API and pull, leaving mounts and state for the next start.</summary>
    public async ValueTask DisposeAsync()
    {
        foreach (var key in _active.Keys)
        {
            if (_active.TryRemove(key, out var active))
            {
                await active.Api.DisposeAsync();
                await active.Volume.DisposeAsync();
            }
        }
    }

    private async Task StartAsync(string volumeId, DynamicVolumeLayout layout, CredentialContext credentials, CancellationToken cancellationToken)
    {
        if (_active.ContainsKey(layout.Key))
        {
            return;
        }
        EnsureStagingRoot(layout.StagingRoot);
        Directory.CreateDirectory(layout.Models);
        mounter.SetPropagation(layout.Directory, MountPropagation.Shared);
        var volume = new DynamicVolume(volumeId, layout, store, mounter, credentials, logger);
        try
        {
            volume.Restore();
            var api = await DynamicVolumeApi.StartAsync(volume, cancellationToken);
            if (!_active.TryAdd(layout.Key, new Active(volume, api)))
            {
                await api.DisposeAsync();
                await volume.DisposeAsync();
            }
        }
        catch
        {
            await volume.DisposeAsync();
            throw;
        }
    }

    /// <summary>Staging mounts are moved into the shared volume trees, and the kernel refuses to move a mount whose parent is shared.</summary>
    private void EnsureStagingRoot(string stagingRoot)
    {
        lock (_stagingLock)
        {
            if (_stagingReady)
            {
                return;
            }
            Directory.CreateDirectory(stagingRoot);
            mounter.SetPropagation(stagingRoot, MountPropagation.Private);
            _stagingReady = true;
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

    private sealed record Active(DynamicVolume Volume, DynamicVolumeApi Api);
}
