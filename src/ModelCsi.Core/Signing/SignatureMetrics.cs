using System.Text;
using Prometheus;

namespace ModelCsi.Core.Signing;

/// <summary>The signature check's Prometheus instruments. One instance per registry; tests pass their own registry.</summary>
public sealed class SignatureMetrics
{
    public SignatureMetrics(CollectorRegistry registry)
    {
        Verifications = Metrics.WithCustomRegistry(registry).CreateCounter(
            "modelcsi_signature_verifications_total",
            "Signature checks of model manifests by result (verified, no_signature, bad_signature, digest_mismatch, reference_mismatch, untrusted_key, keyless). Rules in mode off are not counted.",
            new CounterConfiguration { LabelNames = ["result"] });
    }

    public Counter Verifications { get; }

    /// <summary>Instruments on a registry of their own, for callers that do not export them.</summary>
    public static SignatureMetrics Unexported() => new(Metrics.NewCustomRegistry());

    public void Count(SignatureOutcome outcome) => Verifications.WithLabels(Label(outcome)).Inc();

    /// <summary>The outcome in snake_case, as the metric label and in messages.</summary>
    public static string Label(SignatureOutcome outcome)
    {
        var name = outcome.ToString();
        var label = new StringBuilder(name.Length + 4);
        foreach (var c in name)
        {
            if (char.IsUpper(c) && label.Length > 0)
            {
                label.Append('_');
            }

            label.Append(char.ToLowerInvariant(c));
        }

        return label.ToString();
    }
}
