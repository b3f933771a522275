using System.CommandLine;
using ModelCsi.Core.Oci;

namespace ModelCsi.Cli.Commands;

/// <summary>
/// Transport and credential options of commands that talk to a registry. Passwords come only from stdin
/// or the environment: a password flag would show up in shell history and <c>ps</c>.
/// </summary>
public sealed class RegistryCommandOptions
{
    public const string UsernameVariable = "MODELCSI_USERNAME";
    public const string PasswordVariable = "MODELCSI_PASSWORD";

    public Option<bool> PlainHttp { get; } = new("--plain-http")
    {
        Description = "Talk HTTP instead of HTTPS to the registry (default: HTTP only for localhost and 127.0.0.0/8)",
    };

    public Option<bool> InsecureSkipTlsVerify { get; } = new("--insecure-skip-tls-verify")
    {
        Description = "Accept any TLS certificate from the registry (test registries only)",
    };

    public Option<string?> Username { get; } = new("--username", "-u")
    {
        Description = $"Registry username (or ${UsernameVariable}); the password is read from stdin with --password-stdin, or from ${PasswordVariable}",
    };

    public Option<bool> PasswordStdin { get; } = new("--password-stdin")
    {
        Description = "Read the registry password from the first line of stdin",
    };

    public void AddTo(Command command)
    {
        ArgumentNullException.ThrowIfNull(command);
        command.Add(PlainHttp);
        command.Add(InsecureSkipTlsVerify);
        command.Add(Username);
        command.Add(PasswordStdin);
    }

    public RegistryClientOptions ClientOptions(ParseResult parseResult, OciReference reference)
    {
        ArgumentNullException.ThrowIfNull(parseResult);
        ArgumentNullException.ThrowIfNull(reference);
        var options = new RegistryClientOptions();
        var plain = parseResult.GetValue(PlainHttp);
        var insecure = parseResult.GetValue(InsecureSkipTlsVerify);
        if (plain || insecure)
        {
            options.Hosts[reference.Registry] = new RegistryHostOptions { PlainHttp = plain ? true : null, SkipTlsVerify = insecure };
        }

        return options;
    }

    /// <summary>The credential from flags, stdin or environment; null for anonymous access.</summary>
    public async Task<RegistryCredential?> CredentialAsync(ParseResult parseResult, CliConsole console, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(parseResult);
        ArgumentNullException.ThrowIfNull(console);
        var username = parseResult.GetValue(Username);
        var fromStdin = parseResult.GetValue(PasswordStdin);
        string? password;
        string source;
        if (fromStdin)
        {
            username ??= console.GetEnvironmentVariable(UsernameVariable);
            if (string.IsNullOrEmpty(username))
            {
                throw new CliUsageException($"--password-stdin needs --username or ${UsernameVariable}");
            }

            password = (await console.In.ReadLineAsync(cancellationToken))?.TrimEnd('\r');
            if (string.IsNullOrEmpty(password))
            {
                throw new CliUsageException("--password-stdin was given but stdin holds no password");
            }

            source = "--password-stdin";
        }
        else
        {
            username ??= console.GetEnvironmentVariable(UsernameVariable);
            password = console.GetEnvironmentVariable(PasswordVariable);
            source = $"${PasswordVariable}";
            if (string.IsNullOrEmpty(username))
            {
                return null;
            }

            if (string.IsNullOrEmpty(password))
            {
                throw new CliUsageException($"username '{username}' given without a password: use --password-stdin or set ${PasswordVariable}");
            }
        }

        return RegistryCredential.Basic(username, password, source);
    }
}
