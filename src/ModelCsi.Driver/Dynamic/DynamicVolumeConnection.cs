namespace ModelCsi.Driver.Dynamic;

/// <summary>
/// The connection feature that says which volume a connection belongs to. Only the listener sets it, when it
/// accepts the connection on that volume's socket; nothing a client sends can change it. This is the whole of the
/// isolation between volumes: the API reaches a volume through this feature and has no way to name another.
/// </summary>
internal sealed class DynamicVolumeConnection(DynamicVolumeSocket socket)
{
    public DynamicVolumeSocket Socket { get; } = socket;

    public DynamicVolume Volume => Socket.Volume;
}
