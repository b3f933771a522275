using System.Net;

namespace ModelCsi.Driver.Dynamic;

/// <summary>
/// The one Kestrel endpoint that stands for every dynamic volume's socket. Kestrel binds its listeners once, at
/// start; the sockets behind this endpoint come and go with the volumes (see <see cref="DynamicSocketListener"/>).
/// </summary>
internal sealed class DynamicSocketEndPoint : EndPoint
{
    public override string ToString() => "dynamic-volume sockets";
}
