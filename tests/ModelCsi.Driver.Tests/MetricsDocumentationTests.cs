using System.Text.RegularExpressions;
using Csi.V1;
using Grpc.Core;
using ModelCsi.Driver.Tests.Support;
using Xunit;

namespace ModelCsi.Driver.Tests;

/// <summary>What <c>/metrics</c> serves, against the README's metrics table an SRE builds alerts from.</summary>
public sealed partial class MetricsDocumentationTests(DriverProcessFixture fixture) : IClassFixture<DriverProcessFixture>
{
    [Fact]
    public async Task The_readme_metrics_table_lists_exactly_the_families_metrics_serves_with_their_types()
    {
        var served = Families(await ScrapeAsync());
        var documented = Documented();

        Assert.Equal(documented.OrderBy(p => p.Key), served.OrderBy(p => p.Key));
    }

    [Fact]
    public async Task Rpc_counters_carry_the_csi_sidecars_label_names_and_build_info_names_this_build()
    {
        await new Identity.IdentityClient(fixture.Driver.Channel).ProbeAsync(new ProbeRequest(), new CallOptions(deadline: DateTime.UtcNow + DriverProcess.Patience));

        var metrics = await ScrapeAsync();

        Assert.Contains("modelcsi_csi_requests_total{method_name=\"Probe\",grpc_status_code=\"OK\"}", metrics, StringComparison.Ordinal);
        Assert.Matches(@"modelcsi_build_info\{version=""\d+\.\d+\.\d+[^""]*"",commit=""[^""]+""\} 1", metrics);
        Assert.Matches(@"(?m)^modelcsi_cache_free_bytes [1-9]", metrics);
        Assert.Matches(@"(?m)^modelcsi_cache_limit_bytes [1-9]", metrics);
    }

    private async Task<string> ScrapeAsync()
    {
        using var http = new HttpClient { BaseAddress = new Uri(fixture.Driver.MetricsUrl!), Timeout = DriverProcess.Patience };
        return await http.GetStringAsync(new Uri("/metrics", UriKind.Relative));
    }

    private static Dictionary<string, string> Families(string exposition) =>
        TypeLine().Matches(exposition).ToDictionary(m => m.Groups["name"].Value, m => m.Groups["type"].Value, StringComparer.Ordinal);

    private static Dictionary<string, string> Documented()
    {
        var readme = File.ReadAllText(RepositoryFile("README.md"));
        var section = readme[readme.IndexOf("### Metrics", StringComparison.Ordinal)..];
        section = section[..section.IndexOf("\n### ", 5, StringComparison.Ordinal)];
        return Row().Matches(section).ToDictionary(m => m.Groups["name"].Value, m => m.Groups["type"].Value, StringComparer.Ordinal);
    }

    private static string RepositoryFile(string name)
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            if (File.Exists(Path.Join(directory.FullName, "ModelCsi.sln")))
            {
                return Path.Join(directory.FullName, name);
            }
        }
        throw new InvalidOperationException($"no ModelCsi.sln above {AppContext.BaseDirectory}");
    }

    [GeneratedRegex(@"^# TYPE (?<name>\S+) (?<type>\S+)$", RegexOptions.Multiline)]
    private static partial Regex TypeLine();

    [GeneratedRegex(@"^\| `(?<name>[a-z_]+)` \| (?<type>counter|gauge|histogram|summary) \|", RegexOptions.Multiline)]
    private static partial Regex Row();
}
