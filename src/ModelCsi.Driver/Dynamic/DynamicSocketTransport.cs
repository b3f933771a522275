using System.Net;
using Microsoft.AspNetCore.Connections;

namespace ModelCsi.Driver.Dynamic;

/// <summary>The Kestrel transport of the dynamic API: it binds only <see cref="DynamicSocketEndPoint"/>, to the one shared listener.</summary>
internal sealed class DynamicSocketTransport(DynamicSocketListener listener) : IConnectionListenerFactory, IConnectionListenerFactorySelector
{
    public bool CanBind(EndPoint endpoint) => endpoint is DynamicSocketEndPoint;

    public ValueTask<IConnectionListener> BindAsync(EndPoint endpoint, CancellationToken cancellationToken = default) =>
        endpoint is DynamicSocketEndPoint
            ? ValueTask.FromResult<IConnectionListener>(listener)
            : throw new NotSupportedException($"{endpoint} is not the dynamic-volume endpoint");
}
