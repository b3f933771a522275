using System.Security.Cryptography;
using System.Text;
using ModelCsi.Core.Failures;
using ModelCsi.Core.Oci;

namespace ModelCsi.Core.Cache;

/// <summary>
/// Keeps a private model private on a shared node: a model pulled with credentials is served from the cache only
/// to callers whose credentials the registry accepted for the repository they name. A caller seen before needs no
/// request (also with the registry down); a new one needs one successful manifest request. Models pulled
/// anonymously are served to anyone, as the registry would.
/// </summary>
internal sealed class AccessGuard(ModelStore store)
{
    private const string AnonymousGrant = "anonymous";

    /// <summary>
    /// The caller's credentials just fetched the model's manifest from the registry: they are granted. After a pull
    /// (<paramref name="pulled"/>) a credential makes the model private; on a hit it only joins a private model's grants.
    /// </summary>
    public void Granted(string key, OciReference reference, RegistryCredential? credential, bool pulled)
    {
        var access = store.Records.Get(key)?.Access;
        if (access is null && (credential is null || !pulled))
        {
            return;
        }

        store.Records.RecordAccess(key, access =>
        {
            var current = access ?? new CachedAccess { Salt = Convert.ToBase64String(RandomNumberGenerator.GetBytes(16)), Grants = [] };
            return Grant(current, reference, credential);
        });
    }

    /// <summary>
    /// Before a hit is leased: nothing for a public model or a caller already granted; otherwise the caller's
    /// credentials are checked against the registry (a manifest request for the digest in the caller's repository).
    /// </summary>
    public async Task CheckAsync(
        OciReference reference, string key, Func<Task<(RepositoryClient Repository, RegistryCredential? Credential)>> open, CancellationToken cancellationToken)
    {
        if (store.Records.Get(key)?.Access is not { } access)
        {
            return;
        }

        var (repository, credential) = await open();
        if (access.Grants.Contains(HashOf(access.Salt, reference, credential), StringComparer.Ordinal))
        {
            return;
        }

        var digest = CacheKeys.ManifestDigestOf(key);
        try
        {
            await repository.GetManifestAsync(digest, cancellationToken);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            var kind = FailureTable.KindOf(e);
            throw new ModelPullException(
                kind is FailureKind.Unavailable ? kind : FailureKind.PermissionDenied,
                reference.ToString(),
                $"{reference.WithDigest(digest)} is cached from a private repository; these credentials could not be checked against the registry: {e.Message}",
                e)
            { Step = "check access" };
        }

        store.Records.RecordAccess(key, current => Grant(current ?? access, reference, credential));
    }

    private static CachedAccess Grant(CachedAccess access, OciReference reference, RegistryCredential? credential)
    {
        var hash = HashOf(access.Salt, reference, credential);
        return access.Grants.Contains(hash, StringComparer.Ordinal) ? access : access with { Grants = [.. access.Grants, hash] };
    }

    private static string HashOf(string salt, OciReference reference, RegistryCredential? credential)
    {
        var secret = credential is null
            ? AnonymousGrant
            : string.Join('\0', credential.Username ?? "", credential.Password ?? "", credential.IdentityToken ?? "", credential.RegistryToken ?? "");
        var text = $"{salt}\0{reference.Registry}/{reference.Repository}\0{secret}";
        return Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(text)));
    }
}
