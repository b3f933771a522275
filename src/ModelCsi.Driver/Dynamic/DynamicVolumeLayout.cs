using System.Security.Cryptography;
using System.Text;

namespace ModelCsi.Driver.Dynamic;

/// <summary>
/// Where one dynamic volume lives under <c>&lt;root&gt;/dynamic</c>: <c>&lt;key&gt;/</c> (bound read-only at the
/// target; holds <c>api.sock</c> and <c>models/&lt;name&gt;/</c>), its state file <c>&lt;key&gt;.json</c> next to
/// it (out of the pod's sight), and staging mount points under <c>.staging/</c>.
/// </summary>
internal sealed class DynamicVolumeLayout
{
    public const string SocketName = "api.sock";
    public const string ModelsName = "models";

    public DynamicVolumeLayout(string rootDirectory, string volumeId, string targetPath)
    {
        DynamicRoot = System.IO.Path.Combine(rootDirectory, "dynamic");
        // NUL joins the two, which neither can contain, so distinct pairs never collide by concatenation.
        Key = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(volumeId + "\0" + targetPath)))[..16];
        Directory = System.IO.Path.Combine(DynamicRoot, Key);
        StagingRoot = StagingRootOf(rootDirectory);
    }

    public string DynamicRoot { get; }

    public string Key { get; }

    public string Directory { get; }

    public string Socket => System.IO.Path.Combine(Directory, SocketName);

    public string Models => System.IO.Path.Combine(Directory, ModelsName);

    public string StateFile => System.IO.Path.Combine(DynamicRoot, Key + ".json");

    /// <summary>
    /// The volume's publish secrets (root only, 0600 in the 0700 driver directory): a restarted driver needs them to
    /// pull the models the pod asks for next from a private registry. Not <c>.json</c>, so no reader of state files takes it for one.
    /// </summary>
    public string SecretsFile => System.IO.Path.Combine(DynamicRoot, Key + ".secrets");

    public string StagingRoot { get; }

    public static string StagingRootOf(string rootDirectory) => System.IO.Path.Combine(rootDirectory, "dynamic", ".staging");

    public string MountPoint(string name) => System.IO.Path.Combine(Models, name);

    public string Staging(string name) => System.IO.Path.Combine(StagingRoot, Key + "-" + name);
}
