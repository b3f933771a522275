using System.Formats.Tar;
using System.IO.Compression;
using System.Text;
using Mono.Unix.Native;
using ModelCsi.Core.ModelPack;
using ModelCsi.Core.Oci;
using Xunit;

namespace ModelCsi.Core.Tests.ModelPack;

public sealed class ModelPackerTests : IDisposable
{
    private readonly ModelRootSandbox _sandbox = new();
    private readonly string _source;

    public ModelPackerTests()
    {
        _source = Path.Join(_sandbox.Base, "source");
        Write("model-00002.safetensors", new string('b', 3000));
        Write("model-00001.safetensors", new string('a', 5000));
        Write("config.json", "{\"architectures\":[\"X\"]}");
        Write("tokenizer/tokenizer.json", "{}");
        Write("tokenizer/merges.txt", "a b");
        Write("README.md", "# model");
        Write("scripts/run.sh", "#!/bin/sh\necho hi\n");
        Write("data/eval.jsonl", "{\"q\":1}\n");
        Write("empty.txt", string.Empty);
        Write("Zeta/deep/nested/notes.md", "deep");
        Assert.Equal(0, Syscall.chmod(Path.Join(_source, "scripts/run.sh"), FilePermissions.S_IRWXU | FilePermissions.S_IRGRP | FilePermissions.S_IXGRP));
    }

    public void Dispose() => _sandbox.Dispose();

    private void Write(string relative, string content)
    {
        var path = Path.Join(_source, relative);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllText(path, content);
    }

    private Task<PackedModel> PackAsync(PackOptions? options = null, string? work = null) =>
        new ModelPacker().PackAsync(_source, work ?? Path.Join(_sandbox.Work, Guid.NewGuid().ToString("N")), options);

    public static TheoryData<LayerForm> Forms => new() { LayerForm.Raw, LayerForm.Tar, LayerForm.TarGzip, LayerForm.TarZstd };

    [Theory]
    [MemberData(nameof(Forms))]
    public async Task Packing_the_same_directory_twice_gives_the_same_manifest_digest(LayerForm form)
    {
        var first = await PackAsync(new PackOptions { Form = form });
        var second = await PackAsync(new PackOptions { Form = form });

        Assert.Equal(first.ManifestDigest, second.ManifestDigest);
        Assert.Equal(first.ManifestBytes, second.ManifestBytes);
        Assert.Equal(Digest.Of(first.ManifestBytes), first.ManifestDigest);
    }

    [Theory]
    [MemberData(nameof(Forms))]
    public async Task Owners_times_and_non_exec_mode_bits_on_disk_do_not_change_the_digest(LayerForm form)
    {
        var before = await PackAsync(new PackOptions { Form = form });
        foreach (var file in Directory.EnumerateFiles(_source, "*", SearchOption.AllDirectories))
        {
            File.SetLastWriteTimeUtc(file, new DateTime(2001, 2, 3, 4, 5, 6, DateTimeKind.Utc));
            Assert.Equal(0, Syscall.chown(file, 4242, 4343));
        }

        Assert.Equal(0, Syscall.chmod(Path.Join(_source, "README.md"), FilePermissions.S_IRUSR | FilePermissions.S_IWUSR));
        var after = await PackAsync(new PackOptions { Form = form });

        Assert.Equal(before.ManifestDigest, after.ManifestDigest);
    }

    [Fact]
    public async Task Changing_one_byte_changes_the_digest()
    {
        var before = await PackAsync();
        Write("README.md", "# modeL");

        var after = await PackAsync();

        Assert.NotEqual(before.ManifestDigest, after.ManifestDigest);
    }

    [Fact]
    public async Task Layers_follow_the_ordinal_order_of_relative_paths_with_kinds_and_annotations()
    {
        var packed = await PackAsync();

        var paths = packed.Manifest.Layers.Select(layer => layer.Annotation(ModelPackAnnotations.CncfFilePath)).ToList();
        Assert.Equal(
            ["README.md", "Zeta/deep/nested/notes.md", "config.json", "data/eval.jsonl", "empty.txt", "model-00001.safetensors",
             "model-00002.safetensors", "scripts/run.sh", "tokenizer/merges.txt", "tokenizer/tokenizer.json"],
            paths);
        Assert.Equal(
            ["doc", "doc", "weight.config", "dataset", "doc", "weight", "weight", "code", "weight.config", "weight.config"],
            packed.Manifest.Layers.Select(layer => layer.MediaType["application/vnd.cncf.model.".Length..^".v1.raw".Length]));
        var run = packed.Manifest.Layers[7];
        Assert.Equal("scripts/run.sh", run.Annotation(ModelPackAnnotations.ImageTitle));
        Assert.Equal("true", run.Annotation(ModelPackAnnotations.CncfMediaTypeUntested));
        Assert.Equal(
            """{"name":"run.sh","mode":493,"uid":0,"gid":0,"size":18,"mtime":"1970-01-01T00:00:00Z","typeflag":0}""",
            run.Annotation(ModelPackAnnotations.CncfFileMetadata));
    }

    [Fact]
    public async Task The_manifest_and_config_use_the_cncf_types_and_list_diff_ids()
    {
        var packed = await PackAsync(new PackOptions
        {
            Descriptor = new ModelDescriptor { Name = "tiny", Version = "1" },
            Config = new ModelProperties { Format = "safetensors" },
        });

        Assert.Equal(OciMediaTypes.ImageManifest, packed.Manifest.MediaType);
        Assert.Equal(ModelPackMediaTypes.CncfManifest, packed.Manifest.ArtifactType);
        Assert.Equal(ModelPackMediaTypes.CncfConfig, packed.Manifest.Config.MediaType);
        Assert.Equal(Digest.Of(packed.ConfigBytes), packed.Manifest.Config.Digest);
        var config = ModelPackJson.ReadConfig(packed.ConfigBytes);
        Assert.Equal("tiny", config.Descriptor?.Name);
        Assert.Equal("1970-01-01T00:00:00Z", config.Descriptor?.CreatedAt);
        Assert.Equal(packed.Manifest.Layers.Select(layer => layer.Digest), config.ModelFs!.DiffIds!);
        Assert.Equal(ArtifactFamily.Cncf, ArtifactClassifier.Classify(ModelPackJson.ReadManifest(packed.ManifestBytes)).Family);
        Assert.DoesNotContain("\\u002B", Encoding.UTF8.GetString(packed.ManifestBytes), StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_cnai_family_writes_cnai_strings_and_snake_case_diff_ids()
    {
        var packed = await PackAsync(new PackOptions { Family = ArtifactFamily.Cnai });

        Assert.Equal(ModelPackMediaTypes.CnaiManifest, packed.Manifest.ArtifactType);
        Assert.Equal(ModelPackMediaTypes.CnaiConfig, packed.Manifest.Config.MediaType);
        Assert.All(packed.Manifest.Layers, layer =>
        {
            Assert.StartsWith("application/vnd.cnai.model.", layer.MediaType, StringComparison.Ordinal);
            Assert.NotNull(layer.Annotation(ModelPackAnnotations.CnaiFilePath));
        });
        Assert.Contains("\"diff_ids\"", Encoding.UTF8.GetString(packed.ConfigBytes), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Compressed_layers_have_the_uncompressed_tar_digest_as_diff_id()
    {
        var packed = await PackAsync(new PackOptions { Form = LayerForm.TarGzip });
        var config = ModelPackJson.ReadConfig(packed.ConfigBytes);

        for (var i = 0; i < packed.Layers.Count; i++)
        {
            await using var blob = packed.Layers[i].Open();
            await using var gzip = new GZipStream(blob, CompressionMode.Decompress);
            using var tar = new MemoryStream();
            await gzip.CopyToAsync(tar);
            Assert.Equal(config.ModelFs!.AllDiffIds[i], Digest.Of(tar.ToArray()));

            // A gzip header carries an mtime (bytes 4-7); it must be zero or digests depend on the clock.
            var header = new byte[10];
            await using (var raw = packed.Layers[i].Open())
            {
                await raw.ReadExactlyAsync(header);
            }

            Assert.Equal(new byte[] { 0x1f, 0x8b, 8, 0, 0, 0, 0, 0 }, header[..8]);
            Assert.Equal(packed.Layers[i].Descriptor.Digest, await Digest.OfFileAsync(packed.Layers[i].ContentPath));
            Assert.Equal(packed.Layers[i].Descriptor.Size, new FileInfo(packed.Layers[i].ContentPath).Length);
        }
    }

    [Fact]
    public async Task A_tar_layer_holds_one_entry_with_constant_owner_and_time()
    {
        var packed = await PackAsync(new PackOptions { Form = LayerForm.Tar });
        var run = packed.Layers.Single(layer => layer.RelativePath == "scripts/run.sh");

        await using var blob = run.Open();
        await using var reader = new TarReader(blob);
        var entry = await reader.GetNextEntryAsync();

        Assert.NotNull(entry);
        Assert.Equal("scripts/run.sh", entry.Name);
        Assert.Equal(TarEntryFormat.Pax, entry.Format);
        Assert.Equal((UnixFileMode)0b111_101_101, entry.Mode);
        Assert.Equal(0, entry.Uid);
        Assert.Equal(string.Empty, ((PosixTarEntry)entry).UserName);
        Assert.Equal(DateTimeOffset.UnixEpoch, entry.ModificationTime);
        Assert.Null(await reader.GetNextEntryAsync());
    }

    [Fact]
    public async Task Per_kind_overrides_choose_the_form()
    {
        var packed = await PackAsync(new PackOptions
        {
            FormByKind = new Dictionary<LayerKind, LayerForm> { [LayerKind.Doc] = LayerForm.TarZstd, [LayerKind.Code] = LayerForm.TarGzip },
        });

        Assert.Equal("application/vnd.cncf.model.doc.v1.tar+zstd", packed.Manifest.Layers[0].MediaType);
        Assert.Equal("application/vnd.cncf.model.code.v1.tar+gzip", packed.Manifest.Layers[7].MediaType);
        Assert.Equal("application/vnd.cncf.model.weight.v1.raw", packed.Manifest.Layers[5].MediaType);
        Assert.Null(packed.Manifest.Layers[0].Annotation(ModelPackAnnotations.ImageTitle));
    }

    [Fact]
    public async Task The_source_date_epoch_sets_mtime_and_created_at()
    {
        var packed = await PackAsync(new PackOptions { SourceDateEpoch = 1_700_000_000, Form = LayerForm.Tar });

        Assert.Equal("2023-11-14T22:13:20Z", ModelPackJson.ReadConfig(packed.ConfigBytes).Descriptor?.CreatedAt);
        Assert.Contains("\"mtime\":\"2023-11-14T22:13:20Z\"", packed.Manifest.Layers[0].Annotation(ModelPackAnnotations.CncfFileMetadata), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Symlinks_in_the_source_are_skipped_and_reported()
    {
        File.CreateSymbolicLink(Path.Join(_source, "link.safetensors"), "model-00001.safetensors");

        var packed = await PackAsync();

        Assert.DoesNotContain(packed.Manifest.Layers, layer => layer.Annotation(ModelPackAnnotations.CncfFilePath) == "link.safetensors");
        Assert.Contains(packed.SkippedEntries, message => message.StartsWith("link.safetensors:", StringComparison.Ordinal));
    }

    [Fact]
    public async Task An_empty_directory_cannot_be_packed()
    {
        var empty = Path.Join(_sandbox.Base, "empty");
        Directory.CreateDirectory(empty);

        await Assert.ThrowsAsync<ModelPackFormatException>(() => new ModelPacker().PackAsync(empty, _sandbox.Work));
    }

    [Theory]
    [MemberData(nameof(Forms))]
    public async Task Packing_then_unpacking_reproduces_every_file_byte_for_byte(LayerForm form)
    {
        var packed = await PackAsync(new PackOptions { Form = form });
        var artifact = ArtifactClassifier.Classify(packed.Manifest);
        var unpacker = new LayerUnpacker();

        foreach (var layer in artifact.Layers)
        {
            var blob = packed.Layers.Single(candidate => candidate.Descriptor.Digest == layer.Descriptor.Digest);
            await using var content = blob.Open();
            await unpacker.UnpackAsync(content, layer.Descriptor, _sandbox.Root, UnpackLimits.Default);
        }

        var expected = Directory.EnumerateFiles(_source, "*", SearchOption.AllDirectories)
            .Select(path => Path.GetRelativePath(_source, path)).Order(StringComparer.Ordinal).ToList();
        var actual = Directory.EnumerateFiles(_sandbox.Root, "*", SearchOption.AllDirectories)
            .Select(path => Path.GetRelativePath(_sandbox.Root, path)).Order(StringComparer.Ordinal).ToList();
        Assert.Equal(expected, actual);
        foreach (var relative in expected)
        {
            Assert.Equal(File.ReadAllBytes(Path.Join(_source, relative)), File.ReadAllBytes(_sandbox.InRoot(relative)));
        }

        Assert.Equal(0b101_101_101, ModelRootSandbox.ModeOf(_sandbox.InRoot("scripts/run.sh")));
        Assert.Equal(0b100_100_100, ModelRootSandbox.ModeOf(_sandbox.InRoot("README.md")));
        _sandbox.AssertNothingOutsideRoot();
    }
}
