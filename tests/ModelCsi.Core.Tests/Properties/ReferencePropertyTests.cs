using CsCheck;
using ModelCsi.Core.Oci;
using Xunit;

namespace ModelCsi.Core.Tests.Properties;

/// <summary>Generated references: what parses prints back to a string that parses to the same reference.</summary>
public sealed class ReferencePropertyTests
{
    private static readonly Gen<string> Alnum = Gen.Char["abcdefghijklmnopqrstuvwxyz0123456789"].Array[1, 6].Select(chars => new string(chars));

    private static readonly Gen<string> Separator = Gen.OneOf(".", "_", "__", "-", "--");

    // [a-z0-9]+ ((. | _ | __ | -+) [a-z0-9]+)*
    private static readonly Gen<string> Component = Gen.Select(Alnum, Gen.Select(Separator, Alnum, (s, a) => s + a).Array[0, 2],
        (head, tail) => head + string.Concat(tail));

    private static readonly Gen<string> Repository = Component.Array[1, 4].Select(parts => string.Join('/', parts));

    private static readonly Gen<string> Host = Gen.OneOf(
        Alnum.Array[2, 3].Select(labels => string.Join('.', labels)),
        Gen.Const("localhost"),
        Gen.Select(Alnum.Array[2, 3], Gen.Int[1, 65535], (labels, port) => $"{string.Join('.', labels)}:{port}"),
        Gen.Select(Gen.Int[1, 65535], port => $"[::1]:{port}"));

    private static readonly Gen<string> Tag = Gen.Select(
        Gen.Char["abcXYZ019_"], Gen.Char["abcXYZ019_.-"].Array[0, 20], (first, rest) => first + new string(rest));

    private static readonly Gen<string> Digest = Gen.Char["0123456789abcdef"].Array[64].Select(hex => "sha256:" + new string(hex));

    // Without a host, the first component must not look like one (a '.' would make it the registry).
    private static readonly Gen<string> Reference = Gen.Select(
        Gen.Bool, Host, Alnum, Repository, Gen.Bool, Tag, Gen.Bool, Digest,
        (withHost, host, first, repository, withTag, tag, withDigest, digest) =>
            (withHost ? host : first) + "/" + repository + (withTag ? ":" + tag : "") + (withDigest ? "@" + digest : ""));

    [Fact]
    public void A_generated_valid_reference_parses_and_round_trips_through_its_string()
    {
        Reference.Sample(text =>
        {
            var parsed = OciReference.Parse(text);
            var printed = parsed.ToString();
            Assert.Equal(parsed, OciReference.Parse(printed));
            Assert.Equal(printed, OciReference.Parse(printed).ToString());
        }, iter: 5_000);
    }

    [Fact]
    public void Any_string_either_fails_as_a_reference_format_error_or_round_trips()
    {
        var noise = Gen.Char["ab/:.@_-[]1sha256:A \u0007"].Array[0, 40].Select(chars => new string(chars));
        var mutated = Gen.Select(Reference, noise, Gen.Int[0, 60], (reference, insert, at) => reference.Insert(Math.Min(at, reference.Length), insert));

        Gen.OneOf(noise, mutated).Sample(text =>
        {
            if (!OciReference.TryParse(text, out var parsed))
            {
                Assert.Throws<ReferenceFormatException>(() => OciReference.Parse(text));
                return;
            }

            Assert.Equal(parsed, OciReference.Parse(parsed.ToString()));
        }, iter: 10_000);
    }
}
