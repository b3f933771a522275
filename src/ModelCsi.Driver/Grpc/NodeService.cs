using Csi.V1;
using Grpc.Core;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using ModelCsi.Core.Cache;
using ModelCsi.Core.Kubernetes;
using ModelCsi.Core.ModelPack;
using ModelCsi.Core.Mounting;
using ModelCsi.Core.Oci.Credentials;
using ModelCsi.Core.State;
using ModelCsi.Driver.Dynamic;
using ModelCsi.Driver.Options;

namespace ModelCsi.Driver.Grpc;

/// <summary>
/// Publishes a model as a read-only bind mount of its cached directory at the pod's target path.
/// No staging: the cache already holds one shared copy per model, so there is nothing to stage.
/// </summary>
internal sealed class NodeService(
    IOptions<DriverOptions> options,
    IModelSource models,
    IMounter mounter,
    OwnMounts ownMounts,
    IPublishedVolumeStore volumes,
    VolumeOperationLocks locks,
    PublishedLeases leases,
    IHostApplicationLifetime lifetime,
    TimeProvider timeProvider,
    CsiMetrics metrics,
    ILogger<NodeService> logger,
    PullEventReporterFactory? pullEvents = null,
    DynamicVolumes? dynamicVolumes = null,
    ModelEntryCounts? entryCounts = null) : Node.NodeBase
{
    private readonly DriverOptions _options = options.Value;
    private readonly ModelEntryCounts _entryCounts = entryCounts ?? new ModelEntryCounts(mounter);

    public override Task<NodeGetInfoResponse> NodeGetInfo(NodeGetInfoRequest request, ServerCallContext context) =>
        Task.FromResult(new NodeGetInfoResponse { NodeId = _options.NodeId, MaxVolumesPerNode = 0 });

    public override Task<NodeGetCapabilitiesResponse> NodeGetCapabilities(NodeGetCapabilitiesRequest request, ServerCallContext context)
    {
        var response = new NodeGetCapabilitiesResponse();
        response.Capabilities.Add(new NodeServiceCapability
        {
            Rpc = new NodeServiceCapability.Types.RPC { Type = NodeServiceCapability.Types.RPC.Types.Type.GetVolumeStats },
        });
        // kubelet turns an abnormal condition into pod Events when volume health monitoring is on.
        response.Capabilities.Add(new NodeServiceCapability
        {
            Rpc = new NodeServiceCapability.Types.RPC { Type = NodeServiceCapability.Types.RPC.Types.Type.VolumeCondition },
        });
        return Task.FromResult(response);
    }

    public override async Task<NodePublishVolumeResponse> NodePublishVolume(NodePublishVolumeRequest request, ServerCallContext context)
    {
        const string method = nameof(NodePublishVolume);
        CsiRequestValidation.RequireVolumeId(request.VolumeId, method);
        CsiRequestValidation.RequirePath(request.TargetPath, "target_path", method);
        CsiRequestValidation.RequireBoundedAttributes(request.VolumeContext, method);
        var pod = CsiRequestValidation.ReadPodInfo(request.VolumeContext);
        CsiRequestValidation.RequireMountCapability(request.VolumeCapability, method);
        CsiRequestValidation.RequireUnderKubeletDir(MountInfoParser.NormalizePath(request.TargetPath), _options.KubeletDir, method);
        if (IsDynamic(request.VolumeContext))
        {
            await PublishDynamicAsync(request, pod, context);
            return new NodePublishVolumeResponse();
        }
        // Every attribute is parsed before the lock: bad input costs no lock, no disk and no registry call.
        var reference = CsiRequestValidation.ParseModelReference(request.VolumeContext, method);
        var subPath = SubPath.Parse(request.VolumeContext.GetValueOrDefault(VolumeContextKeys.SubPath), method);
        var selection = CsiRequestValidation.ReadLayerSelection(request.VolumeContext, method);
        var pullPolicy = CsiRequestValidation.ReadPullPolicy(request.VolumeContext, method);
        var volumeId = request.VolumeId;
        var target = MountInfoParser.NormalizePath(request.TargetPath);

        using var podScope = Log.PodScope(logger, pod.Namespace ?? "-", pod.Name ?? "-", reference);
        // Shutdown cancels in-flight work too, so a stopping driver does not hang on a pull.
        using var cancellation = CancellationTokenSource.CreateLinkedTokenSource(context.CancellationToken, lifetime.ApplicationStopping);
        var cancellationToken = cancellation.Token;
        using var held = await AcquireAsync(volumeId, target, method, cancellationToken);

        var existing = volumes.Find(volumeId, target);
        if (ownMounts.Inspect(target) is not TargetState.NotMounted and var state)
        {
            EnsureSameVolume(existing, volumeId, target, reference, subPath, method);
            EnsureSameSelection(existing!, volumeId, target, selection, method);
            if (state is not TargetState.Ours || ownMounts.Find(target)?.Source != existing!.SourcePath)
            {
                throw new RpcException(new Status(StatusCode.AlreadyExists, $"{method}: {target} has a mount on it that this driver did not make over volume {volumeId}"));
            }
            if (!mounter.IsReadOnlyMount(target))
            {
                throw new InvalidOperationException($"{target} is mounted read-write; refusing to hand it to a pod");
            }
            Log.AlreadyPublished(logger, target);
            return new NodePublishVolumeResponse();
        }
        EnsureUsableTarget(existing, volumeId, target, method);

        var secrets = new Dictionary<string, string>(request.Secrets);
        var credentials = CredentialContext.FromVolume(secrets, request.VolumeContext);
        // The model is leased to this target as it is handed out, so no eviction slips in before the mount.
        var model = await models.AcquireAsync(
            new ModelRequest(reference, secrets)
            {
                Holder = LeaseHolder.Volume(volumeId, target),
                Credentials = credentials,
                Selection = selection,
                PullPolicy = pullPolicy,
                Observer = pullEvents?.ForPod(credentials, reference),
            },
            cancellationToken);
        var lease = model.Lease ?? throw new InvalidOperationException($"the model source handed out {model.CacheKey} without a lease");
        try
        {
            await PublishModelAsync(model, volumeId, target, reference, subPath, pod, method, cancellationToken);
        }
        catch
        {
            lease.Dispose();
            throw;
        }
        leases.Keep(volumeId, target, lease);
        return new NodePublishVolumeResponse();
    }

    private async Task PublishModelAsync(
        ModelHandle model,
        string volumeId,
        string target,
        string reference,
        string? subPath,
        PodInfo pod,
        string method,
        CancellationToken cancellationToken)
    {
        var source = subPath is null ? model.ModelPath : SubPath.Resolve(model.ModelPath, subPath, method);
        Directory.CreateDirectory(target);

        // Recorded before mounting: if the driver dies right after the mount, the retry and the unpublish still know it.
        var record = new PublishedVolume
        {
            VolumeId = volumeId,
            TargetPath = target,
            Reference = reference,
            CacheKey = model.CacheKey,
            SourcePath = source,
            Entries = _entryCounts.Count(source),
            SubPath = subPath,
            Pod = pod,
            PublishedAt = timeProvider.GetUtcNow(),
        };
        await volumes.SaveAsync(record, cancellationToken);
        try
        {
            ownMounts.BindReadOnly(source, target);
        }
        catch
        {
            volumes.Remove(volumeId, target);
            throw;
        }
        metrics.PublishedVolumes.Set(volumes.Count);
        Log.Published(logger, reference, model.CacheKey, target);
    }

    public override async Task<NodeUnpublishVolumeResponse> NodeUnpublishVolume(NodeUnpublishVolumeRequest request, ServerCallContext context)
    {
        const string method = nameof(NodeUnpublishVolume);
        CsiRequestValidation.RequireVolumeId(request.VolumeId, method);
        CsiRequestValidation.RequirePath(request.TargetPath, "target_path", method);
        var volumeId = request.VolumeId;
        var target = MountInfoParser.NormalizePath(request.TargetPath);

        using var cancellation = CancellationTokenSource.CreateLinkedTokenSource(context.CancellationToken, lifetime.ApplicationStopping);
        using var held = await AcquireAsync(volumeId, target, method, cancellation.Token);
        if (volumes.Find(volumeId, target) is { Dynamic: true })
        {
            await UnpublishDynamicAsync(volumeId, target);
            return new NodeUnpublishVolumeResponse();
        }

        if (volumes.Find(volumeId, target) is not { } record)
        {
            // Nothing of this volume is recorded here: whatever is at the target is not ours to unmount or delete.
            if (volumes.FindByTarget(target) is { } other)
            {
                throw new RpcException(new Status(
                    StatusCode.FailedPrecondition,
                    $"{method}: {target} holds volume {other.VolumeId}, not {volumeId}; nothing was unmounted"));
            }
            leases.Release(volumeId, target);
            Log.NothingToUnpublish(logger, target);
            return new NodeUnpublishVolumeResponse();
        }

        // Only our own bind comes off: a mount somebody stacked over it, or put in its place, is left alone.
        if (!ownMounts.Unmount(target, record.SourcePath))
        {
            throw new RpcException(new Status(
                StatusCode.FailedPrecondition,
                $"{method}: {target} has a mount on it that this driver did not make; it was left alone, remove it and retry"));
        }
        if (Directory.Exists(target))
        {
            // Never recursive: if the unmount silently did not happen, this fails instead of deleting model files.
            Directory.Delete(target);
        }
        volumes.Remove(volumeId, target);
        leases.Release(volumeId, target);
        metrics.PublishedVolumes.Set(volumes.Count);
        Log.Unpublished(logger, target);
        return new NodeUnpublishVolumeResponse();
    }

    public override Task<NodeGetVolumeStatsResponse> NodeGetVolumeStats(NodeGetVolumeStatsRequest request, ServerCallContext context)
    {
        const string method = nameof(NodeGetVolumeStats);
        CsiRequestValidation.RequireVolumeId(request.VolumeId, method);
        if (string.IsNullOrWhiteSpace(request.VolumePath))
        {
            throw CsiRequestValidation.Invalid($"{method}: volume_path is required");
        }
        // Any other path, relative ones included, is simply not a published volume: NotFound, as the spec says.
        var path = Path.IsPathFullyQualified(request.VolumePath) ? MountInfoParser.NormalizePath(request.VolumePath) : request.VolumePath;
        if (volumes.Find(request.VolumeId, path) is not { } record || !Directory.Exists(path))
        {
            throw new RpcException(new Status(StatusCode.NotFound, $"{method}: volume {CsiRequestValidation.Shown(request.VolumeId)} is not published at {CsiRequestValidation.Shown(path)}"));
        }

        // A model is immutable and fully present, so its size is both what is used and the whole capacity.
        var (bytes, inodes) = TreeUsage.Measure(path);
        var response = new NodeGetVolumeStatsResponse { VolumeCondition = VolumeHealth.Check(record, ownMounts, inodes) };
        response.Usage.Add(new VolumeUsage { Unit = VolumeUsage.Types.Unit.Bytes, Total = bytes, Used = bytes, Available = 0 });
        response.Usage.Add(new VolumeUsage { Unit = VolumeUsage.Types.Unit.Inodes, Total = inodes, Used = inodes, Available = 0 });
        return Task.FromResult(response);
    }

    private async Task<IDisposable> AcquireAsync(string volumeId, string target, string method, CancellationToken cancellationToken) =>
        await locks.TryAcquireAsync(volumeId, target, _options.OperationLockWait, cancellationToken)
        ?? throw new RpcException(new Status(
            StatusCode.Aborted,
            $"{method}: another operation on volume {volumeId} at {target} is still in progress; retry later"));

    /// <summary>A different selection of the same model is a different model: its record names another cache key.</summary>
    private static void EnsureSameSelection(PublishedVolume existing, string volumeId, string target, LayerSelection? selection, string method)
    {
        var published = CacheKeys.SelectionKeyOf(existing.CacheKey);
        if (!string.Equals(published, selection?.CacheKey, StringComparison.Ordinal))
        {
            throw new RpcException(new Status(
                StatusCode.AlreadyExists,
                $"{method}: volume {volumeId} is already published at {target} with "
                + (published is null ? "the whole model" : "another layer selection")
                + $"; this request asks for " + (selection is null ? "the whole model" : $"layers: {selection}")));
        }
    }

    /// <summary>
    /// A target is used only when nothing else is there: no other volume recorded at it, no symlink, no content.
    /// kubelet hands out an empty directory (or none); anything else would be mounted over and hidden.
    /// </summary>
    private void EnsureUsableTarget(PublishedVolume? existing, string volumeId, string target, string method)
    {
        if (existing is null && volumes.FindByTarget(target) is { } other)
        {
            throw new RpcException(new Status(StatusCode.AlreadyExists, $"{method}: {target} already holds volume {other.VolumeId} (model {other.Reference})"));
        }
        var info = new DirectoryInfo(target);
        if (info.LinkTarget is not null || (File.Exists(target) && !info.Exists))
        {
            throw CsiRequestValidation.Invalid($"{method}: target_path {target} is a symlink or a file, not a directory");
        }
        if (info.Exists && info.EnumerateFileSystemInfos().Any())
        {
            throw new RpcException(new Status(StatusCode.FailedPrecondition, $"{method}: target_path {target} is not empty; refusing to mount over its content"));
        }
    }

    private void EnsureSameVolume(PublishedVolume? existing, string volumeId, string target, string reference, string? subPath, string method)
    {
        if (existing is null)
        {
            var other = volumes.FindByTarget(target);
            throw new RpcException(new Status(StatusCode.AlreadyExists, other is null
                ? $"{method}: {target} is already a mount point that this driver did not create"
                : $"{method}: {target} already holds volume {other.VolumeId} (model {other.Reference})"));
        }
        if (!string.Equals(existing.Reference, reference, StringComparison.Ordinal)
            || !string.Equals(existing.SubPath, subPath, StringComparison.Ordinal))
        {
            throw new RpcException(new Status(
                StatusCode.AlreadyExists,
                $"{method}: volume {volumeId} is already published at {target} with model {existing.Reference}"
                + (existing.SubPath is null ? "" : $" subPath {existing.SubPath}")
                + $"; this request asks for {reference}" + (subPath is null ? "" : $" subPath {subPath}")));
        }
    }

    // ---- Dynamic volumes: the pod mounts models itself through a socket in the volume (see Dynamic/). ----

    private static bool IsDynamic(Google.Protobuf.Collections.MapField<string, string> volumeContext) =>
        string.Equals(volumeContext.GetValueOrDefault(VolumeContextKeys.Mode)?.Trim(), VolumeContextKeys.DynamicMode, StringComparison.OrdinalIgnoreCase);

    private DynamicVolumes DynamicVolumes(string method) => dynamicVolumes
        ?? throw new RpcException(new Status(StatusCode.FailedPrecondition, $"{method}: this node does not serve dynamic volumes"));

    private async Task PublishDynamicAsync(NodePublishVolumeRequest request, PodInfo pod, ServerCallContext context)
    {
        const string method = nameof(NodePublishVolume);
        var dynamic = DynamicVolumes(method);
        var volumeId = request.VolumeId;
        var target = MountInfoParser.NormalizePath(request.TargetPath);
        using var cancellation = CancellationTokenSource.CreateLinkedTokenSource(context.CancellationToken, lifetime.ApplicationStopping);
        var cancellationToken = cancellation.Token;
        using var held = await AcquireAsync(volumeId, target, method, cancellationToken);

        var existing = volumes.Find(volumeId, target);
        if (mounter.Probe(target) is { IsMountRoot: true })
        {
            if (existing is not { Dynamic: true })
            {
                var other = existing ?? volumes.FindByTarget(target);
                throw new RpcException(new Status(StatusCode.AlreadyExists, other is null
                    ? $"{method}: {target} is already a mount point that this driver did not create"
                    : $"{method}: {target} already holds volume {other.VolumeId} (model {other.Reference})"));
            }
            Log.AlreadyPublished(logger, target);
            return;
        }

        var layout = dynamic.Layout(volumeId, target);
        // Recorded before mounting, as for model volumes: a restart or an unpublish after a crash still knows it.
        await volumes.SaveAsync(
            new PublishedVolume
            {
                VolumeId = volumeId,
                TargetPath = target,
                Reference = "",
                CacheKey = "",
                SourcePath = layout.Directory,
                Dynamic = true,
                Pod = pod,
                PublishedAt = timeProvider.GetUtcNow(),
            },
            cancellationToken);
        try
        {
            var credentials = CredentialContext.FromVolume(new Dictionary<string, string>(request.Secrets), request.VolumeContext);
            await dynamic.PublishAsync(volumeId, target, credentials, cancellationToken);
        }
        catch
        {
            await dynamic.UnpublishAsync(volumeId, target);
            volumes.Remove(volumeId, target);
            throw;
        }
        metrics.PublishedVolumes.Set(volumes.Count);
    }

    private async Task UnpublishDynamicAsync(string volumeId, string target)
    {
        await DynamicVolumes(nameof(NodeUnpublishVolume)).UnpublishAsync(volumeId, target);
        volumes.Remove(volumeId, target);
        metrics.PublishedVolumes.Set(volumes.Count);
    }
}
