using ModelCsi.Core.Oci;

namespace ModelCsi.Core.Cache;

/// <summary>Parsing the <c>pullPolicy</c> attribute and kubelet's default rule.</summary>
public static class PullPolicies
{
    public const string AllowedValues = "IfNotPresent, Always, Never";

    /// <summary>The policy an attribute names; null when the attribute is absent or blank.</summary>
    /// <exception cref="FormatException">Not one of the three values (the message names them, not the whole value).</exception>
    public static PullPolicy? Parse(string? value)
    {
        if (string.IsNullOrWhiteSpace(value))
        {
            return null;
        }

        return Enum.TryParse<PullPolicy>(value.Trim(), ignoreCase: true, out var policy) && Enum.IsDefined(policy) && !int.TryParse(value, out _)
            ? policy
            : throw new FormatException($"pullPolicy must be one of {AllowedValues}");
    }

    /// <summary>kubelet's rule: <c>Always</c> for <c>:latest</c> and for a reference without a tag, <c>IfNotPresent</c> otherwise.</summary>
    public static PullPolicy Effective(PullPolicy? asked, OciReference reference) =>
        asked ?? (reference.Tag is null or "latest" ? PullPolicy.Always : PullPolicy.IfNotPresent);
}
