using Grpc.Core;

namespace ModelCsi.Driver.Grpc;

/// <summary>
/// The optional <c>subPath</c> of a volume: a directory inside the model. Checked twice: its syntax before
/// anything is pulled, and its resolved location inside the pulled model before it is mounted.
/// </summary>
internal static class SubPath
{
    private const int MaxSymlinkHops = 40;

    /// <summary>Returns the normalised relative path (no empty or '.' segments), or null when none was asked for.</summary>
    public static string? Parse(string? subPath, string method)
    {
        if (string.IsNullOrWhiteSpace(subPath))
        {
            return null;
        }
        if (subPath.StartsWith('/') || subPath.Contains('\0', StringComparison.Ordinal))
        {
            throw CsiRequestValidation.Invalid($"{method}: subPath '{subPath}' must be a relative path inside the model");
        }
        var segments = subPath.Split('/', StringSplitOptions.RemoveEmptyEntries).Where(s => s != ".").ToArray();
        if (segments.Contains(".."))
        {
            throw CsiRequestValidation.Invalid($"{method}: subPath '{subPath}' must not contain '..'");
        }
        return segments.Length == 0 ? null : string.Join('/', segments);
    }

    /// <summary>
    /// The real directory <paramref name="subPath"/> names inside <paramref name="modelPath"/>, following symlinks
    /// only while they stay inside the model.
    /// </summary>
    public static string Resolve(string modelPath, string subPath, string method)
    {
        var root = Path.TrimEndingDirectorySeparator(Path.GetFullPath(modelPath));
        var pending = new Queue<string>(subPath.Split('/', StringSplitOptions.RemoveEmptyEntries));
        var current = root;
        var hops = 0;
        while (pending.TryDequeue(out var segment))
        {
            var next = Path.Combine(current, segment);
            var info = new FileInfo(next);
            if (info.LinkTarget is not null)
            {
                if (++hops > MaxSymlinkHops)
                {
                    throw CsiRequestValidation.Invalid($"{method}: subPath '{subPath}' has too many symbolic links");
                }
                var target = Path.GetFullPath(info.LinkTarget, current);
                if (!IsInside(root, target))
                {
                    throw CsiRequestValidation.Invalid($"{method}: subPath '{subPath}' leaves the model through a symbolic link");
                }
                // Re-walk the link target from the root so links inside it are checked the same way.
                var rest = pending.ToArray();
                pending = new Queue<string>(Path.GetRelativePath(root, target).Split('/', StringSplitOptions.RemoveEmptyEntries).Where(s => s != ".").Concat(rest));
                current = root;
                continue;
            }
            if (!Directory.Exists(next))
            {
                throw CsiRequestValidation.Invalid(File.Exists(next)
                    ? $"{method}: subPath '{subPath}' is a file; it must name a directory of the model"
                    : $"{method}: subPath '{subPath}' does not exist in the model");
            }
            current = next;
        }
        return current;
    }

    private static bool IsInside(string root, string path) =>
        string.Equals(path, root, StringComparison.Ordinal) || path.StartsWith(root + "/", StringComparison.Ordinal);
}
