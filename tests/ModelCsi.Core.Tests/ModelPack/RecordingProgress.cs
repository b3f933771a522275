using System.Collections.Concurrent;
using ModelCsi.Core.ModelPack;

namespace ModelCsi.Core.Tests.ModelPack;

/// <summary>Keeps every progress report, synchronously (Progress&lt;T&gt; would post them later).</summary>
internal sealed class RecordingProgress : IProgress<TransferProgress>
{
    public ConcurrentQueue<TransferProgress> Reports { get; } = new();

    public void Report(TransferProgress value) => Reports.Enqueue(value);
}
