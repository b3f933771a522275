namespace ModelCsi.Core.Signing;

/// <summary>
/// The <c>signatures:</c> section of the driver's configuration: ordered rules, the first whose pattern matches
/// a reference applies. No matching rule means mode off. Volume attributes and StorageClass parameters never
/// change it.
/// </summary>
public sealed class SignaturePolicyOptions
{
    public List<SignatureRuleOptions> Rules { get; set; } = [];
}
