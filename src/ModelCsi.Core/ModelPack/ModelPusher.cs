using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using ModelCsi.Core.Oci;

namespace ModelCsi.Core.ModelPack;

/// <summary>
/// Pushes a <see cref="PackedModel"/>: layer blobs in parallel (each skipped when the registry already has
/// it), then the config blob, then the manifest under the reference's tag. The manifest goes last so a
/// tag never points at an artifact whose blobs are missing.
/// </summary>
public sealed class ModelPusher(ILogger<ModelPusher>? logger = null)
{
    private readonly ILogger _logger = logger ?? NullLogger<ModelPusher>.Instance;

    /// <summary>Blobs uploaded at the same time.</summary>
    public int MaxParallelBlobs { get; init; } = 4;

    /// <param name="repository">The target repository; the manifest is pushed under its reference's tag (or digest).</param>
    public async Task<PushResult> PushAsync(
        RepositoryClient repository, PackedModel model, IProgress<TransferProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(repository);
        ArgumentNullException.ThrowIfNull(model);
        var reference = repository.Reference;
        if (reference.Digest is { } pinned && pinned != model.ManifestDigest)
        {
            throw new ArgumentException($"{reference} names digest {pinned}, but the packed manifest is {model.ManifestDigest}", nameof(repository));
        }

        var layerBytes = model.Layers.Sum(layer => layer.Descriptor.Size);
        var tally = new TransferTally(layerBytes, model.Layers.Count, progress);
        var uploaded = 0;
        var skipped = 0;
        long bytesUploaded = 0;
        tally.Start();
        var parallel = new ParallelOptions { MaxDegreeOfParallelism = MaxParallelBlobs, CancellationToken = cancellationToken };
        // Two files with the same bytes give one blob; upload it once.
        var blobs = model.Layers.DistinctBy(layer => layer.Descriptor.Digest).ToList();
        var duplicates = model.Layers.Count - blobs.Count;
        await Parallel.ForEachAsync(blobs, parallel, async (layer, token) =>
        {
            long sent = 0;
            bool pushed;
            await using (var content = new CountingReadStream(layer.Open(), count =>
            {
                sent += count;
                tally.AddBytes(count);
            }))
            {
                pushed = await repository.PushBlobAsync(layer.Descriptor, content, token);
            }

            Interlocked.Increment(ref pushed ? ref uploaded : ref skipped);
            Interlocked.Add(ref bytesUploaded, sent);
            tally.CompleteLayer(layer.Descriptor, layer.Descriptor.Size - sent);
        });

        foreach (var duplicate in model.Layers.Except(blobs))
        {
            tally.CompleteLayer(duplicate.Descriptor, duplicate.Descriptor.Size);
        }

        await using (var config = new MemoryStream(model.ConfigBytes, writable: false))
        {
            if (await repository.PushBlobAsync(model.Manifest.Config, config, cancellationToken))
            {
                uploaded++;
            }
            else
            {
                skipped++;
            }
        }

        var mediaType = model.Manifest.MediaType ?? OciMediaTypes.ImageManifest;
        var digest = await repository.PushManifestAsync(reference.TagOrDigest, mediaType, model.ManifestBytes, cancellationToken);
        if (digest != model.ManifestDigest)
        {
            throw new DigestMismatchException(model.ManifestDigest, model.ManifestBytes.LongLength, digest, model.ManifestBytes.LongLength, $"push of {reference}");
        }

        Log.PushCompleted(_logger, reference.ToString(), digest, uploaded, skipped + duplicates, bytesUploaded);
        return new PushResult(digest, reference.TagOrDigest, model.Layers.Count, layerBytes, uploaded, skipped + duplicates, bytesUploaded);
    }
}
