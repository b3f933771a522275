namespace ModelCsi.Benchmarks;

/// <summary>
/// Writes a model directory of incompressible weight files quickly: one block of seeded random bytes per
/// file, repeated, with each block's first bytes stamped with its position so no two blocks are equal.
/// </summary>
public static class RandomModelWriter
{
    private const int BlockSize = 8 << 20;

    /// <returns>The weight files' paths.</returns>
    public static async Task<IReadOnlyList<string>> WriteAsync(string directory, int files, long totalBytes, CancellationToken cancellationToken = default)
    {
        Directory.CreateDirectory(Path.Combine(directory, "weights"));
        await File.WriteAllTextAsync(Path.Combine(directory, "config.json"), "{\"model_type\": \"bench\", \"torch_dtype\": \"bfloat16\"}\n", cancellationToken);
        var perFile = totalBytes / files;
        var paths = new List<string>(files);
        var block = new byte[BlockSize];
        for (var f = 0; f < files; f++)
        {
            new Random(1000 + f).NextBytes(block);
            var path = Path.Combine(directory, "weights", $"model-{f + 1:D5}-of-{files:D5}.safetensors");
            await using var output = new FileStream(path, FileMode.Create, FileAccess.Write, FileShare.None, 1, FileOptions.Asynchronous);
            for (long written = 0, index = 0; written < perFile; index++)
            {
                BitConverter.TryWriteBytes(block.AsSpan(0, 8), (f * 1_000_000_007L) + index);
                var count = (int)Math.Min(BlockSize, perFile - written);
                await output.WriteAsync(block.AsMemory(0, count), cancellationToken);
                written += count;
            }

            paths.Add(path);
        }

        return paths;
    }
}
