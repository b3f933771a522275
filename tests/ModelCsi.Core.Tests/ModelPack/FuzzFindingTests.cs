using ModelCsi.Core.ModelPack;
using Xunit;

namespace ModelCsi.Core.Tests.ModelPack;

/// <summary>
/// Every layer the fuzzer found crashing the unpacker (with InvalidDataException, EndOfStreamException or
/// ZstdException, INTERNAL for the driver) is refused as a ModelPack error, with nothing outside the model root.
/// New findings: drop the input into ModelPack/FuzzFindings/TARGET/.
/// </summary>
public sealed class FuzzFindingTests : IDisposable
{
    private static readonly Dictionary<string, string> MediaTypes = new(StringComparer.Ordinal)
    {
        ["tar"] = "application/vnd.cncf.model.weight.v1.tar",
        ["tar-gzip"] = "application/vnd.cncf.model.weight.v1.tar+gzip",
        ["tar-zstd"] = "application/vnd.cncf.model.weight.v1.tar+zstd",
    };

    private readonly ModelRootSandbox _sandbox = new();

    public void Dispose() => _sandbox.Dispose();

    public static TheoryData<string, string> Findings()
    {
        var data = new TheoryData<string, string>();
        foreach (var target in MediaTypes.Keys)
        {
            foreach (var file in Directory.EnumerateFiles(Path.Join(AppContext.BaseDirectory, "ModelPack", "FuzzFindings", target)).Order(StringComparer.Ordinal))
            {
                data.Add(target, Path.GetFileName(file));
            }
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(Findings))]
    public async Task A_layer_the_fuzzer_found_is_refused_as_a_modelpack_error(string target, string file)
    {
        var blob = await File.ReadAllBytesAsync(Path.Join(AppContext.BaseDirectory, "ModelPack", "FuzzFindings", target, file));
        var descriptor = LayerBlob.Descriptor(MediaTypes[target], blob,
            new Dictionary<string, string> { [ModelPackAnnotations.CncfFilePath] = "model" });

        await Assert.ThrowsAnyAsync<ModelPackException>(() => LayerBlob.UnpackAsync(blob, descriptor, _sandbox.Root));

        _sandbox.AssertNothingOutsideRoot();
    }
}
