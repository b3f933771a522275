using System.Collections.Concurrent;

namespace ModelCsi.Core.Oci;

/// <summary>
/// The last authentication challenge of each endpoint (<c>host[:port]</c>), so later requests send
/// credentials up front instead of meeting a 401 each time, and the scopes registries asked for instead
/// of ours. Bounded: references can name any number of hosts.
/// </summary>
internal sealed class ChallengeCache
{
    private const int MaxEntries = 1024;
    private readonly ConcurrentDictionary<string, Entry> _challenges = new(StringComparer.OrdinalIgnoreCase);
    private readonly ConcurrentDictionary<(string Authority, string Scope), string> _scopes = new();

    public Entry? For(string authority) => _challenges.TryGetValue(authority, out var entry) ? entry : null;

    public void Remember(string authority, Entry entry)
    {
        if (_challenges.Count >= MaxEntries)
        {
            _challenges.Clear();
        }

        _challenges[authority] = entry;
    }

    /// <summary>The scope to ask tokens for: the one the registry named in its challenge, else ours.</summary>
    public string ScopeFor(string authority, string scope) =>
        _scopes.TryGetValue((authority, scope), out var fromChallenge) ? fromChallenge : scope;

    public void RememberScope(string authority, string scope, string fromChallenge)
    {
        if (_scopes.Count >= MaxEntries)
        {
            _scopes.Clear();
        }

        _scopes[(authority, scope)] = fromChallenge;
    }

    /// <param name="RealmGuarded">The token realm is on another host and must not resolve to an internal address.</param>
    internal sealed record Entry(AuthChallenge Challenge, bool RealmGuarded);
}
