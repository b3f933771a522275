namespace ModelCsi.Core.Oci;

/// <summary>
/// Credentials for one registry: a username and password, an identity token (OAuth2 refresh token, as
/// docker <c>config.json</c> stores it), or a registry token used directly as the bearer token.
/// <see cref="ToString"/> never prints secrets.
/// </summary>
public sealed record RegistryCredential
{
    public string? Username { get; init; }

    public string? Password { get; init; }

    public string? IdentityToken { get; init; }

    public string? RegistryToken { get; init; }

    /// <summary>Where the credential came from (for logs and messages), e.g. <c>secret default/pull</c>.</summary>
    public string? Source { get; init; }

    public static RegistryCredential Basic(string username, string password, string? source = null) =>
        new() { Username = username, Password = password, Source = source };

    public bool HasUsernamePassword => Username is not null && Password is not null;

    /// <summary>
    /// A description safe to log: the kind of credential and its source. Not the username: it is half of the
    /// credential and often names a person or a robot account an attacker would target.
    /// </summary>
    public string Describe()
    {
        var kind = RegistryToken is not null ? "registry token"
            : IdentityToken is not null ? "identity token"
            : "username and password";
        return Source is null ? kind : $"{kind} from {Source}";
    }

    public override string ToString() => $"RegistryCredential {{ {Describe()} }}";
}
