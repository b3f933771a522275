using System.Diagnostics.CodeAnalysis;

namespace ModelCsi.Core.ModelPack;

/// <summary>
/// A parsed model layer media type: <c>application/vnd.{cncf|cnai}.model.&lt;kind&gt;.v1.&lt;form&gt;</c>
/// or <c>application/vnd.kitops.modelkit.&lt;kind&gt;.v1.&lt;form&gt;</c>.
/// </summary>
public readonly record struct LayerMediaType(ArtifactFamily Family, LayerKind Kind, LayerForm Form)
{
    private const string VersionSeparator = ".v1.";

    public bool IsCompressed => Form is LayerForm.TarGzip or LayerForm.TarZstd;

    public static bool TryParse([NotNullWhen(true)] string? mediaType, out LayerMediaType result)
    {
        result = default;
        if (mediaType is null)
        {
            return false;
        }

        ArtifactFamily family;
        string rest;
        if (mediaType.StartsWith(ModelPackMediaTypes.CncfLayerPrefix, StringComparison.Ordinal))
        {
            family = ArtifactFamily.Cncf;
            rest = mediaType[ModelPackMediaTypes.CncfLayerPrefix.Length..];
        }
        else if (mediaType.StartsWith(ModelPackMediaTypes.CnaiLayerPrefix, StringComparison.Ordinal))
        {
            family = ArtifactFamily.Cnai;
            rest = mediaType[ModelPackMediaTypes.CnaiLayerPrefix.Length..];
        }
        else if (mediaType.StartsWith(ModelPackMediaTypes.KitOpsLayerPrefix, StringComparison.Ordinal))
        {
            family = ArtifactFamily.KitOps;
            rest = mediaType[ModelPackMediaTypes.KitOpsLayerPrefix.Length..];
        }
        else
        {
            return false;
        }

        var separator = rest.IndexOf(VersionSeparator, StringComparison.Ordinal);
        if (separator <= 0)
        {
            return false;
        }

        var kindText = rest[..separator];
        var formText = rest[(separator + VersionSeparator.Length)..];
        LayerKind? kind = family == ArtifactFamily.KitOps ? ParseKitOpsKind(kindText) : ParseModelPackKind(kindText);
        LayerForm? form = formText switch
        {
            "raw" when family != ArtifactFamily.KitOps => LayerForm.Raw,
            "tar" => LayerForm.Tar,
            "tar+gzip" => LayerForm.TarGzip,
            "tar+zstd" => LayerForm.TarZstd,
            _ => null,
        };
        if (kind is null || form is null)
        {
            return false;
        }

        result = new LayerMediaType(family, kind.Value, form.Value);
        return true;
    }

    public static LayerMediaType Parse(string mediaType) =>
        TryParse(mediaType, out var result)
            ? result
            : throw new FormatException($"'{mediaType}' is not a ModelPack or KitOps layer media type");

    /// <summary>The media type string; ModelPack kinds only exist in the cncf/cnai families.</summary>
    public override string ToString()
    {
        var form = Form switch
        {
            LayerForm.Raw => "raw",
            LayerForm.Tar => "tar",
            LayerForm.TarGzip => "tar+gzip",
            LayerForm.TarZstd => "tar+zstd",
            _ => throw new InvalidOperationException($"unknown layer form {Form}"),
        };
        return Family switch
        {
            ArtifactFamily.Cncf => $"{ModelPackMediaTypes.CncfLayerPrefix}{ModelPackKindText(Kind)}{VersionSeparator}{form}",
            ArtifactFamily.Cnai => $"{ModelPackMediaTypes.CnaiLayerPrefix}{ModelPackKindText(Kind)}{VersionSeparator}{form}",
            ArtifactFamily.KitOps => $"{ModelPackMediaTypes.KitOpsLayerPrefix}{KitOpsKindText(Kind)}{VersionSeparator}{form}",
            _ => throw new InvalidOperationException($"unknown family {Family}"),
        };
    }

    private static LayerKind? ParseModelPackKind(string text) => text switch
    {
        "weight" => LayerKind.Weight,
        "weight.config" => LayerKind.WeightConfig,
        "doc" => LayerKind.Doc,
        "code" => LayerKind.Code,
        "dataset" => LayerKind.Dataset,
        _ => null,
    };

    private static LayerKind? ParseKitOpsKind(string text) => text switch
    {
        "model" => LayerKind.Weight,
        "modelpart" => LayerKind.ModelPart,
        "code" => LayerKind.Code,
        "dataset" => LayerKind.Dataset,
        "docs" => LayerKind.Doc,
        "prompts" => LayerKind.Prompts,
        _ => null,
    };

    private static string ModelPackKindText(LayerKind kind) => kind switch
    {
        LayerKind.Weight => "weight",
        LayerKind.WeightConfig => "weight.config",
        LayerKind.Doc => "doc",
        LayerKind.Code => "code",
        LayerKind.Dataset => "dataset",
        _ => throw new InvalidOperationException($"ModelPack has no layer kind for {kind}"),
    };

    private static string KitOpsKindText(LayerKind kind) => kind switch
    {
        LayerKind.Weight => "model",
        LayerKind.ModelPart => "modelpart",
        LayerKind.Code => "code",
        LayerKind.Dataset => "dataset",
        LayerKind.Doc => "docs",
        LayerKind.Prompts => "prompts",
        _ => throw new InvalidOperationException($"KitOps has no layer kind for {kind}"),
    };
}
