using ModelCsi.Core.Oci;

namespace ModelCsi.Core.Signing;

/// <summary>
/// The compiled <c>signatures:</c> rules. The first rule whose pattern matches <c>host/repository</c> applies; a rule
/// named <c>default</c> without a pattern applies when none matches; otherwise the mode is off. Built once at start
/// (keys are read then), so a policy change takes effect at restart.
/// </summary>
public sealed class SignaturePolicy
{
    public const string DefaultRuleName = "default";
    private const int MaxRules = 256;
    private const int MaxKeysPerRule = 64;

    private readonly IReadOnlyList<SignatureRule> _rules;
    private readonly SignatureRule? _default;

    private SignaturePolicy(IReadOnlyList<SignatureRule> rules, SignatureRule? fallback)
    {
        _rules = rules;
        _default = fallback;
    }

    /// <summary>A policy with no rules: everything is off.</summary>
    public static SignaturePolicy None { get; } = new([], null);

    public IReadOnlyList<SignatureRule> Rules => _rules;

    /// <summary>True when some rule checks signatures (warn or enforce).</summary>
    public bool ChecksAnything => _rules.Any(rule => rule.Mode != SignatureMode.Off) || _default is { Mode: not SignatureMode.Off };

    /// <summary>One rule for every repository (the CLI's <c>--key</c>).</summary>
    public static SignaturePolicy ForKeys(string name, SignatureMode mode, IReadOnlyList<TrustedKey> keys) =>
        new([], new SignatureRule(name, null, mode, keys));

    /// <exception cref="FormatException">A rule is invalid; the message names it (<c>signatures.rules[i]</c>).</exception>
    /// <exception cref="SignatureKeyException">A key cannot be read or used; the message names the rule and the key.</exception>
    public static SignaturePolicy Create(SignaturePolicyOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (options.Rules.Count > MaxRules)
        {
            throw new FormatException($"signatures.rules has {options.Rules.Count} rules; at most {MaxRules} are allowed");
        }

        var rules = new List<SignatureRule>();
        SignatureRule? fallback = null;
        var names = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < options.Rules.Count; i++)
        {
            var where = $"signatures.rules[{i}]";
            var rule = options.Rules[i];
            var name = string.IsNullOrWhiteSpace(rule.Name) ? where : rule.Name.Trim();
            if (!names.Add(name))
            {
                throw new FormatException($"{where}: the name '{name}' is used by an earlier rule");
            }

            if (!Enum.IsDefined(rule.Mode))
            {
                throw new FormatException($"{where} ({name}): mode must be enforce, warn or off");
            }

            RepositoryPattern? pattern = null;
            if (string.IsNullOrWhiteSpace(rule.Match))
            {
                if (name != DefaultRuleName)
                {
                    throw new FormatException($"{where} ({name}): match is required (only the rule named '{DefaultRuleName}' may leave it out)");
                }
            }
            else
            {
                try
                {
                    pattern = RepositoryPattern.Parse(rule.Match);
                }
                catch (FormatException e)
                {
                    throw new FormatException($"{where} ({name}): {e.Message}", e);
                }
            }

            if (rule.Keys.Count > MaxKeysPerRule)
            {
                throw new FormatException($"{where} ({name}): {rule.Keys.Count} keys; at most {MaxKeysPerRule} are allowed");
            }

            if (rule.Mode != SignatureMode.Off && rule.Keys.Count == 0)
            {
                throw new FormatException($"{where} ({name}): mode {rule.Mode.ToString().ToLowerInvariant()} needs at least one key (keyless signatures are not supported)");
            }

            var keys = new List<TrustedKey>();
            foreach (var key in rule.Keys)
            {
                try
                {
                    keys.Add(TrustedKey.Load(key));
                }
                catch (SignatureKeyException e)
                {
                    throw new SignatureKeyException($"{where} ({name}): {e.Message}", e);
                }
            }

            var compiled = new SignatureRule(name, pattern, rule.Mode, keys);
            if (pattern is null)
            {
                fallback = compiled;
            }
            else
            {
                rules.Add(compiled);
            }
        }

        return new SignaturePolicy(rules, fallback);
    }

    /// <summary>The rule that applies to <paramref name="reference"/>, or null (mode off).</summary>
    public SignatureRule? RuleFor(OciReference reference)
    {
        ArgumentNullException.ThrowIfNull(reference);
        return _rules.FirstOrDefault(rule => rule.Matches(reference.Registry, reference.Repository)) ?? _default;
    }
}
