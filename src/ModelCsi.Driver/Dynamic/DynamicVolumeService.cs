using Microsoft.Extensions.Options;
using ModelCsi.Core.State;
using ModelCsi.Driver.Options;

namespace ModelCsi.Driver.Dynamic;

/// <summary>Takes up the dynamic volumes of the published-volume records at start, and stops their APIs at shutdown.</summary>
internal sealed class DynamicVolumeService(IServiceProvider services, IOptions<DriverOptions> options) : IHostedService
{
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        // A controller-only process has no records and no dynamic volumes.
        if (!options.Value.ServesNode)
        {
            return;
        }
        var volumes = services.GetRequiredService<IPublishedVolumeStore>();
        var dynamic = services.GetRequiredService<DynamicVolumes>();
        foreach (var record in volumes.All.Where(v => v.Dynamic))
        {
            await dynamic.RestoreAsync(record, cancellationToken);
        }
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        if (options.Value.ServesNode)
        {
            await services.GetRequiredService<DynamicVolumes>().DisposeAsync();
        }
    }
}
