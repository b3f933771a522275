using ModelCsi.Core.Oci;
using ModelCsi.Core.Signing;
using Xunit;

namespace ModelCsi.Core.Tests.Signing;

public sealed class SignaturePolicyTests(OpenSslKeysFixture keys) : IClassFixture<OpenSslKeysFixture>
{
    [Theory]
    [InlineData("registry.example.com/models/**", "registry.example.com", "models/llama/7b", true)]
    [InlineData("registry.example.com/models/**", "registry.example.com", "other/llama", false)]
    [InlineData("registry.example.com/models/*", "registry.example.com", "models/llama", true)]
    [InlineData("registry.example.com/models/*", "registry.example.com", "models/llama/7b", false)]
    [InlineData("Registry.Example.com/models/*", "registry.example.COM", "models/llama", true)]
    [InlineData("*.example.com/**", "ghcr.example.com", "a/b", true)]
    [InlineData("127.0.0.1:5000/m", "127.0.0.1:5001", "m", false)]
    public void Patterns_match_host_and_repository_with_single_and_double_stars(string pattern, string host, string repository, bool matches) =>
        Assert.Equal(matches, RepositoryPattern.Parse(pattern).Matches(host, repository));

    [Theory]
    [InlineData("")]
    [InlineData("models")]
    [InlineData("https://registry.example.com/models")]
    [InlineData("registry.example.com/models@sha256:abc")]
    public void Patterns_that_name_no_repository_are_rejected(string pattern) =>
        Assert.Throws<FormatException>(() => RepositoryPattern.Parse(pattern));

    [Fact]
    public void The_first_matching_rule_applies_and_no_match_means_off()
    {
        var policy = SignaturePolicy.Create(new SignaturePolicyOptions
        {
            Rules =
            [
                new() { Name = "experiments", Match = "registry.example.com/models/experimental/**", Mode = SignatureMode.Off },
                new() { Name = "models", Match = "registry.example.com/models/**", Mode = SignatureMode.Enforce, Keys = [keys["p256"].PublicKey] },
            ],
        });

        Assert.Equal("experiments", policy.RuleFor(OciReference.Parse("registry.example.com/models/experimental/x:1"))?.Name);
        Assert.Equal("models", policy.RuleFor(OciReference.Parse("registry.example.com/models/llama:1"))?.Name);
        Assert.Null(policy.RuleFor(OciReference.Parse("ghcr.io/other/model:1")));
    }

    [Fact]
    public void A_default_rule_applies_to_what_no_other_rule_matches_wherever_it_is_listed()
    {
        var policy = SignaturePolicy.Create(new SignaturePolicyOptions
        {
            Rules =
            [
                new() { Name = "default", Mode = SignatureMode.Warn, Keys = [keys["p256"].PublicKey] },
                new() { Name = "public", Match = "docker.io/**", Mode = SignatureMode.Off },
            ],
        });

        Assert.Equal("public", policy.RuleFor(OciReference.Parse("library/model"))?.Name);
        Assert.Equal(SignatureMode.Warn, policy.RuleFor(OciReference.Parse("ghcr.io/a/b:1"))?.Mode);
    }

    [Fact]
    public void A_checking_rule_without_keys_fails_validation_naming_the_rule()
    {
        var options = new SignaturePolicyOptions { Rules = [new() { Name = "models", Match = "r.example/m/**", Mode = SignatureMode.Enforce }] };

        var result = new SignaturePolicyOptionsValidator().Validate(null, options);

        Assert.True(result.Failed);
        Assert.Contains("signatures.rules[0] (models)", result.FailureMessage, StringComparison.Ordinal);
    }

    [Fact]
    public void A_rule_without_match_that_is_not_the_default_rule_fails_validation()
    {
        var options = new SignaturePolicyOptions { Rules = [new() { Name = "models", Mode = SignatureMode.Off }] };

        Assert.True(new SignaturePolicyOptionsValidator().Validate(null, options).Failed);
    }

    [Fact]
    public void An_unreadable_key_fails_validation_naming_rule_and_file()
    {
        var options = new SignaturePolicyOptions { Rules = [new() { Name = "m", Match = "r.example/m", Keys = ["/missing/cosign.pub"] }] };

        var result = new SignaturePolicyOptionsValidator().Validate(null, options);

        Assert.True(result.Failed);
        Assert.Contains("/missing/cosign.pub", result.FailureMessage, StringComparison.Ordinal);
        Assert.Contains("(m)", result.FailureMessage, StringComparison.Ordinal);
    }
}
