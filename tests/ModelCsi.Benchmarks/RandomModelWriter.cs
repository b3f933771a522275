namespace ModelCsi.Benchmarks;

/// <summary>
/// Writes model content quickly from seeded random bytes: incompressible weight files (like real
/// weights), half-compressible files for the gzip/zstd forms, and trees of many small files.
/// </summary>
public static class RandomModelWriter
{
    private const int BlockSize = 4 << 20;

    /// <summary>Writes <paramref name="files"/> weight files of equal size under <c>weights/</c>, plus a config.json.</summary>
    public static async Task WriteWeightsAsync(string directory, int files, long totalBytes, bool compressible, int seed, CancellationToken cancellationToken = default)
    {
        Directory.CreateDirectory(Path.Combine(directory, "weights"));
        await File.WriteAllTextAsync(Path.Combine(directory, "config.json"), "{\"model_type\": \"bench\", \"torch_dtype\": \"bfloat16\"}\n", cancellationToken);
        var perFile = totalBytes / files;
        var block = new byte[BlockSize];
        var random = new Random(seed);
        for (var f = 0; f < files; f++)
        {
            var path = Path.Combine(directory, "weights", $"model-{f + 1:D5}-of-{files:D5}.safetensors");
            await using var output = new FileStream(path, FileMode.Create, FileAccess.Write, FileShare.None, 1, FileOptions.Asynchronous);
            for (long written = 0; written < perFile;)
            {
                random.NextBytes(block);
                if (compressible)
                {
                    // Every other 64 bytes zeroed: gzip and zstd get about 2:1, so decompression is real work.
                    for (var i = 64; i < block.Length; i += 128)
                    {
                        Array.Clear(block, i, 64);
                    }
                }

                var count = (int)Math.Min(BlockSize, perFile - written);
                await output.WriteAsync(block.AsMemory(0, count), cancellationToken);
                written += count;
            }
        }
    }

    /// <summary>Writes <paramref name="count"/> files of 1–8 KiB under <c>files/dNNN/</c> (100 per directory); returns their total bytes.</summary>
    public static long WriteSmallFiles(string directory, int count, int seed)
    {
        var random = new Random(seed);
        var buffer = new byte[8192];
        long total = 0;
        for (var i = 0; i < count; i++)
        {
            var dir = Path.Combine(directory, "files", $"d{i / 100:D4}");
            if (i % 100 == 0)
            {
                Directory.CreateDirectory(dir);
            }

            var size = random.Next(1024, 8193);
            random.NextBytes(buffer.AsSpan(0, size));
            File.WriteAllBytes(Path.Combine(dir, $"f{i:D6}.txt"), buffer.AsSpan(0, size).ToArray());
            total += size;
        }

        return total;
    }
}
