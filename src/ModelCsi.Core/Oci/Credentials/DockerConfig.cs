using System.Text;
using System.Text.Json;

namespace ModelCsi.Core.Oci.Credentials;

/// <summary>
/// A docker <c>config.json</c> (or legacy <c>.dockercfg</c>) <c>auths</c> map, looked up by registry host
/// the way docker does: keys are reduced to <c>host[:port]</c> (scheme and path such as <c>/v1/</c> dropped),
/// Docker Hub's names (<c>docker.io</c>, <c>index.docker.io</c>, <c>registry-1.docker.io</c>) are one host,
/// and, as the kubelet allows, <c>*.example.com</c> keys match subdomains. Exact keys win over wildcards.
/// </summary>
public sealed class DockerConfig
{
    private readonly Dictionary<string, Entry> _entries;

    private DockerConfig(Dictionary<string, Entry> entries) => _entries = entries;

    public static DockerConfig Empty { get; } = new(new Dictionary<string, Entry>(StringComparer.OrdinalIgnoreCase));

    /// <summary>Normalized hosts that have an entry.</summary>
    public IReadOnlyCollection<string> Hosts => _entries.Keys;

    /// <summary>Parses a config; throws <see cref="FormatException"/> without quoting any of its content.</summary>
    public static DockerConfig Parse(ReadOnlySpan<byte> json)
    {
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(json.ToArray(), new JsonDocumentOptions { AllowTrailingCommas = true, CommentHandling = JsonCommentHandling.Skip });
        }
        catch (JsonException e)
        {
            // JsonException's message carries no content, only the position.
            throw new FormatException($"not valid JSON (line {e.LineNumber + 1})", e);
        }

        using (document)
        {
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
            {
                throw new FormatException("not a JSON object");
            }

            // config.json nests the map under "auths"; the legacy .dockercfg is the map itself.
            var auths = root.TryGetProperty("auths", out var nested) ? nested : root;
            var entries = new Dictionary<string, Entry>(StringComparer.OrdinalIgnoreCase);
            if (auths.ValueKind != JsonValueKind.Object)
            {
                return new DockerConfig(entries);
            }

            foreach (var property in auths.EnumerateObject())
            {
                if (property.Value.ValueKind != JsonValueKind.Object)
                {
                    continue;
                }

                var entry = ParseEntry(property.Name, property.Value);
                if (entry is not null)
                {
                    entries.TryAdd(NormalizeHost(property.Name), entry);
                }
            }

            return new DockerConfig(entries);
        }
    }

    public static DockerConfig Parse(string json) => Parse(Encoding.UTF8.GetBytes(json));

    /// <summary>The credential for <paramref name="registry"/> (<c>host[:port]</c> as in references), or null.</summary>
    public RegistryCredential? Find(string registry, string source)
    {
        var host = NormalizeHost(registry);
        if (_entries.TryGetValue(host, out var exact))
        {
            return exact.ToCredential(source);
        }

        foreach (var (key, entry) in _entries)
        {
            if (key.StartsWith("*.", StringComparison.Ordinal) && MatchesWildcard(key, host))
            {
                return entry.ToCredential(source);
            }
        }

        return null;
    }

    /// <summary><c>https://index.docker.io/v1/</c> to <c>docker.io</c>, <c>http://host:5000/path</c> to <c>host:5000</c>.</summary>
    public static string NormalizeHost(string key)
    {
        var host = key.Trim();
        var scheme = host.IndexOf("://", StringComparison.Ordinal);
        if (scheme >= 0)
        {
            host = host[(scheme + 3)..];
        }

        var slash = host.IndexOf('/', StringComparison.Ordinal);
        if (slash >= 0)
        {
            host = host[..slash];
        }

        host = host.ToLowerInvariant();
        return host is "index.docker.io" or "registry-1.docker.io" or "registry.hub.docker.com" ? OciReference.DockerHub : host;
    }

    private static bool MatchesWildcard(string pattern, string host)
    {
        // The wildcard stands for one DNS label, and ports must agree.
        var (patternName, patternPort) = SplitPort(pattern[2..]);
        var (hostName, hostPort) = SplitPort(host);
        if (patternPort != hostPort || !hostName.EndsWith("." + patternName, StringComparison.Ordinal))
        {
            return false;
        }

        var label = hostName[..^(patternName.Length + 1)];
        return label.Length > 0 && !label.Contains('.', StringComparison.Ordinal);
    }

    private static (string Name, string? Port) SplitPort(string host)
    {
        var colon = host.LastIndexOf(':');
        return colon > 0 && !host.EndsWith(']') ? (host[..colon], host[(colon + 1)..]) : (host, null);
    }

    private static Entry? ParseEntry(string key, JsonElement element)
    {
        string? username = Text(element, "username");
        string? password = Text(element, "password");
        if (Text(element, "auth") is { Length: > 0 } auth)
        {
            string decoded;
            try
            {
                decoded = Encoding.UTF8.GetString(Convert.FromBase64String(auth));
            }
            catch (FormatException e)
            {
                throw new FormatException($"the 'auth' of '{NormalizeHost(key)}' is not base64", e);
            }

            var colon = decoded.IndexOf(':', StringComparison.Ordinal);
            if (colon < 0)
            {
                throw new FormatException($"the 'auth' of '{NormalizeHost(key)}' is not base64 of user:password");
            }

            username = decoded[..colon];
            password = decoded[(colon + 1)..];
        }

        var entry = new Entry(username, password, Text(element, "identitytoken"), Text(element, "registrytoken"));
        return entry.IsEmpty ? null : entry;
    }

    private static string? Text(JsonElement element, string name) =>
        element.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String && value.GetString() is { Length: > 0 } text ? text : null;

    private sealed record Entry(string? Username, string? Password, string? IdentityToken, string? RegistryToken)
    {
        public bool IsEmpty => IdentityToken is null && RegistryToken is null && (Username is null || Password is null);

        public RegistryCredential ToCredential(string source) => RegistryToken is not null
            ? new RegistryCredential { RegistryToken = RegistryToken, Source = source }
            : IdentityToken is not null
                // docker writes the username "<token>" next to an identity token; it is not a login.
                ? new RegistryCredential { IdentityToken = IdentityToken, Source = source }
                : RegistryCredential.Basic(Username!, Password!, source);

        public override string ToString() => $"docker auth entry for '{Username}'";
    }
}
