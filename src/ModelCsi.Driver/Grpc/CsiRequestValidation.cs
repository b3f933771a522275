using ModelCsi.Core.Cache;
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
    // CSI leaves sizes to the plugin; these keep every field far below gRPC's header and message limits, so an
    // error that names a field never grows past what a client can receive.
    public const int MaxVolumeIdLength = 256;
    public const int MaxPathLength = 4096;
    public const int MaxAttributeValueLength = 64 * 1024;
    public const int MaxAttributesLength = 256 * 1024;
    private const int ShownChars = 64;

    public static void RequireVolumeId(string volumeId, string method)
    {
        if (string.IsNullOrWhiteSpace(volumeId))
        {
            throw Invalid($"{method}: volume_id is required");
        }
        if (volumeId.Length > MaxVolumeIdLength || volumeId.Any(char.IsControl))
        {
            throw Invalid($"{method}: volume_id '{Shown(volumeId)}' must be at most {MaxVolumeIdLength} characters without control characters");
        }
    }

    public static void RequirePath(string path, string field, string method)
    {
        if (string.IsNullOrWhiteSpace(path))
        {
            throw Invalid($"{method}: {field} is required");
        }
        if (path.Length > MaxPathLength || path.Any(char.IsControl))
        {
            throw Invalid($"{method}: {field} '{Shown(path)}' must be at most {MaxPathLength} characters without control characters");
        }
        if (!Path.IsPathFullyQualified(path))
        {
            throw Invalid($"{method}: {field} '{Shown(path)}' must be an absolute path");
        }
    }

    /// <summary>
    /// A target must lie under kubelet's directory (given normalised): the driver never mounts over, or unmounts,
    /// anything else on the host whatever a request says.
    /// </summary>
    public static void RequireUnderKubeletDir(string target, string kubeletDir, string method)
    {
        var root = Path.TrimEndingDirectorySeparator(Path.GetFullPath(kubeletDir));
        if (!target.StartsWith(root + "/", StringComparison.Ordinal))
        {
            throw Invalid($"{method}: target_path '{Shown(target)}' is not under the kubelet directory {root}");
        }
    }

    /// <summary>Attribute sizes are bounded before anything parses them; the message never echoes a whole value.</summary>
    public static void RequireBoundedAttributes(MapField<string, string> attributes, string method, string where = "volume_context")
    {
        long total = 0;
        foreach (var (key, value) in attributes)
        {
            total += key.Length + value.Length;
            if (value.Length > MaxAttributeValueLength || key.Length > MaxAttributeValueLength)
            {
                throw Invalid($"{method}: {where} '{Shown(key)}' is {value.Length} characters, more than the {MaxAttributeValueLength} allowed");
            }
        }
        if (total > MaxAttributesLength)
        {
            throw Invalid($"{method}: {where} holds {total} characters, more than the {MaxAttributesLength} allowed");
        }
    }

    /// <summary>The start of a value, with control characters escaped, for error messages.</summary>
    public static string Shown(string value) => Escaped(value, ShownChars);

    /// <summary>A value for a log line: control characters escaped (no forged lines), bounded to <paramref name="max"/> characters.</summary>
    public static string Escaped(string value, int max = MaxPathLength)
    {
        var head = value.Length > max ? value[..max] + $"…({value.Length} chars)" : value;
        return string.Concat(head.Select(c => char.IsControl(c) ? $"\\x{(int)c:x2}" : c.ToString()));
    }

    /// <summary>
    /// Any mount access mode is accepted, writer modes included: kubelet asks SINGLE_NODE_WRITER for every inline
    /// volume, and PVCs default to ReadWriteOnce. The mount is read-only whatever was asked; a model is immutable.
    /// Block access is refused: a model is a directory.
    /// </summary>
    public static void RequireMountCapability(VolumeCapability? capability, string method)
    {
        if (capability is null)
        {
            throw Invalid($"{method}: volume_capability is required");
        }
        if (MountProblem(capability) is { } problem)
        {
            throw Invalid($"{method}: {problem}");
        }
    }

    /// <summary>Why the capability cannot be served, or null when it can.</summary>
    public static string? MountProblem(VolumeCapability capability)
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
        if (capability.AccessMode.Mode == VolumeCapability.Types.AccessMode.Types.Mode.Unknown)
        {
            return "access mode Unknown is not supported: set a reader or writer mode (the mount is read-only either way)";
        }
        return null;
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

    /// <summary>The pull policy the attributes ask for; null for kubelet's default rule.</summary>
    public static PullPolicy? ReadPullPolicy(MapField<string, string> attributes, string method, string where = "volume_context")
    {
        try
        {
            return PullPolicies.Parse(attributes.GetValueOrDefault(VolumeContextKeys.PullPolicy));
        }
        catch (FormatException)
        {
            throw Invalid($"{method}: {where} {VolumeContextKeys.PullPolicy} '{Shown(attributes[VolumeContextKeys.PullPolicy])}' must be one of {PullPolicies.AllowedValues}");
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
