using ModelCsi.TestSupport;
using Xunit;

namespace ModelCsi.Cli.Tests;

public sealed class CliAuthTests(BasicAuthRegistryFixture fixture) : IClassFixture<BasicAuthRegistryFixture>, IDisposable
{
    private const string WrongPassword = "not-the-Pa55word-7f3k";

    private readonly TempDirectory _temp = new("modelcsi-cli-auth");

    public void Dispose() => _temp.Dispose();

    private string Reference() => $"{fixture.Registry.Host}/{OciTestContent.UniqueRepository("auth")}:v1";

    private static void AssertNoSecret(CliRun run)
    {
        Assert.DoesNotContain(WrongPassword, run.Out, StringComparison.Ordinal);
        Assert.DoesNotContain(WrongPassword, run.Error, StringComparison.Ordinal);
        Assert.DoesNotContain(BasicAuthRegistryFixture.Password, run.Out, StringComparison.Ordinal);
        Assert.DoesNotContain(BasicAuthRegistryFixture.Password, run.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Wrong_credentials_from_stdin_exit_4_and_the_password_never_appears()
    {
        var reference = Reference();

        var push = await CliRun.RunAsync(["push", RepositoryRoot.TinyModel, reference, "--username", BasicAuthRegistryFixture.User, "--password-stdin", "--verbose"], WrongPassword + "\n");
        var pull = await CliRun.RunAsync(["pull", reference, _temp.Combine("pulled"), "--username", BasicAuthRegistryFixture.User, "--password-stdin"], WrongPassword + "\n");

        Assert.True(push.ExitCode == 4, push.ToString());
        Assert.True(pull.ExitCode == 4, pull.ToString());
        Assert.Contains(reference, pull.Error, StringComparison.Ordinal);
        AssertNoSecret(push);
        AssertNoSecret(pull);
    }

    [Fact]
    public async Task Wrong_credentials_from_the_environment_exit_4_and_the_password_never_appears()
    {
        var environment = new Dictionary<string, string> { ["MODELCSI_USERNAME"] = BasicAuthRegistryFixture.User, ["MODELCSI_PASSWORD"] = WrongPassword };

        var inspect = await CliRun.RunAsync(["inspect", Reference()], environment: environment);

        Assert.True(inspect.ExitCode == 4, inspect.ToString());
        AssertNoSecret(inspect);
    }

    [Fact]
    public async Task No_credentials_exit_4()
    {
        var inspect = await CliRun.RunAsync("inspect", Reference());

        Assert.True(inspect.ExitCode == 4, inspect.ToString());
    }

    [Fact]
    public async Task Right_credentials_push_and_pull_and_the_password_never_appears()
    {
        var reference = Reference();
        var environment = new Dictionary<string, string> { ["MODELCSI_USERNAME"] = BasicAuthRegistryFixture.User, ["MODELCSI_PASSWORD"] = BasicAuthRegistryFixture.Password };
        var destination = _temp.Combine("pulled");

        var push = await CliRun.RunAsync(["push", RepositoryRoot.TinyModel, reference, "-q"], environment: environment);
        var pull = await CliRun.RunAsync(["pull", reference, destination, "-q", "-u", BasicAuthRegistryFixture.User, "--password-stdin"], BasicAuthRegistryFixture.Password + "\n");

        Assert.True(push.ExitCode == 0, push.ToString());
        Assert.True(pull.ExitCode == 0, pull.ToString());
        DirectoryTree.AssertSame(RepositoryRoot.TinyModel, destination);
        AssertNoSecret(push);
        AssertNoSecret(pull);
    }

    [Fact]
    public async Task A_username_without_a_password_exits_2()
    {
        var run = await CliRun.RunAsync("inspect", Reference(), "--username", BasicAuthRegistryFixture.User);

        Assert.Equal(2, run.ExitCode);
        Assert.Contains("--password-stdin", run.Error, StringComparison.Ordinal);
    }
}
