using System.Text;
using ModelCsi.Core.Oci.Credentials;
using Xunit;

namespace ModelCsi.Core.Tests.Oci.Credentials;

public sealed class DockerConfigTests
{
    private static string Auth(string user, string password) => Convert.ToBase64String(Encoding.UTF8.GetBytes($"{user}:{password}"));

    [Fact]
    public void The_auth_field_is_base64_of_user_and_password_split_at_the_first_colon()
    {
        var config = DockerConfig.Parse($$"""{"auths":{"registry.example:5000":{"auth":"{{Auth("alice", "pa:ss")}}"} } }""");

        var credential = config.Find("registry.example:5000", "test");

        Assert.NotNull(credential);
        Assert.Equal("alice", credential.Username);
        Assert.Equal("pa:ss", credential.Password);
        Assert.Equal("test", credential.Source);
    }

    [Fact]
    public void Username_and_password_fields_work_without_auth()
    {
        var config = DockerConfig.Parse("""{"auths":{"ghcr.io":{"username":"bob","password":"pw"} } }""");

        Assert.Equal(("bob", "pw"), (config.Find("ghcr.io", "t")!.Username, config.Find("ghcr.io", "t")!.Password));
    }

    [Fact]
    public void An_identity_token_wins_over_the_token_placeholder_username()
    {
        var config = DockerConfig.Parse($$"""{"auths":{"acr.example":{"auth":"{{Auth("<token>", "")}}","identitytoken":"refresh-me"} } }""");

        var credential = config.Find("acr.example", "t")!;

        Assert.Equal("refresh-me", credential.IdentityToken);
        Assert.Null(credential.Username);
    }

    [Fact]
    public void A_registry_token_is_used_as_is()
    {
        var config = DockerConfig.Parse("""{"auths":{"r.example":{"registrytoken":"bearer-token"} } }""");

        Assert.Equal("bearer-token", config.Find("r.example", "t")!.RegistryToken);
    }

    [Theory]
    [InlineData("https://index.docker.io/v1/")]
    [InlineData("index.docker.io")]
    [InlineData("docker.io")]
    [InlineData("https://registry-1.docker.io")]
    public void Docker_Hub_keys_in_any_spelling_match_docker_io(string key)
    {
        var config = DockerConfig.Parse($$"""{"auths":{"{{key}}":{"auth":"{{Auth("hub", "pw")}}"} } }""");

        Assert.Equal("hub", config.Find("docker.io", "t")?.Username);
    }

    [Fact]
    public void Keys_with_scheme_and_path_match_by_host_and_port_only()
    {
        var config = DockerConfig.Parse($$"""{"auths":{"http://Registry.Example:5000/v2/":{"auth":"{{Auth("a", "b")}}"} } }""");

        Assert.NotNull(config.Find("registry.example:5000", "t"));
        Assert.Null(config.Find("registry.example", "t"));
        Assert.Null(config.Find("registry.example:5001", "t"));
        Assert.Null(config.Find("other.example:5000", "t"));
    }

    [Fact]
    public void A_wildcard_key_matches_one_subdomain_level_and_an_exact_key_wins()
    {
        var config = DockerConfig.Parse($$"""
            {"auths":{
              "*.corp.example":{"auth":"{{Auth("wild", "pw")}}"},
              "special.corp.example":{"auth":"{{Auth("exact", "pw")}}"}
            } }
            """);

        Assert.Equal("wild", config.Find("reg.corp.example", "t")?.Username);
        Assert.Equal("exact", config.Find("special.corp.example", "t")?.Username);
        Assert.Null(config.Find("a.b.corp.example", "t"));
        Assert.Null(config.Find("corp.example", "t"));
    }

    [Fact]
    public void The_legacy_dockercfg_format_without_auths_is_read()
    {
        var config = DockerConfig.Parse($$"""{"https://old.example":{"auth":"{{Auth("old", "pw")}}","email":"x@y"} }""");

        Assert.Equal("old", config.Find("old.example", "t")?.Username);
    }

    [Fact]
    public void Entries_without_a_usable_secret_are_ignored()
    {
        var config = DockerConfig.Parse("""{"auths":{"a.example":{},"b.example":{"username":"only-user"} },"credsStore":"desktop"}""");

        Assert.Null(config.Find("a.example", "t"));
        Assert.Null(config.Find("b.example", "t"));
    }

    [Fact]
    public void Broken_json_fails_without_quoting_the_content()
    {
        var error = Assert.Throws<FormatException>(() => DockerConfig.Parse("""{"auths":{"x":{"password":"hunter2" """));

        Assert.DoesNotContain("hunter2", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void An_auth_field_that_is_not_base64_fails_without_quoting_it()
    {
        var error = Assert.Throws<FormatException>(() => DockerConfig.Parse("""{"auths":{"x.example":{"auth":"not base64 hunter2"} } }"""));

        Assert.Contains("x.example", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("hunter2", error.Message, StringComparison.Ordinal);
    }
}
