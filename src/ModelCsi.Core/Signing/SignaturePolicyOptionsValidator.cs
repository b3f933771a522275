using Microsoft.Extensions.Options;

namespace ModelCsi.Core.Signing;

/// <summary>Fails start-up (with <c>ValidateOnStart()</c>) when a rule or key of the <c>signatures:</c> section is unusable.</summary>
public sealed class SignaturePolicyOptionsValidator : IValidateOptions<SignaturePolicyOptions>
{
    public ValidateOptionsResult Validate(string? name, SignaturePolicyOptions options)
    {
        try
        {
            SignaturePolicy.Create(options);
            return ValidateOptionsResult.Success;
        }
        catch (Exception e) when (e is FormatException or SignatureKeyException)
        {
            return ValidateOptionsResult.Fail(e.Message);
        }
    }
}
