using ModelCsi.Core.ModelPack;
using ModelCsi.Core.Oci;

namespace ModelCsi.Fuzz;

/// <summary>
/// Unpacks the input as a layer into a fresh directory, then checks that nothing left the model root and that
/// everything in it is read-only.
/// </summary>
internal static class LayerUnpackTarget
{
    // Small enough that an execution stays fast, large enough for real archives in the corpus.
    private static readonly UnpackLimits Limits = new() { MaxExpandedBytes = 8 << 20, MaxEntries = 1_000 };

    private static readonly string Base = Path.Join(Path.GetTempPath(), $"modelcsi-fuzz-{Environment.ProcessId}");

    public static void Run(Stream input, string mediaType)
    {
        var blob = FuzzTargets.ReadAll(input);
        var work = Path.Join(Base, Guid.NewGuid().ToString("N"));
        var root = Path.Join(work, "model");
        var outside = Path.Join(work, "outside");
        Directory.CreateDirectory(root);
        Directory.CreateDirectory(outside);
        try
        {
            var layer = new OciDescriptor
            {
                MediaType = mediaType,
                Digest = Digest.Of(blob),
                Size = blob.Length,
                Annotations = new Dictionary<string, string> { [ModelPackAnnotations.CncfFilePath] = "model" },
            };
            try
            {
                new LayerUnpacker().UnpackAsync(new MemoryStream(blob), layer, root, Limits).GetAwaiter().GetResult();
            }
            catch (Exception e) when (FuzzTargets.IsModelPackRefusal(e))
            {
            }

            if (Directory.EnumerateFileSystemEntries(outside).Any() || Directory.EnumerateFileSystemEntries(work).Count() != 2)
            {
                throw FuzzTargets.Violated("something was written outside the model root");
            }

            foreach (var path in Directory.EnumerateFileSystemEntries(root, "*", new EnumerationOptions { RecurseSubdirectories = true, AttributesToSkip = FileAttributes.ReparsePoint }))
            {
                var mode = File.GetUnixFileMode(path);
                if ((mode & (UnixFileMode.OtherWrite | UnixFileMode.GroupWrite | UnixFileMode.SetUser | UnixFileMode.SetGroup | UnixFileMode.StickyBit)) != 0)
                {
                    throw FuzzTargets.Violated($"'{Path.GetRelativePath(root, path)}' has mode {mode}");
                }
            }
        }
        finally
        {
            Remove(work);
        }
    }

    private static void Remove(string work)
    {
        // Sealed directories are 0555; root can delete below them, other users need them opened first.
        foreach (var directory in Directory.EnumerateDirectories(work, "*", new EnumerationOptions { RecurseSubdirectories = true, AttributesToSkip = FileAttributes.ReparsePoint }))
        {
            File.SetUnixFileMode(directory, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        }

        Directory.Delete(work, recursive: true);
    }
}
