using System.Formats.Tar;
using ModelCsi.Core.ModelPack;
using ModelCsi.Core.Oci;
using ModelCsi.TestSupport;
using Xunit;

namespace ModelCsi.Core.Tests.ModelPack;

/// <summary>
/// Many small files in one tar layer, as a tokenizer or a sharded checkpoint has them. Also the harness for
/// counting system calls per extracted file: <c>MODELCSI_SMALL_FILES=5000 strace -f -c dotnet test ...</c>,
/// minus the same run with 0 files, divided by 5,000.
/// </summary>
public sealed class SmallFileExtractionTests : IDisposable
{
    private readonly TempDirectory _temp = new("modelcsi-small-files");

    public void Dispose() => _temp.Dispose();

    [Fact]
    public async Task A_tar_of_thousands_of_small_files_extracts_every_one_with_its_content_mode_and_mtime()
    {
        var count = int.TryParse(Environment.GetEnvironmentVariable("MODELCSI_SMALL_FILES"), out var n) ? n : 2000;
        var mtime = new DateTimeOffset(2021, 3, 4, 5, 6, 7, TimeSpan.Zero);
        var entries = new List<TarEntry>();
        for (var d = 0; d < Math.Max(1, count / 100); d++)
        {
            entries.Add(LayerBlob.Directory($"dir{d}/"));
        }

        for (var i = 0; i < count; i++)
        {
            var file = LayerBlob.File($"dir{i / 100}/file{i}.txt", $"content of file {i}\n", i % 3 == 0 ? (UnixFileMode)0b111_101_101 : (UnixFileMode)0b110_100_100);
            file.ModificationTime = mtime.AddSeconds(i);
            entries.Add(file);
        }

        var blob = LayerBlob.Tar(entries, recordPadding: true);
        var layer = OciTestContent.Describe(blob, "application/vnd.cncf.model.weight.v1.tar");
        var root = _temp.Combine("root");
        Directory.CreateDirectory(root);

        var result = await new LayerUnpacker().UnpackAsync(new MemoryStream(blob), layer, root, UnpackLimits.Default);

        Assert.Equal(count, result.FilesWritten);
        for (var i = 0; i < count; i += Math.Max(1, count / 50))
        {
            var path = Path.Combine(root, $"dir{i / 100}", $"file{i}.txt");
            Assert.Equal($"content of file {i}\n", File.ReadAllText(path));
            Assert.Equal(mtime.AddSeconds(i).UtcDateTime, File.GetLastWriteTimeUtc(path));
            Assert.Equal(i % 3 == 0 ? ModelFiles.SealedExecutableMode : ModelFiles.SealedFileMode, File.GetUnixFileMode(path));
        }
    }
}
