namespace ModelCsi.Core.Oci.Credentials;

/// <summary>One place registry credentials can come from; <see cref="CredentialResolver"/> asks them in order.</summary>
public interface ICredentialSource
{
    /// <summary>Short name for logs, e.g. <c>CSI secrets</c>.</summary>
    string Name { get; }

    /// <summary>The credential for <paramref name="registry"/> (<c>host[:port]</c>), or null when this source has none.</summary>
    Task<RegistryCredential?> GetAsync(string registry, CredentialContext context, CancellationToken cancellationToken = default);
}
