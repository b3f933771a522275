using ModelCsi.Core.Oci;
using Xunit;

namespace ModelCsi.Core.Tests.Oci;

public sealed class OciReferenceTests
{
    private const string Hex = "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";
    private const string Sha = "sha256:" + Hex;

    [Theory]
    [InlineData("ubuntu", "docker.io", "library/ubuntu", "latest", null)]
    [InlineData("ubuntu:22.04", "docker.io", "library/ubuntu", "22.04", null)]
    [InlineData("library/ubuntu", "docker.io", "library/ubuntu", "latest", null)]
    [InlineData("myorg/model", "docker.io", "myorg/model", "latest", null)]
    [InlineData("docker.io/ubuntu", "docker.io", "library/ubuntu", "latest", null)]
    [InlineData("index.docker.io/ubuntu:1", "docker.io", "library/ubuntu", "1", null)]
    [InlineData("ghcr.io/org/model:v1", "ghcr.io", "org/model", "v1", null)]
    [InlineData("localhost/model", "localhost", "model", "latest", null)]
    [InlineData("localhost:5000/a/b/c:tag", "localhost:5000", "a/b/c", "tag", null)]
    [InlineData("127.0.0.1:5000/models/llama@" + Sha, "127.0.0.1:5000", "models/llama", null, Sha)]
    [InlineData("registry.example.com/models/llama:v2@" + Sha, "registry.example.com", "models/llama", "v2", Sha)]
    [InlineData("[::1]:5000/model:1", "[::1]:5000", "model", "1", null)]
    [InlineData("a__b/c-d.e_f:Tag_1.0-rc", "docker.io", "a__b/c-d.e_f", "Tag_1.0-rc", null)]
    [InlineData("foo:5000", "docker.io", "library/foo", "5000", null)]
    [InlineData("my-registry.local:443/team/x---y", "my-registry.local:443", "team/x---y", "latest", null)]
    public void Valid_references_are_normalised_like_docker_does(string text, string registry, string repository, string? tag, string? digest)
    {
        var reference = OciReference.Parse(text);

        Assert.Equal(registry, reference.Registry);
        Assert.Equal(repository, reference.Repository);
        Assert.Equal(tag, reference.Tag);
        Assert.Equal(digest, reference.Digest);
    }

    [Theory]
    [InlineData("", "empty")]
    [InlineData("   ", "empty")]
    [InlineData("Ubuntu", "must be lowercase")]
    [InlineData("ghcr.io/Org/model", "must be lowercase")]
    [InlineData("ubuntu:", "tag after ':' is empty")]
    [InlineData("ubuntu:bad!tag", "tag 'bad!tag'")]
    [InlineData("ubuntu:-x", "must not start with")]
    [InlineData("ubuntu@sha256:abc", "digest 'sha256:abc' is not sha256")]
    [InlineData("ubuntu@sha256:" + "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", "is not sha256")]
    [InlineData("ubuntu@md5:0123456789abcdef0123456789abcdef", "unsupported algorithm")]
    [InlineData("ubuntu@", "digest ''")]
    [InlineData("localhost:99999/x", "port '99999'")]
    [InlineData("localhost:abc/x", "port 'abc'")]
    [InlineData("localhost:0/x", "port '0'")]
    [InlineData("ghcr.io//x", "empty path component")]
    [InlineData("ghcr.io/a..b", "path component 'a..b'")]
    [InlineData("ghcr.io/a-", "path component 'a-'")]
    [InlineData("bad_host.io/x", "not a valid host name")]
    [InlineData("-ghcr.io/x", "not a valid host name")]
    [InlineData("ghcr.io/", "repository name is empty")]
    [InlineData("with space", "whitespace")]
    [InlineData("[zz]:5000/x", "IPv6")]
    public void Malformed_references_say_what_is_wrong(string text, string problem)
    {
        var error = Assert.Throws<ReferenceFormatException>(() => OciReference.Parse(text));

        Assert.Contains(problem, error.Message, StringComparison.Ordinal);
        Assert.False(OciReference.TryParse(text, out _));
    }

    [Fact]
    public void A_tag_longer_than_128_characters_is_rejected_with_its_length()
    {
        var error = Assert.Throws<ReferenceFormatException>(() => OciReference.Parse("model:" + new string('t', 129)));

        Assert.Contains("129 characters", error.Message, StringComparison.Ordinal);
        Assert.Equal("t", OciReference.Parse("model:" + new string('t', 128)).Tag![..1]);
    }

    [Fact]
    public void A_name_longer_than_255_characters_is_rejected()
    {
        var error = Assert.Throws<ReferenceFormatException>(() => OciReference.Parse("ghcr.io/" + new string('a', 250)));

        Assert.Contains("longer than 255", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_null_reference_is_rejected_as_empty()
    {
        Assert.False(OciReference.TryParse(null, out var parsed));
        Assert.Null(parsed);
    }

    [Theory]
    [InlineData("ubuntu", "docker.io/library/ubuntu:latest")]
    [InlineData("ghcr.io/org/model:v1", "ghcr.io/org/model:v1")]
    [InlineData("127.0.0.1:5000/m@" + Sha, "127.0.0.1:5000/m@" + Sha)]
    [InlineData("127.0.0.1:5000/m:v1@" + Sha, "127.0.0.1:5000/m:v1@" + Sha)]
    public void The_canonical_form_is_fully_qualified_and_parses_back_to_the_same_reference(string text, string canonical)
    {
        var reference = OciReference.Parse(text);

        Assert.Equal(canonical, reference.ToString());
        Assert.Equal(reference, OciReference.Parse(reference.ToString()));
    }

    [Fact]
    public void The_digest_wins_over_the_tag_for_pulls()
    {
        var reference = OciReference.Parse("ghcr.io/org/model:v1@" + Sha);

        Assert.Equal(Sha, reference.TagOrDigest);
        Assert.Equal("v1", OciReference.Parse("ghcr.io/org/model:v1").TagOrDigest);
    }

    [Fact]
    public void WithDigest_pins_a_tagged_reference_and_keeps_the_tag()
    {
        var pinned = OciReference.Parse("ghcr.io/org/model:v1").WithDigest(Sha);

        Assert.Equal("ghcr.io/org/model:v1@" + Sha, pinned.ToString());
        Assert.Throws<ReferenceFormatException>(() => pinned.WithDigest("sha256:nothex"));
    }

    [Theory]
    [InlineData("ubuntu", "registry-1.docker.io", "docker.io")]
    [InlineData("localhost:5000/m", "localhost:5000", "localhost")]
    [InlineData("[::1]:5000/m", "[::1]:5000", "::1")]
    [InlineData("ghcr.io/m", "ghcr.io", "ghcr.io")]
    public void Endpoint_and_host_name_are_derived_from_the_registry(string text, string endpoint, string hostName)
    {
        var reference = OciReference.Parse(text);

        Assert.Equal(endpoint, reference.RegistryEndpoint);
        Assert.Equal(hostName, reference.RegistryHostName);
    }
}
