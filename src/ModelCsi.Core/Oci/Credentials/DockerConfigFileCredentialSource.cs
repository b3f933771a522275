using Microsoft.Extensions.Logging;

namespace ModelCsi.Core.Oci.Credentials;

/// <summary>
/// Docker <c>config.json</c> files on the node, in order (the kubelet's, then root's by default). Each file
/// is parsed again only when its modification time or size changes; a missing file is skipped.
/// </summary>
public sealed class DockerConfigFileCredentialSource : ICredentialSource
{
    public static readonly IReadOnlyList<string> DefaultPaths = ["/var/lib/kubelet/config.json", "/root/.docker/config.json"];

    private readonly IReadOnlyList<string> _paths;
    private readonly ILogger<DockerConfigFileCredentialSource> _logger;
    private readonly Lock _lock = new();
    private readonly Dictionary<string, (DateTime Modified, long Length, DockerConfig Config)> _loaded = new(StringComparer.Ordinal);

    public DockerConfigFileCredentialSource(IEnumerable<string> paths, ILogger<DockerConfigFileCredentialSource> logger)
    {
        ArgumentNullException.ThrowIfNull(paths);
        _paths = [.. paths];
        _logger = logger;
    }

    public string Name => "node docker config";

    public Task<RegistryCredential?> GetAsync(string registry, CredentialContext context, CancellationToken cancellationToken = default)
    {
        foreach (var path in _paths)
        {
            if (Load(path).Find(registry, $"docker config {path}") is { } credential)
            {
                return Task.FromResult<RegistryCredential?>(credential);
            }
        }

        return Task.FromResult<RegistryCredential?>(null);
    }

    private DockerConfig Load(string path)
    {
        var file = new FileInfo(path);
        if (!file.Exists)
        {
            return DockerConfig.Empty;
        }

        lock (_lock)
        {
            if (_loaded.TryGetValue(path, out var loaded) && loaded.Modified == file.LastWriteTimeUtc && loaded.Length == file.Length)
            {
                return loaded.Config;
            }

            DockerConfig config;
            try
            {
                config = DockerConfig.Parse(File.ReadAllBytes(path));
                Log.DockerConfigLoaded(_logger, path, config.Hosts.Count);
            }
            catch (Exception e) when (e is FormatException or IOException or UnauthorizedAccessException)
            {
                Log.DockerConfigUnreadable(_logger, path, e.Message);
                config = DockerConfig.Empty;
            }

            _loaded[path] = (file.LastWriteTimeUtc, file.Length, config);
            return config;
        }
    }
}
