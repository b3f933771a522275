using Csi.V1;
using Google.Protobuf.Collections;
using Grpc.Core;
using Microsoft.Extensions.Hosting;
using ModelCsi.Core.ModelPack;
using ModelCsi.Core.Oci;
using ModelCsi.Core.Oci.Credentials;
using ModelCsi.Core.Signing;

namespace ModelCsi.Driver.Grpc;

/// <summary>
/// Provisions persistent model volumes. A volume owns no storage: CreateVolume resolves the StorageClass's
/// model reference to its manifest digest once and returns a volume whose context pins that digest, so every
/// pod of the claim mounts the same bytes even after the tag moves. The node pulls and caches the model at
/// publish time, which is why DeleteVolume has nothing to free. No attach step (the CSIDriver says
/// attachRequired: false), so only CREATE_DELETE_VOLUME is advertised. The signature policy is checked for the
/// resolved digest, so a claim never binds to a model the nodes would refuse.
/// </summary>
internal sealed class ControllerService(
    RegistryClient registry,
    CredentialResolver credentials,
    ProvisionedVolumes provisioned,
    IHostApplicationLifetime lifetime,
    ILogger<ControllerService> logger,
    IModelSignatureVerifier? verifier = null) : Controller.ControllerBase
{
    public override Task<ControllerGetCapabilitiesResponse> ControllerGetCapabilities(ControllerGetCapabilitiesRequest request, ServerCallContext context)
    {
        var response = new ControllerGetCapabilitiesResponse();
        response.Capabilities.Add(new ControllerServiceCapability
        {
            Rpc = new ControllerServiceCapability.Types.RPC { Type = ControllerServiceCapability.Types.RPC.Types.Type.CreateDeleteVolume },
        });
        return Task.FromResult(response);
    }

    public override async Task<CreateVolumeResponse> CreateVolume(CreateVolumeRequest request, ServerCallContext context)
    {
        const string method = nameof(CreateVolume);
        if (string.IsNullOrWhiteSpace(request.Name))
        {
            throw CsiRequestValidation.Invalid($"{method}: name is required");
        }
        RequireReadOnlyCapabilities(request.VolumeCapabilities, method);
        if (request.VolumeContentSource is not null)
        {
            throw CsiRequestValidation.Invalid($"{method}: volume_content_source is not supported: a model volume is filled from its registry, not from a snapshot or another volume");
        }
        if (request.CapacityRange is { } range && (range.RequiredBytes < 0 || range.LimitBytes < 0))
        {
            throw CsiRequestValidation.Invalid($"{method}: capacity_range must not be negative (required_bytes {range.RequiredBytes}, limit_bytes {range.LimitBytes})");
        }
        CsiRequestValidation.RequireBoundedAttributes(request.Parameters, method, "StorageClass parameters");
        var requested = CsiRequestValidation.ParseModelReference(request.Parameters, method, "StorageClass parameters");
        var selection = CsiRequestValidation.ReadLayerSelection(request.Parameters, method, "StorageClass parameters");
        _ = CsiRequestValidation.ReadPullPolicy(request.Parameters, method, "StorageClass parameters");
        var parameters = new Dictionary<string, string>(request.Parameters, StringComparer.Ordinal);

        if (provisioned.Find(request.Name) is { } existing)
        {
            return new CreateVolumeResponse { Volume = SameOrConflict(existing, parameters, request, method) };
        }

        var resolved = await ResolveAsync(requested, request.Secrets, method, context.CancellationToken);
        var modelBytes = selection is null ? resolved.TotalLayerBytes : SelectedBytes(resolved, selection, requested, method);
        var capacity = CapacityFor(modelBytes, request.CapacityRange, requested, method);
        var pinned = resolved.Reference.WithDigest(resolved.ManifestDigest);
        var pinnedText = $"{pinned.Registry}/{pinned.Repository}@{resolved.ManifestDigest}";

        var volume = new Volume
        {
            VolumeId = ProvisionedVolumes.VolumeIdFor(request.Name),
            CapacityBytes = capacity,
        };
        // The class's own parameters travel on (subPath, for one) except the reference keys, which now pin.
        foreach (var (key, value) in request.Parameters)
        {
            if (key is not VolumeContextKeys.ModelRef and not VolumeContextKeys.ModelReference)
            {
                volume.VolumeContext[key] = value;
            }
        }
        volume.VolumeContext[VolumeContextKeys.ModelRef] = pinnedText;
        volume.VolumeContext[VolumeContextKeys.RequestedReference] = requested;
        volume.VolumeContext[VolumeContextKeys.ModelSize] = modelBytes.ToString(System.Globalization.CultureInfo.InvariantCulture);

        var kept = provisioned.Add(new ProvisionedVolume(request.Name, parameters, volume));
        if (!ReferenceEquals(kept.Volume, volume))
        {
            // A concurrent request of the same name won; answer as a retry of it would be answered.
            return new CreateVolumeResponse { Volume = SameOrConflict(kept, parameters, request, method) };
        }
        Log.VolumeProvisioned(logger, volume.VolumeId, request.Name, requested, pinnedText, modelBytes);
        return new CreateVolumeResponse { Volume = volume };
    }

    public override Task<DeleteVolumeResponse> DeleteVolume(DeleteVolumeRequest request, ServerCallContext context)
    {
        const string method = nameof(DeleteVolume);
        CsiRequestValidation.RequireVolumeId(request.VolumeId, method);
        // Nothing to free here: the bytes live in each node's cache, shared by digest with every other
        // volume of the same model, and the cache evicts them once no published volume uses them.
        provisioned.RemoveVolumeId(request.VolumeId);
        Log.VolumeDeleted(logger, request.VolumeId);
        return Task.FromResult(new DeleteVolumeResponse());
    }

    public override Task<ValidateVolumeCapabilitiesResponse> ValidateVolumeCapabilities(ValidateVolumeCapabilitiesRequest request, ServerCallContext context)
    {
        const string method = nameof(ValidateVolumeCapabilities);
        CsiRequestValidation.RequireVolumeId(request.VolumeId, method);
        if (request.VolumeCapabilities.Count == 0)
        {
            throw CsiRequestValidation.Invalid($"{method}: volume_capabilities is required");
        }
        // Volumes are stateless: one whose context names a model is ours (static PVs included).
        if (!HasModelReference(request.VolumeContext) && !provisioned.ContainsVolumeId(request.VolumeId))
        {
            throw new RpcException(new Status(StatusCode.NotFound, $"{method}: volume {request.VolumeId} is unknown: its volume_context names no model ('{VolumeContextKeys.ModelRef}')"));
        }
        var problem = request.VolumeCapabilities.Select(CsiRequestValidation.MountProblem).FirstOrDefault(p => p is not null);
        if (problem is not null)
        {
            return Task.FromResult(new ValidateVolumeCapabilitiesResponse { Message = problem });
        }
        var confirmed = new ValidateVolumeCapabilitiesResponse.Types.Confirmed();
        confirmed.VolumeCapabilities.Add(request.VolumeCapabilities);
        confirmed.VolumeContext.Add(request.VolumeContext);
        confirmed.Parameters.Add(request.Parameters);
        return Task.FromResult(new ValidateVolumeCapabilitiesResponse { Confirmed = confirmed });
    }

    private static bool HasModelReference(MapField<string, string> context) =>
        !string.IsNullOrWhiteSpace(context.GetValueOrDefault(VolumeContextKeys.ModelRef))
        || !string.IsNullOrWhiteSpace(context.GetValueOrDefault(VolumeContextKeys.ModelReference));

    private static void RequireReadOnlyCapabilities(RepeatedField<VolumeCapability> capabilities, string method)
    {
        if (capabilities.Count == 0)
        {
            throw CsiRequestValidation.Invalid($"{method}: volume_capabilities is required");
        }
        foreach (var capability in capabilities)
        {
            CsiRequestValidation.RequireMountCapability(capability, method);
        }
    }

    /// <summary>
    /// The model's size, raised to what the claim asks: Kubernetes refuses to bind a claim to a volume
    /// smaller than its request, and a read-only model never grows, so the claim's figure is harmless.
    /// </summary>
    private static long CapacityFor(long modelBytes, CapacityRange? range, string reference, string method)
    {
        var required = range?.RequiredBytes ?? 0;
        var limit = range?.LimitBytes ?? 0;
        var capacity = Math.Max(modelBytes, required);
        if (limit > 0 && capacity > limit)
        {
            throw new RpcException(new Status(
                StatusCode.OutOfRange,
                $"{method}: model '{reference}' is {modelBytes} bytes, more than the claim's limit of {limit} bytes"));
        }
        return capacity;
    }

    /// <summary>What the node will download for the selection; a selection of nothing fails here, before any pod waits on it.</summary>
    private static long SelectedBytes(ResolvedModel model, LayerSelection selection, string requested, string method)
    {
        var layers = model.Manifest.Layers.Where(selection.Selects).ToList();
        if (layers.Count == 0)
        {
            throw CsiRequestValidation.Invalid(
                $"{method}: the layer selection ({selection}) in the StorageClass parameters matches no layer of '{requested}' ({model.ManifestDigest})");
        }
        return layers.Sum(l => l.Size);
    }

    private static Volume SameOrConflict(ProvisionedVolume existing, IReadOnlyDictionary<string, string> parameters, CreateVolumeRequest request, string method)
    {
        if (!existing.HasSameParameters(parameters))
        {
            throw new RpcException(new Status(
                StatusCode.AlreadyExists,
                $"{method}: volume {request.Name} already exists for model '{existing.Volume.VolumeContext[VolumeContextKeys.RequestedReference]}' with other parameters"));
        }
        var limit = request.CapacityRange?.LimitBytes ?? 0;
        if (request.CapacityRange?.RequiredBytes > existing.Volume.CapacityBytes || (limit > 0 && existing.Volume.CapacityBytes > limit))
        {
            throw new RpcException(new Status(
                StatusCode.AlreadyExists,
                $"{method}: volume {request.Name} already exists with capacity {existing.Volume.CapacityBytes} bytes, outside the requested range"));
        }
        return existing.Volume;
    }

    private async Task<ResolvedModel> ResolveAsync(string requested, MapField<string, string> secrets, string method, CancellationToken callCancellation)
    {
        using var cancellation = CancellationTokenSource.CreateLinkedTokenSource(callCancellation, lifetime.ApplicationStopping);
        try
        {
            var reference = OciReference.Parse(requested);
            // The provisioner secret (csi.storage.k8s.io/provisioner-secret-name) first, as the node reads its
            // publish secret, then the node-level sources; no pod is involved at provisioning.
            var credential = await credentials.ResolveAsync(
                reference.Registry, CredentialContext.FromVolume(new Dictionary<string, string>(secrets), null), cancellation.Token);
            var repository = registry.Repository(reference, credential);
            var model = await ModelResolver.ResolveAsync(repository, cancellation.Token);
            if (verifier is not null)
            {
                // Enforce refuses by throwing; a failed warn rule is logged and counted by the verifier, and the
                // node warns the pod again when it mounts.
                await verifier.VerifyAsync(repository, reference, model.ManifestDigest, cancellation.Token);
            }

            return model;
        }
        catch (SignaturePolicyViolationException ex)
        {
            throw new RpcException(new Status(StatusCode.PermissionDenied, $"{method}: {ex.Message}"));
        }
        catch (Exception ex) when (RegistryFailure.IsClassified(ex))
        {
            throw RegistryFailure.ToRpcException(method, requested, ex);
        }
    }
}
