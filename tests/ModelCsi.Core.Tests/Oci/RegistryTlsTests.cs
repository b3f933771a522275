using ModelCsi.Core.Oci;
using ModelCsi.TestSupport;
using Xunit;

namespace ModelCsi.Core.Tests.Oci;

/// <summary>A real registry serving HTTPS with a certificate from a private CA, with and without required client certificates.</summary>
public sealed class RegistryTlsTests : IAsyncLifetime
{
    private readonly TempDirectory _temp = new();
    private TestCertificates? _certificates;
    private RegistryProcess? _https;
    private RegistryProcess? _mutual;

    private TestCertificates Certificates => _certificates!;

    public async Task InitializeAsync()
    {
        _certificates = TestCertificates.Create(_temp.Combine("pki"));
        _https = await RegistryProcess.StartAsync(new RegistryProcessOptions { Tls = _certificates });
        _mutual = await RegistryProcess.StartAsync(new RegistryProcessOptions { Tls = _certificates, RequireClientCertificate = true });
    }

    public async Task DisposeAsync()
    {
        await _https!.DisposeAsync();
        await _mutual!.DisposeAsync();
        _temp.Dispose();
    }

    private static RegistryClient Client(string host, RegistryHostOptions settings)
    {
        var options = OciTestContent.QuickRetries(maxRetries: 0);
        settings.PlainHttp = false;
        options.Hosts[host] = settings;
        return new RegistryClient(options);
    }

    private static Task PingAsync(RegistryClient client, string host) =>
        client.Repository(OciReference.Parse($"{host}/any/repo")).PingAsync();

    [Fact]
    public async Task The_ca_bundle_makes_the_private_certificate_trusted()
    {
        using var client = Client(_https!.Host, new RegistryHostOptions { CaBundlePath = Certificates.CaPath });

        await PingAsync(client, _https.Host);
    }

    [Fact]
    public async Task Without_the_ca_bundle_the_private_certificate_is_refused()
    {
        using var client = Client(_https!.Host, new RegistryHostOptions());

        var error = await Assert.ThrowsAsync<RegistryUnavailableException>(() => PingAsync(client, _https.Host));

        Assert.Contains("SSL", error.Message, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public async Task A_client_certificate_is_presented_when_the_registry_requires_one()
    {
        using var withCertificate = Client(_mutual!.Host, new RegistryHostOptions
        {
            CaBundlePath = Certificates.CaPath,
            ClientCertificatePath = Certificates.ClientCertificatePath,
            ClientKeyPath = Certificates.ClientKeyPath,
        });
        using var without = Client(_mutual.Host, new RegistryHostOptions { CaBundlePath = Certificates.CaPath });

        await PingAsync(withCertificate, _mutual.Host);
        await Assert.ThrowsAsync<RegistryUnavailableException>(() => PingAsync(without, _mutual.Host));
    }
}
