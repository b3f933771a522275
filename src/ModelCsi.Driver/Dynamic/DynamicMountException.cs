namespace ModelCsi.Driver.Dynamic;

/// <summary>A socket request the volume refuses: a bad name or reference, a taken name, an unknown name.</summary>
internal sealed class DynamicMountException(DynamicMountError error, string message) : Exception(message)
{
    public DynamicMountError Error { get; } = error;
}
