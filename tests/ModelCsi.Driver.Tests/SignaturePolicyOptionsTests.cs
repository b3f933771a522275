using Microsoft.Extensions.Configuration;
using ModelCsi.Core.Oci;
using ModelCsi.Core.Signing;
using ModelCsi.Driver.Options;
using ModelCsi.TestSupport;
using Xunit;

namespace ModelCsi.Driver.Tests;

public sealed class SignaturePolicyOptionsTests : IDisposable
{
    private readonly TempDirectory _temp = new("modelcsi-signature-options");

    public void Dispose() => _temp.Dispose();

    [Fact]
    public void The_signatures_section_of_the_yaml_config_binds_rules_modes_and_inline_or_file_keys()
    {
        var (_, publicKey) = OpenSsl.GenerateKey(_temp.Path, "p256");
        var inline = string.Join("\n", File.ReadAllText(publicKey).TrimEnd().Split('\n').Select(line => "            " + line));
        var path = _temp.Combine("config.yaml");
        File.WriteAllText(path, $"""
            signatures:
              rules:
                - name: experiments
                  match: registry.example.com/models/experimental/**
                  mode: off
                - name: models
                  match: registry.example.com/models/**
                  mode: enforce
                  keys:
                    - {publicKey}
                    - |
            {inline}
                - name: default
                  mode: Warn
                  keys: [{publicKey}]
            """);
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(DriverConfiguration.ReadYaml(path)).Build();

        var options = configuration.GetSection("signatures").Get<SignaturePolicyOptions>()!;
        var policy = SignaturePolicy.Create(options);

        Assert.Equal(SignatureMode.Off, policy.RuleFor(OciReference.Parse("registry.example.com/models/experimental/a:1"))?.Mode);
        var models = policy.RuleFor(OciReference.Parse("registry.example.com/models/llama:1"))!;
        Assert.Equal(SignatureMode.Enforce, models.Mode);
        Assert.Equal(2, models.Keys.Count);
        Assert.Equal(models.Keys[0].Fingerprint, models.Keys[1].Fingerprint);
        Assert.Equal("default", policy.RuleFor(OciReference.Parse("ghcr.io/x/y:1"))?.Name);
        Assert.Equal(SignatureMode.Warn, policy.RuleFor(OciReference.Parse("ghcr.io/x/y:1"))?.Mode);
    }
}
