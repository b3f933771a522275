using Xunit;

namespace ModelCsi.Driver.Tests.Support;

/// <summary>A measurement, not a check: it reports figures and runs only when MODELCSI_MEASURE=1.</summary>
public sealed class MeasurementFactAttribute : FactAttribute
{
    public MeasurementFactAttribute()
    {
        if (Environment.GetEnvironmentVariable("MODELCSI_MEASURE") != "1")
        {
            Skip = "a measurement: run with MODELCSI_MEASURE=1";
        }
    }
}
