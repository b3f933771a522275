using System.Net;
using Microsoft.Extensions.Configuration;
using ModelCsi.Core.Cache;
using ModelCsi.Core.Transfer;
using ModelCsi.Driver.Options;
using ModelCsi.TestSupport;
using Xunit;

namespace ModelCsi.Driver.Tests;

public sealed class CacheOptionsTests : IDisposable
{
    private readonly TempDirectory _temp = new("modelcsi-cache-options");

    public void Dispose() => _temp.Dispose();

    [Fact]
    public void The_cache_section_of_the_yaml_config_binds_sizes_percentages_and_intervals()
    {
        var path = _temp.Combine("config.yaml");
        File.WriteAllText(path, """
            cache:
              maxSize: 200Gi
              minFreePercent: 10
              gcInterval: "00:05:00"
            """);
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(DriverConfiguration.ReadYaml(path)).Build();

        var cache = configuration.GetSection("cache").Get<ModelCacheOptions>()!;

        Assert.Equal(200L << 30, cache.MaxSize.Bytes);
        Assert.Equal(10, cache.MinFreePercent);
        Assert.Equal(TimeSpan.FromMinutes(5), cache.GcInterval);
    }

    [Fact]
    public void The_fetch_subsection_of_the_cache_config_binds_the_download_knobs_and_keeps_defaults_for_the_rest()
    {
        var path = _temp.Combine("fetch.yaml");
        File.WriteAllText(path, """
            cache:
              fetch:
                bufferSize: 4194304
                bufferCount: 8
                writebackInterval: 67108864
                timeout: "01:00:00"
                minimumBytesPerSecond: 0
            """);
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(DriverConfiguration.ReadYaml(path)).Build();

        var fetch = configuration.GetSection("cache").Get<ModelCacheOptions>()!.Fetch;

        Assert.Equal(4 << 20, fetch.BufferSize);
        Assert.Equal(8, fetch.BufferCount);
        Assert.Equal(64L << 20, fetch.WritebackInterval);
        Assert.Equal(TimeSpan.FromHours(1), fetch.Timeout);
        Assert.Equal(0, fetch.MinimumBytesPerSecond);
        Assert.Equal(new LayerFetchOptions().MaxReconnects, fetch.MaxReconnects);
        fetch.Validate();
    }

    [Theory]
    [InlineData(":9090", "0.0.0.0", 9090)]
    [InlineData("127.0.0.1:0", "127.0.0.1", 0)]
    [InlineData("[::1]:9100", "::1", 9100)]
    [InlineData("localhost:9090", "127.0.0.1", 9090)]
    public void Metrics_addresses_parse_as_host_and_port(string address, string ip, int port)
    {
        Assert.True(MetricsEndpoint.TryParse(address, out var endpoint));
        Assert.Equal(IPAddress.Parse(ip), endpoint.Address);
        Assert.Equal(port, endpoint.Port);
    }

    [Theory]
    [InlineData("9090")]
    [InlineData("host.example:9090")]
    [InlineData(":99999")]
    [InlineData("127.0.0.1:")]
    public void Metrics_addresses_that_are_not_ip_and_port_are_refused(string address) =>
        Assert.False(MetricsEndpoint.TryParse(address, out _));
}
