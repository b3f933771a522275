namespace ModelCsi.Driver.ModelCaches;

/// <summary>Reports on the caller's thread (unlike <see cref="Progress{T}"/>), so no report can arrive after the pull has returned.</summary>
internal sealed class WarmProgress(Action<long> report) : IProgress<long>
{
    public void Report(long value) => report(value);
}
