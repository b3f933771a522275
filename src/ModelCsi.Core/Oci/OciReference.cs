using System.Diagnostics.CodeAnalysis;
using System.Text.RegularExpressions;

namespace ModelCsi.Core.Oci;

/// <summary>
/// A parsed image reference (<c>[registry/]repository[:tag][@digest]</c>) normalised the way Docker does:
/// <c>docker.io</c> when no registry is named, <c>library/</c> for single-component Docker Hub names,
/// tag <c>latest</c> when neither tag nor digest is given. When both are given both are kept and the
/// digest is what gets pulled.
/// </summary>
public sealed partial record OciReference
{
    public const string DockerHub = "docker.io";
    public const string DefaultTag = "latest";

    /// <summary>Longest reference string looked at; the longest valid one (name, tag and digest) is under 500.</summary>
    public const int MaxLength = 4096;

    // A whole valid reference fits; anything longer is cut in error messages.
    private const int MaxEchoedLength = 512;

    private const int MaxNameLength = 255;
    private const int MaxTagLength = 128;

    private OciReference(string registry, string repository, string? tag, string? digest)
    {
        Registry = registry;
        Repository = repository;
        Tag = tag;
        Digest = digest;
    }

    /// <summary>Registry host with optional port as written, e.g. <c>ghcr.io</c> or <c>127.0.0.1:5000</c>.</summary>
    public string Registry { get; }

    /// <summary>Repository path inside the registry, e.g. <c>library/ubuntu</c>.</summary>
    public string Repository { get; }

    public string? Tag { get; }

    public string? Digest { get; }

    /// <summary>What to ask the registry for: the digest when there is one, else the tag.</summary>
    public string TagOrDigest => Digest ?? Tag ?? DefaultTag;

    /// <summary>The host to connect to: Docker Hub's API lives on <c>registry-1.docker.io</c>.</summary>
    public string RegistryEndpoint => Registry == DockerHub ? "registry-1.docker.io" : Registry;

    /// <summary>The registry host without its port (brackets of an IPv6 literal removed).</summary>
    public string RegistryHostName
    {
        get
        {
            if (Registry.StartsWith('['))
            {
                return Registry[1..Registry.IndexOf(']', StringComparison.Ordinal)];
            }

            var colon = Registry.LastIndexOf(':');
            return colon < 0 ? Registry : Registry[..colon];
        }
    }

    public OciReference WithDigest(string digest)
    {
        if (!Oci.Digest.IsValidSha256(digest))
        {
            throw new ReferenceFormatException($"{this}@{Echo(digest)}", $"digest '{Echo(digest)}' is not sha256:<64 lowercase hex>");
        }

        return new OciReference(Registry, Repository, Tag, digest);
    }

    public OciReference WithTag(string tag)
    {
        var problem = TagProblem(tag);
        return problem is null
            ? new OciReference(Registry, Repository, tag, null)
            : throw new ReferenceFormatException($"{Registry}/{Repository}:{Echo(tag)}", problem);
    }

    public override string ToString() =>
        $"{Registry}/{Repository}{(Tag is null ? "" : ":" + Tag)}{(Digest is null ? "" : "@" + Digest)}";

    public static OciReference Parse(string reference) =>
        TryParseCore(reference, out var parsed, out var problem)
            ? parsed
            : throw new ReferenceFormatException(ModelPack.ValueExcerpt.Of(reference, MaxEchoedLength), problem);

    public static bool TryParse(string? reference, [NotNullWhen(true)] out OciReference? parsed) =>
        TryParseCore(reference, out parsed, out _);

    private static bool TryParseCore(string? reference, [NotNullWhen(true)] out OciReference? parsed, out string problem)
    {
        parsed = null;
        if (string.IsNullOrWhiteSpace(reference))
        {
            problem = "the reference is empty";
            return false;
        }

        // Bounded first: everything below is linear in the length, and errors must not echo megabytes.
        if (reference.Length > MaxLength)
        {
            problem = $"it is {reference.Length} characters long (at most {MaxLength} allowed)";
            return false;
        }

        if (reference.Any(char.IsWhiteSpace))
        {
            problem = "it contains whitespace";
            return false;
        }

        if (reference.Any(char.IsControl))
        {
            problem = "it contains control characters";
            return false;
        }

        var rest = reference;
        string? digest = null;
        var at = rest.IndexOf('@', StringComparison.Ordinal);
        if (at >= 0)
        {
            digest = rest[(at + 1)..];
            rest = rest[..at];
            if (!Oci.Digest.IsValidSha256(digest))
            {
                problem = digest.StartsWith(Oci.Digest.Sha256Prefix, StringComparison.Ordinal) || !digest.Contains(':', StringComparison.Ordinal)
                    ? $"digest '{Echo(digest)}' is not sha256:<64 lowercase hex>"
                    : $"digest '{Echo(digest)}' uses an unsupported algorithm (only sha256 is supported)";
                return false;
            }
        }

        string? tag = null;
        var lastColon = rest.LastIndexOf(':');
        if (lastColon > rest.LastIndexOf('/'))
        {
            tag = rest[(lastColon + 1)..];
            rest = rest[..lastColon];
            if (TagProblem(tag) is { } tagProblem)
            {
                problem = tagProblem;
                return false;
            }
        }

        if (rest.Length == 0)
        {
            problem = "the repository name is empty";
            return false;
        }

        // The normalised name only grows from here (docker.io/, library/), so this is checked again below.
        if (rest.Length > MaxNameLength)
        {
            problem = $"the name is longer than {MaxNameLength} characters";
            return false;
        }

        string registry;
        string repository;
        var slash = rest.IndexOf('/', StringComparison.Ordinal);
        var first = slash < 0 ? null : rest[..slash];
        // Docker's rule: the first component names a registry only if it looks like a host.
        if (first is not null && (first.Contains('.', StringComparison.Ordinal) || first.Contains(':', StringComparison.Ordinal)
                || first == "localhost" || first.Any(char.IsUpper)))
        {
            registry = first;
            repository = rest[(slash + 1)..];
            if (RegistryProblem(registry) is { } registryProblem)
            {
                problem = registryProblem;
                return false;
            }

            if (registry == "index.docker.io")
            {
                registry = DockerHub;
            }
        }
        else
        {
            registry = DockerHub;
            repository = rest;
        }

        if (registry == DockerHub && !repository.Contains('/', StringComparison.Ordinal))
        {
            repository = "library/" + repository;
        }

        if (RepositoryProblem(repository) is { } repositoryProblem)
        {
            problem = repositoryProblem;
            return false;
        }

        if (registry.Length + 1 + repository.Length > MaxNameLength)
        {
            problem = $"the name is longer than {MaxNameLength} characters";
            return false;
        }

        if (tag is null && digest is null)
        {
            tag = DefaultTag;
        }

        parsed = new OciReference(registry, repository, tag, digest);
        problem = "";
        return true;
    }

    private static string? TagProblem(string tag)
    {
        if (tag.Length == 0)
        {
            return "the tag after ':' is empty";
        }

        if (tag.Length > MaxTagLength)
        {
            return $"the tag is {tag.Length} characters long (at most {MaxTagLength} allowed)";
        }

        return TagPattern().IsMatch(tag)
            ? null
            : $"tag '{Echo(tag)}' may only contain letters, digits, '_', '.' and '-' and must not start with '.' or '-'";
    }

    private static string? RegistryProblem(string registry)
    {
        var host = registry;
        string? port = null;
        if (registry.StartsWith('['))
        {
            var close = registry.IndexOf(']', StringComparison.Ordinal);
            if (close < 0 || !Ipv6Pattern().IsMatch(registry[1..close]))
            {
                return $"registry '{Echo(registry)}' is not a valid IPv6 literal";
            }

            host = null;
            var after = registry[(close + 1)..];
            if (after.Length > 0)
            {
                if (!after.StartsWith(':'))
                {
                    return $"registry '{Echo(registry)}' has characters after the IPv6 literal";
                }

                port = after[1..];
            }
        }
        else
        {
            var colon = registry.IndexOf(':', StringComparison.Ordinal);
            if (colon >= 0)
            {
                host = registry[..colon];
                port = registry[(colon + 1)..];
            }
        }

        if (host is not null && !HostPattern().IsMatch(host))
        {
            return $"registry host '{Echo(host)}' is not a valid host name";
        }

        if (port is not null && (!int.TryParse(port, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var number)
                || number is < 1 or > 65535))
        {
            return $"registry port '{Echo(port)}' is not a number between 1 and 65535";
        }

        return null;
    }

    private static string? RepositoryProblem(string repository)
    {
        if (repository.Length == 0)
        {
            return "the repository name is empty";
        }

        foreach (var component in repository.Split('/'))
        {
            if (component.Length == 0)
            {
                return $"repository '{Echo(repository)}' has an empty path component";
            }

            if (component.Any(char.IsUpper))
            {
                return $"repository '{Echo(repository)}' must be lowercase";
            }

            if (!PathComponentPattern().IsMatch(component))
            {
                return $"repository path component '{Echo(component)}' must be lowercase letters and digits separated by '.', '_', '__' or '-'";
            }
        }

        return null;
    }

    private static string Echo(string part) => ModelPack.ValueExcerpt.Of(part);

    [GeneratedRegex(@"^[A-Za-z0-9_][A-Za-z0-9_.-]*$", RegexOptions.CultureInvariant)]
    private static partial Regex TagPattern();

    [GeneratedRegex(@"^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$", RegexOptions.CultureInvariant)]
    private static partial Regex PathComponentPattern();

    [GeneratedRegex(@"^(?:[A-Za-z0-9]|[A-Za-z0-9][A-Za-z0-9-]*[A-Za-z0-9])(?:\.(?:[A-Za-z0-9]|[A-Za-z0-9][A-Za-z0-9-]*[A-Za-z0-9]))*$", RegexOptions.CultureInvariant)]
    private static partial Regex HostPattern();

    [GeneratedRegex(@"^[A-Fa-f0-9:]+$", RegexOptions.CultureInvariant)]
    private static partial Regex Ipv6Pattern();
}
