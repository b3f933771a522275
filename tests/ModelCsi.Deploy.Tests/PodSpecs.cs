using k8s.Models;
using Xunit;

namespace ModelCsi.Deploy.Tests;

/// <summary>Reads what a pod spec wires together: flag values, and where a container path lands on the host.</summary>
internal static class PodSpecs
{
    public static V1Container Container(V1PodSpec pod, string name) => Assert.Single(pod.Containers, c => c.Name == name);

    /// <summary>The value of <c>--name=value</c> among the container's args.</summary>
    public static string Flag(V1Container container, string name)
    {
        var prefix = name + "=";
        var arg = Assert.Single(container.Args, a => a.StartsWith(prefix, StringComparison.Ordinal));
        return arg[prefix.Length..];
    }

    public static V1Volume Volume(V1PodSpec pod, string name) => Assert.Single(pod.Volumes, v => v.Name == name);

    /// <summary>The mount of the container that holds <paramref name="path"/> (the longest matching mount path).</summary>
    public static V1VolumeMount MountHolding(V1Container container, string path) =>
        container.VolumeMounts
            .Where(m => path == m.MountPath || path.StartsWith(m.MountPath.TrimEnd('/') + "/", StringComparison.Ordinal))
            .OrderByDescending(m => m.MountPath.Length)
            .FirstOrDefault()
        ?? throw new Xunit.Sdk.XunitException($"container {container.Name} has no volume mount holding {path}");

    /// <summary>
    /// Where a path inside the container lives outside it: "hostPath:/x/y" for a hostPath volume,
    /// "emptyDir:name/y" for an emptyDir, so two containers agree exactly when they name the same file.
    /// </summary>
    public static string Resolve(V1PodSpec pod, V1Container container, string path)
    {
        var mount = MountHolding(container, path);
        var rest = path[mount.MountPath.TrimEnd('/').Length..];
        var volume = Volume(pod, mount.Name);
        if (volume.HostPath is not null)
        {
            return "hostPath:" + volume.HostPath.Path.TrimEnd('/') + rest;
        }
        if (volume.EmptyDir is not null)
        {
            return "emptyDir:" + volume.Name + rest;
        }
        throw new Xunit.Sdk.XunitException($"volume {volume.Name} of {path} is neither a hostPath nor an emptyDir");
    }

    public static string UnixSocketPath(string endpoint)
    {
        const string scheme = "unix://";
        Assert.StartsWith(scheme, endpoint, StringComparison.Ordinal);
        return endpoint[scheme.Length..];
    }
}
