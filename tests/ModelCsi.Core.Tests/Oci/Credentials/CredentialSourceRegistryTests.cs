using System.Text;
using ModelCsi.Core.Kubernetes;
using ModelCsi.Core.ModelPack;
using ModelCsi.Core.Oci;
using ModelCsi.Core.Oci.Credentials;
using ModelCsi.TestSupport;
using Xunit;

namespace ModelCsi.Core.Tests.Oci.Credentials;

/// <summary>Each credential source against a real registry with htpasswd Basic auth and one with token auth.</summary>
public abstract class CredentialSourceRegistryTests : IDisposable
{
    private readonly TempDirectory _temp = new();
    private readonly CapturedLogs _logs = new();
    private readonly FakeKubernetesApi _api = new();

    protected abstract RegistryProcess Registry { get; }

    protected abstract string User { get; }

    protected abstract string Password { get; }

    public void Dispose() => _temp.Dispose();

    private string DockerConfigJson(string field = "auth") => field switch
    {
        "auth" => $$"""{"auths":{"http://{{Registry.Host}}/v2/":{"auth":"{{Convert.ToBase64String(Encoding.UTF8.GetBytes($"{User}:{Password}"))}}"} } }""",
        _ => $$"""{"auths":{"{{Registry.Host}}":{"username":"{{User}}","password":"{{Password}}"} } }""",
    };

    private async Task<string> PushModelAsync()
    {
        var repository = OciTestContent.UniqueRepository("creds");
        var source = TestModels.WriteDirectory(_temp.Combine("src-" + Guid.NewGuid().ToString("N")[..6]),
            new Dictionary<string, byte[]> { ["model.safetensors"] = OciTestContent.RandomBytes(40_000, 7), ["config.json"] = "{}"u8.ToArray() });
        await TestModels.PushAsync(Registry.Host, repository, "v1", source, credential: RegistryCredential.Basic(User, Password));
        return $"{Registry.Host}/{repository}:v1";
    }

    private CredentialResolver Resolver(params string[] nodeConfigPaths) => new(
        [
            new SecretsCredentialSource(),
            new PodPullSecretsCredentialSource(_api, _logs.For<PodPullSecretsCredentialSource>()),
            new DockerConfigFileCredentialSource(nodeConfigPaths, _logs.For<DockerConfigFileCredentialSource>()),
        ],
        _logs.For<CredentialResolver>());

    /// <summary>Resolves credentials as the cache will, then pulls the whole model.</summary>
    private async Task<PullResult> PullAsync(string reference, CredentialResolver resolver, CredentialContext context)
    {
        var parsed = OciReference.Parse(reference);
        var credential = await resolver.ResolveAsync(parsed.Registry, context);
        using var client = new RegistryClient(OciTestContent.QuickRetries(), _logs.For<RegistryClient>());
        return await new ModelPuller(_logs.For<ModelPuller>()).PullAsync(client.Repository(parsed, credential), _temp.Combine("out-" + Guid.NewGuid().ToString("N")));
    }

    private CredentialContext PodContext() => CredentialContext.FromVolume(null, new Dictionary<string, string>
    {
        [CredentialContext.PodNamespaceKey] = "ml",
        [CredentialContext.PodNameKey] = "server-0",
    });

    private void AssertNoSecretLogged() => Assert.DoesNotContain(Password, _logs.Text, StringComparison.Ordinal);

    [Fact]
    public async Task Csi_secret_username_and_password_pull_the_model()
    {
        var reference = await PushModelAsync();

        var result = await PullAsync(reference, Resolver(), CredentialContext.FromVolume(new Dictionary<string, string> { ["username"] = User, ["password"] = Password }, null));

        Assert.Equal(2, result.FilesWritten);
        Assert.Contains(_logs.Lines, line => line.Contains("from CSI secrets (username/password)", StringComparison.Ordinal));
        AssertNoSecretLogged();
    }

    [Fact]
    public async Task A_csi_dockerconfigjson_secret_pulls_the_model()
    {
        var reference = await PushModelAsync();

        await PullAsync(reference, Resolver(), CredentialContext.FromVolume(new Dictionary<string, string> { [".dockerconfigjson"] = DockerConfigJson() }, null));

        Assert.Contains(_logs.Lines, line => line.Contains("from CSI secrets (.dockerconfigjson)", StringComparison.Ordinal));
        AssertNoSecretLogged();
    }

    [Fact]
    public async Task The_nodes_docker_config_pulls_the_model()
    {
        var reference = await PushModelAsync();
        var path = _temp.Combine("config.json");
        await File.WriteAllTextAsync(path, DockerConfigJson());

        await PullAsync(reference, Resolver(path), CredentialContext.None);

        Assert.Contains(_logs.Lines, line => line.Contains($"docker config {path}", StringComparison.Ordinal));
        AssertNoSecretLogged();
    }

    [Fact]
    public async Task Without_credentials_the_pull_fails_with_an_auth_error_that_says_so()
    {
        var reference = await PushModelAsync();

        var error = await Assert.ThrowsAsync<RegistryAuthException>(() => PullAsync(reference, Resolver(_temp.Combine("none.json")), PodContext()));

        // Basic auth says no username and password were given; token auth says anonymous access was refused.
        Assert.True(error.Message.Contains("anonymous", StringComparison.Ordinal) || error.Message.Contains("none were given", StringComparison.Ordinal), error.Message);
        Assert.Contains(OciReference.Parse(reference).Repository, error.Message, StringComparison.Ordinal);
        Assert.Contains(_logs.Lines, line => line.Contains("pulling anonymously", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_wrong_password_fails_with_an_auth_error_that_never_shows_the_password_or_the_username()
    {
        var reference = await PushModelAsync();
        const string wrong = "wrong-and-secret-pw";

        var error = await Assert.ThrowsAsync<RegistryAuthException>(() =>
            PullAsync(reference, Resolver(), CredentialContext.FromVolume(new Dictionary<string, string> { ["username"] = User, ["password"] = wrong }, null)));

        Assert.Contains("username and password", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(wrong, error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(wrong, _logs.Text, StringComparison.Ordinal);
        // The username is half of the credential: neither the message nor the log names it.
        Assert.DoesNotContain(User, error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(User, _logs.Text, StringComparison.Ordinal);
    }
}

public sealed class BasicAuthCredentialSourceTests(BasicAuthRegistryFixture fixture) : CredentialSourceRegistryTests, IClassFixture<BasicAuthRegistryFixture>
{
    protected override RegistryProcess Registry => fixture.Registry;

    protected override string User => BasicAuthRegistryFixture.User;

    protected override string Password => BasicAuthRegistryFixture.Password;
}

public sealed class TokenAuthCredentialSourceTests(TokenAuthRegistryFixture fixture) : CredentialSourceRegistryTests, IClassFixture<TokenAuthRegistryFixture>
{
    protected override RegistryProcess Registry => fixture.Registry;

    protected override string User => TokenAuthRegistryFixture.User;

    protected override string Password => TokenAuthRegistryFixture.Password;

    [Fact]
    public async Task An_identity_token_in_the_nodes_docker_config_pulls_the_model()
    {
        using var temp = new TempDirectory();
        var path = temp.Combine("config.json");
        await File.WriteAllTextAsync(path, $$"""{"auths":{"{{Registry.Host}}":{"auth":"{{Convert.ToBase64String("<token>:"u8)}}","identitytoken":"{{TokenAuthRegistryFixture.IdentityToken}}"} } }""");
        var logs = new CapturedLogs();
        var resolver = new CredentialResolver([new DockerConfigFileCredentialSource([path], logs.For<DockerConfigFileCredentialSource>())], logs.For<CredentialResolver>());
        var repository = OciTestContent.UniqueRepository("idtoken");
        var source = TestModels.WriteDirectory(temp.Combine("src"), new Dictionary<string, byte[]> { ["weights.bin"] = OciTestContent.RandomBytes(5000, 3) });
        await TestModels.PushAsync(Registry.Host, repository, "v1", source, credential: RegistryCredential.Basic(User, Password));

        var credential = await resolver.ResolveAsync(Registry.Host, CredentialContext.None);
        using var client = new RegistryClient(OciTestContent.QuickRetries(), logs.For<RegistryClient>());
        await new ModelPuller().PullAsync(client.Repository(OciReference.Parse($"{Registry.Host}/{repository}:v1"), credential), temp.Combine("out"));

        Assert.Equal(TokenAuthRegistryFixture.IdentityToken, credential?.IdentityToken);
        Assert.Contains(logs.Lines, line => line.Contains("identity token from docker config", StringComparison.Ordinal));
        Assert.DoesNotContain(TokenAuthRegistryFixture.IdentityToken, logs.Text, StringComparison.Ordinal);
    }
}
