namespace ModelCsi.Core.Signing;

/// <summary>One compiled rule: which repositories, what mode, which keys. A null pattern matches everything.</summary>
public sealed record SignatureRule(string Name, RepositoryPattern? Pattern, SignatureMode Mode, IReadOnlyList<TrustedKey> Keys)
{
    public bool Matches(string host, string repository) => Pattern is null || Pattern.Matches(host, repository);
}
