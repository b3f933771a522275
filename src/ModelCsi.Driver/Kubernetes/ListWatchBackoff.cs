namespace ModelCsi.Driver.Kubernetes;

/// <summary>How long a list+watch waits before reconnecting after a failure: doubling from Initial up to Max.</summary>
public sealed record ListWatchBackoff(TimeSpan Initial, TimeSpan Max)
{
    public static ListWatchBackoff Default { get; } = new(TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(30));

    public TimeSpan After(int failures) =>
        TimeSpan.FromTicks(Math.Min(Max.Ticks, Initial.Ticks * (1L << Math.Clamp(failures - 1, 0, 20))));
}
