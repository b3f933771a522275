namespace ModelCsi.Driver.Dynamic;

/// <summary>
/// The lifetime of the dynamic API's host: started and stopped by the driver, never by signals. The default
/// console lifetime would hook SIGTERM in that host too and race the driver's own shutdown.
/// </summary>
internal sealed class DetachedHostLifetime : IHostLifetime
{
    public Task WaitForStartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
