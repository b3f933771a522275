using ModelCsi.Core.ModelPack;
using ModelCsi.Core.Oci;

namespace ModelCsi.TestSupport;

/// <summary>Makes model directories and pushes them to a test registry as ModelPack artifacts.</summary>
public static class TestModels
{
    /// <summary>Writes files (relative path -> content) under a new directory inside <paramref name="parent"/>.</summary>
    public static string WriteDirectory(string parent, IReadOnlyDictionary<string, byte[]> files)
    {
        var dir = Path.Combine(parent, "src-" + Guid.NewGuid().ToString("N")[..8]);
        foreach (var (relative, content) in files)
        {
            var path = Path.Combine(dir, relative);
            Directory.CreateDirectory(Path.GetDirectoryName(path)!);
            File.WriteAllBytes(path, content);
        }

        return dir;
    }

    /// <summary>Packs a directory and pushes it under <c>registry/repository:tag</c>; returns what was pushed.</summary>
    public static async Task<PackedModel> PushAsync(string registryHost, string repository, string tag, string sourceDirectory, PackOptions? options = null, RegistryCredential? credential = null)
    {
        var work = Path.Combine(Path.GetTempPath(), "modelcsi-pack-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(work);
        try
        {
            var packed = await new ModelPacker().PackAsync(sourceDirectory, work, options);
            using var client = new RegistryClient(OciTestContent.QuickRetries());
            var repo = client.Repository(OciReference.Parse($"{registryHost}/{repository}:{tag}"), credential);
            foreach (var layer in packed.Layers)
            {
                await using var content = layer.Open();
                await repo.PushBlobAsync(layer.Descriptor, content);
            }

            await using (var config = new MemoryStream(packed.ConfigBytes))
            {
                await repo.PushBlobAsync(packed.Manifest.Config, config);
            }

            await repo.PushManifestAsync(tag, OciMediaTypes.ImageManifest, packed.ManifestBytes);
            return packed;
        }
        finally
        {
            Directory.Delete(work, recursive: true);
        }
    }

    /// <summary>Overwrites a blob's bytes inside the registry's storage (same length), so it is served corrupted.</summary>
    public static void CorruptBlobInStorage(RegistryProcess registry, string digest)
    {
        var hex = Digest.Hex(digest);
        var data = Path.Combine(registry.StoragePath, "docker", "registry", "v2", "blobs", "sha256", hex[..2], hex, "data");
        var bytes = File.ReadAllBytes(data);
        bytes[bytes.Length / 2] ^= 0xFF;
        File.WriteAllBytes(data, bytes);
    }
}
