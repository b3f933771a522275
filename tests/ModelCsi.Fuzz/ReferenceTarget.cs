using System.Text;
using ModelCsi.Core.Oci;

namespace ModelCsi.Fuzz;

/// <summary>A reference either fails with <see cref="ReferenceFormatException"/> or parses, and then round-trips.</summary>
internal static class ReferenceTarget
{
    public static void Run(Stream input)
    {
        var text = Encoding.UTF8.GetString(FuzzTargets.ReadAll(input, 64 << 10));
        OciReference parsed;
        try
        {
            parsed = OciReference.Parse(text);
        }
        catch (ReferenceFormatException e)
        {
            if (e.Message.Length > 2048)
            {
                throw FuzzTargets.Violated($"error message of {e.Message.Length} characters");
            }

            return;
        }

        var again = OciReference.Parse(parsed.ToString());
        if (again != parsed)
        {
            throw FuzzTargets.Violated($"'{parsed}' parses back as '{again}'");
        }

        _ = parsed.RegistryHostName;
        _ = parsed.RegistryEndpoint;
        _ = parsed.TagOrDigest;
    }
}
