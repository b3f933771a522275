using Csi.V1;
using Google.Protobuf.Collections;
using Grpc.Core;
using ModelCsi.Core.ModelPack;
using ModelCsi.Core.Oci;
using ModelCsi.Core.State;

namespace ModelCsi.Driver.Grpc;

/// <summary>Argument guards for CSI requests; each failure is an InvalidArgument naming the field.</summary>
internal static class CsiRequestValidation
{
    public static void RequireVolumeId(string volumeId, string method)
    {
        if (string.IsNullOrWhiteSpace(volumeId))
        {
            throw Invalid($"{method}: volume_id is required");
        }
    }

    public static void RequirePath(string path, string field, string method)
    {
        if (string.IsNullOrWhiteSpace(path))
        {
            throw Invalid($"{method}: {field} is required");
        }
        if (!Path.IsPathFullyQualified(path) || path.Contains('\0', StringComparison.Ordinal))
        {
            throw Invalid($"{method}: {field} '{path}' must be an absolute path");
        }
    }

    /// <summary>Models are only ever served read-only through the filesystem API.</summary>
    /// <param name="ephemeral">
    /// kubelet publishes every inline (ephemeral) CSI volume with SINGLE_NODE_WRITER whatever the pod
    /// asks (it hard-codes ReadWriteOnce for them), so for those that one mode is accepted: the mount
    /// is read-only all the same. Persistent volumes carry the admin's chosen modes and must be readers.
    /// </param>
    public static void RequireReadOnlyMountCapability(VolumeCapability? capability, string method, bool ephemeral = false)
    {
        if (capability is null)
        {
            throw Invalid($"{method}: volume_capability is required");
        }
        if (ephemeral
            && capability.AccessTypeCase == VolumeCapability.AccessTypeOneofCase.Mount
            && capability.AccessMode?.Mode == VolumeCapability.Types.AccessMode.Types.Mode.SingleNodeWriter)
        {
            return;
        }
        if (ReadOnlyMountProblem(capability) is { } problem)
        {
            throw Invalid($"{method}: {problem}");
        }
    }

    /// <summary>Why the capability cannot be served, or null when it can.</summary>
    public static string? ReadOnlyMountProblem(VolumeCapability capability)
    {
        if (capability.AccessTypeCase == VolumeCapability.AccessTypeOneofCase.Block)
        {
            return "block access is not supported: a model is a directory, request a mount volume";
        }
        if (capability.AccessTypeCase != VolumeCapability.AccessTypeOneofCase.Mount)
        {
            return "volume_capability.access_type is required (mount)";
        }
        if (capability.AccessMode is null)
        {
            return "volume_capability.access_mode is required";
        }
        return capability.AccessMode.Mode is VolumeCapability.Types.AccessMode.Types.Mode.SingleNodeReaderOnly
            or VolumeCapability.Types.AccessMode.Types.Mode.MultiNodeReaderOnly
            ? null
            : $"access mode {capability.AccessMode.Mode} is not supported: model volumes are read-only (use ReadOnlyMany or a reader-only mode)";
    }

    public static string RequireModelReference(MapField<string, string> volumeContext, string method, string where = "volume_context")
    {
        var reference = volumeContext.GetValueOrDefault(VolumeContextKeys.ModelRef);
        if (string.IsNullOrWhiteSpace(reference))
        {
            reference = volumeContext.GetValueOrDefault(VolumeContextKeys.ModelReference);
        }
        if (string.IsNullOrWhiteSpace(reference))
        {
            throw Invalid($"{method}: {where} has no model reference; set '{VolumeContextKeys.ModelRef}' (or '{VolumeContextKeys.ModelReference}') to e.g. registry.example.com/models/llama:1.0");
        }
        return reference.Trim();
    }

    /// <summary>The model reference of the attributes, checked to parse; InvalidArgument naming the key when it does not.</summary>
    public static string ParseModelReference(MapField<string, string> volumeContext, string method, string where = "volume_context")
    {
        var reference = RequireModelReference(volumeContext, method, where);
        try
        {
            _ = OciReference.Parse(reference);
            return reference;
        }
        catch (ReferenceFormatException e)
        {
            throw Invalid($"{method}: {where} {VolumeContextKeys.ModelRef}: {e.Message}");
        }
    }

    /// <summary>The layer selection the attributes ask for (see <see cref="LayerSelection.FromAttributes"/>); null for the whole model.</summary>
    public static LayerSelection? ReadLayerSelection(MapField<string, string> attributes, string method, string where = "volume_context")
    {
        try
        {
            return LayerSelection.FromAttributes(attributes);
        }
        catch (FormatException e)
        {
            throw Invalid($"{method}: {where}: {e.Message}");
        }
    }

    public static PodInfo ReadPodInfo(MapField<string, string> volumeContext) => new()
    {
        Name = volumeContext.GetValueOrDefault(VolumeContextKeys.PodName),
        Namespace = volumeContext.GetValueOrDefault(VolumeContextKeys.PodNamespace),
        Uid = volumeContext.GetValueOrDefault(VolumeContextKeys.PodUid),
        ServiceAccountName = volumeContext.GetValueOrDefault(VolumeContextKeys.ServiceAccountName),
        Ephemeral = string.Equals(volumeContext.GetValueOrDefault(VolumeContextKeys.Ephemeral), "true", StringComparison.OrdinalIgnoreCase),
    };

    public static RpcException Invalid(string message) => new(new Status(StatusCode.InvalidArgument, message));
}
