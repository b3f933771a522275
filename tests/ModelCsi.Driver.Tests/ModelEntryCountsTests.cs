using Microsoft.Extensions.Logging.Abstractions;
using ModelCsi.Core.Mounting;
using ModelCsi.Driver.Grpc;
using ModelCsi.TestSupport;
using Xunit;

namespace ModelCsi.Driver.Tests;

/// <summary>A model directory's entries are walked once per directory (device and inode), not on every publish.</summary>
public sealed class ModelEntryCountsTests : IDisposable
{
    private readonly TempDirectory _temp = new();
    private readonly ModelEntryCounts _counts = new(new LibcMounter(NullLogger<LibcMounter>.Instance));

    public void Dispose() => _temp.Dispose();

    private string Model()
    {
        var model = _temp.Combine("model");
        Directory.CreateDirectory(Path.Combine(model, "tokenizer"));
        File.WriteAllText(Path.Combine(model, "config.json"), "{}");
        File.WriteAllText(Path.Combine(model, "tokenizer", "vocab.json"), "{}");
        return model;
    }

    [Fact]
    public void A_model_is_counted_once_and_the_count_is_reused_for_later_publishes()
    {
        var model = Model();

        var first = _counts.Count(model);
        File.WriteAllText(Path.Combine(model, "not-walked-again"), "x");
        var second = _counts.Count(model);

        Assert.Equal(4, first);
        Assert.Equal(first, second);
    }
}
