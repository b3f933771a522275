using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Http.Features;

namespace ModelCsi.Driver.Dynamic;

/// <summary>What Kestrel runs for each request on a dynamic volume's socket: the API and nothing else (no host, no middleware).</summary>
internal sealed class DynamicVolumeHttpApplication : IHttpApplication<HttpContext>
{
    public HttpContext CreateContext(IFeatureCollection contextFeatures) => new DefaultHttpContext(contextFeatures);

    public Task ProcessRequestAsync(HttpContext context) => DynamicVolumeApi.HandleAsync(context);

    public void DisposeContext(HttpContext context, Exception? exception)
    {
    }
}
