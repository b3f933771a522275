using System.Text.Json;
using System.Text.RegularExpressions;
using k8s.Models;
using Xunit;

namespace ModelCsi.Deploy.Tests;

/// <summary>
/// The knobs an admin expects (proxy, labels, host network, extra volumes, sidecar tuning, PDB), the
/// monitoring objects and the values schema, rendered by the real helm.
/// </summary>
public sealed partial class ChartOperationsTests
{
    private const string OpsValues = "values-ops.yaml";
    private const string MonitoringApi = "monitoring.coreos.com/v1";

    private static async Task<Manifests> RenderAsync(string? valuesFile, bool withMonitoringApi = true, params string[] extra)
    {
        var arguments = new List<string>(extra);
        if (withMonitoringApi)
        {
            arguments.AddRange(["--api-versions", MonitoringApi]);
        }
        return Manifests.Load(await Helm.TemplateAsync(valuesFile is null ? [] : [Helm.ValuesFile(valuesFile)], arguments));
    }

    [Fact]
    public async Task Node_values_reach_the_daemonset()
    {
        var daemonSet = (await RenderAsync(OpsValues)).Single<V1DaemonSet>();
        var pod = daemonSet.Spec.Template.Spec;
        var driver = PodSpecs.Container(pod, "driver");

        Assert.True(pod.HostNetwork);
        Assert.Equal("ClusterFirstWithHostNet", pod.DnsPolicy);
        Assert.Equal("ml-platform", daemonSet.Spec.Template.Metadata.Labels["team"]);
        Assert.Equal("yes", daemonSet.Spec.Template.Metadata.Annotations["example.com/scrape"]);
        Assert.Contains(driver.Env, e => e.Name == "DOTNET_gcServer" && e.Value == "0");
        Assert.Contains(driver.Env, e => e.Name == "NODE_ID");
        Assert.Equal("node-env", Assert.Single(driver.EnvFrom).ConfigMapRef.Name);
        Assert.Equal("corp-ca", PodSpecs.Volume(pod, "corp-ca").ConfigMap.Name);
        Assert.Contains(driver.VolumeMounts, m => m.Name == "corp-ca" && m.MountPath == "/etc/modelcsi/ca" && m.ReadOnlyProperty == true);
        Assert.Equal("25%", daemonSet.Spec.UpdateStrategy.RollingUpdate.MaxUnavailable.Value);
    }

    [Fact]
    public async Task Controller_values_reach_the_deployment_its_PDB_and_its_metrics_port()
    {
        var manifests = await RenderAsync(OpsValues);
        var deployment = manifests.Single<V1Deployment>();
        var pod = deployment.Spec.Template.Spec;
        var driver = PodSpecs.Container(pod, "driver");
        var pdb = manifests.Single<V1PodDisruptionBudget>();
        var service = manifests.Named<V1Service>("model-csi-controller-metrics");

        Assert.Equal("ml-platform", deployment.Spec.Template.Metadata.Labels["team"]);
        Assert.Contains(driver.Env, e => e.Name == "EXTRA");
        Assert.Equal("controller-env", Assert.Single(driver.EnvFrom).SecretRef.Name);
        Assert.Equal("registry-client-cert", PodSpecs.Volume(pod, "client-cert").Secret.SecretName);
        Assert.Contains(driver.VolumeMounts, m => m.Name == "client-cert" && m.ReadOnlyProperty == true);
        Assert.Equal("0", pdb.Spec.MaxUnavailable.Value);
        Assert.All(pdb.Spec.Selector.MatchLabels, l => Assert.Equal(l.Value, deployment.Spec.Template.Metadata.Labels[l.Key]));
        Assert.Equal(9880, Assert.Single(driver.Ports, p => p.Name == "metrics").ContainerPort);
        Assert.All(service.Spec.Selector, l => Assert.Equal(l.Value, deployment.Spec.Template.Metadata.Labels[l.Key]));
    }

    [Fact]
    public async Task Sidecars_take_their_image_log_level_args_and_resources_from_values()
    {
        var manifests = await RenderAsync(OpsValues);
        var node = manifests.Single<V1DaemonSet>().Spec.Template.Spec;
        var registrar = PodSpecs.Container(node, "node-driver-registrar");
        var liveness = PodSpecs.Container(node, "liveness-probe");
        var provisioner = PodSpecs.Container(manifests.Single<V1Deployment>().Spec.Template.Spec, "csi-provisioner");

        Assert.Equal("mirror.example.com/csi-node-driver-registrar:v9.9.9", registrar.Image);
        Assert.Contains("--v=5", registrar.Args);
        Assert.Contains("--timeout=5s", registrar.Args);
        Assert.Equal("64Mi", registrar.Resources.Limits["memory"].ToString());
        Assert.Contains("--v=4", liveness.Args);
        Assert.Contains("--http-endpoint=:9809", liveness.Args);
        Assert.Contains("--v=6", provisioner.Args);
        Assert.Contains("--worker-threads=20", provisioner.Args);
    }

    [Fact]
    public async Task Proxy_and_log_settings_reach_the_driver_config()
    {
        var config = (await RenderAsync(OpsValues)).Named<V1ConfigMap>("model-csi-config").Data["config.yaml"];

        Assert.Contains("httpProxy: \"http://proxy.corp:3128\"", config, StringComparison.Ordinal);
        Assert.Contains("- .svc", config, StringComparison.Ordinal);
        Assert.Contains("logLevel: debug", config, StringComparison.Ordinal);
        Assert.Contains("logFormat: json", config, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Defaults_roll_a_tenth_of_the_nodes_at_once_and_run_current_sidecars()
    {
        var manifests = await RenderAsync(null);
        var node = manifests.Single<V1DaemonSet>();

        Assert.Equal("10%", node.Spec.UpdateStrategy.RollingUpdate.MaxUnavailable.Value);
        Assert.Equal("registry.k8s.io/sig-storage/csi-node-driver-registrar:v2.17.0", PodSpecs.Container(node.Spec.Template.Spec, "node-driver-registrar").Image);
        Assert.Equal("registry.k8s.io/sig-storage/livenessprobe:v2.17.0", PodSpecs.Container(node.Spec.Template.Spec, "liveness-probe").Image);
        Assert.Equal("registry.k8s.io/sig-storage/csi-provisioner:v6.3.0", PodSpecs.Container(manifests.Single<V1Deployment>().Spec.Template.Spec, "csi-provisioner").Image);
        Assert.NotEqual(true, node.Spec.Template.Spec.HostNetwork);
        Assert.NotNull(manifests.Single<V1PodDisruptionBudget>());
    }

    [Fact]
    public async Task The_kubelet_docker_config_is_mounted_read_only_only_when_the_driver_reads_it_from_the_default_path()
    {
        var defaults = (await RenderAsync(null)).Single<V1DaemonSet>().Spec.Template.Spec;
        var ownPaths = (await RenderAsync(OpsValues)).Single<V1DaemonSet>().Spec.Template.Spec;
        var off = (await RenderAsync(null, true, "--set", "credentials.nodeDockerConfig=false")).Single<V1DaemonSet>().Spec.Template.Spec;

        var mount = Assert.Single(PodSpecs.Container(defaults, "driver").VolumeMounts, m => m.MountPath == "/var/lib/kubelet/config.json");
        Assert.True(mount.ReadOnlyProperty);
        Assert.Equal("/var/lib/kubelet/config.json", PodSpecs.Volume(defaults, mount.Name).HostPath.Path);
        Assert.DoesNotContain(PodSpecs.Container(ownPaths, "driver").VolumeMounts, m => m.MountPath == "/var/lib/kubelet/config.json");
        Assert.DoesNotContain(PodSpecs.Container(off, "driver").VolumeMounts, m => m.MountPath == "/var/lib/kubelet/config.json");
    }

    [Fact]
    public async Task Monitoring_objects_render_only_when_enabled_and_the_cluster_has_the_operator_API()
    {
        var withApi = await RenderAsync(OpsValues);
        var withoutApi = await RenderAsync(OpsValues, withMonitoringApi: false);
        var defaults = await RenderAsync(null);

        Assert.Contains("release: prometheus", withApi.Untyped["PrometheusRule"], StringComparison.Ordinal);
        Assert.Contains("> 7", withApi.Untyped["PrometheusRule"], StringComparison.Ordinal);
        Assert.True(withApi.Untyped.ContainsKey("ServiceMonitor"));
        Assert.Empty(withoutApi.Untyped);
        Assert.Empty(defaults.Untyped);
        Assert.DoesNotContain(defaults.All<V1ConfigMap>(), c => c.Metadata.Name == "model-csi-dashboard");
    }

    [Fact]
    public async Task The_service_monitor_scrapes_the_node_and_controller_metrics_services()
    {
        var manifests = await RenderAsync(OpsValues);
        var monitor = manifests.Untyped["ServiceMonitor"];

        foreach (var service in manifests.All<V1Service>())
        {
            Assert.Equal("true", service.Metadata.Labels["model-csi/metrics"]);
            Assert.Contains($"app.kubernetes.io/instance: {service.Metadata.Labels["app.kubernetes.io/instance"]}", monitor, StringComparison.Ordinal);
        }
        Assert.Equal(2, manifests.All<V1Service>().Count());
        Assert.Contains("model-csi/metrics: \"true\"", monitor, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_dashboard_config_map_carries_the_grafana_label_and_the_dashboard_file()
    {
        var dashboard = (await RenderAsync(OpsValues)).Named<V1ConfigMap>("model-csi-dashboard");

        Assert.Equal("1", dashboard.Metadata.Labels["grafana_dashboard"]);
        Assert.Equal("storage", dashboard.Metadata.Labels["grafana_folder"]);
        var json = Assert.Single(dashboard.Data).Value;
        Assert.Equal(
            JsonDocument.Parse(File.ReadAllText(RepositoryRoot.Combine("charts", "model-csi", "dashboards", "model-csi.json"))).RootElement.GetRawText(),
            JsonDocument.Parse(json).RootElement.GetRawText());
    }

    [Fact]
    public async Task Every_metric_the_alerts_and_the_dashboard_query_is_in_the_readme_metrics_table()
    {
        var rule = (await RenderAsync(OpsValues)).Untyped["PrometheusRule"];
        var dashboard = File.ReadAllText(RepositoryRoot.Combine("charts", "model-csi", "dashboards", "model-csi.json"));
        var documented = DocumentedMetrics();

        var queried = MetricName().Matches(rule + dashboard).Select(m => m.Value)
            .Select(n => Regex.Replace(n, "_(bucket|sum|count)$", ""))
            .ToHashSet(StringComparer.Ordinal);

        Assert.NotEmpty(queried);
        Assert.Empty(queried.Except(documented));
    }

    /// <summary>The metric column of the README's metrics table, which a driver test keeps equal to what /metrics serves.</summary>
    internal static HashSet<string> DocumentedMetrics()
    {
        var readme = File.ReadAllText(RepositoryRoot.Combine("README.md"));
        var section = readme[readme.IndexOf("### Metrics", StringComparison.Ordinal)..];
        section = section[..section.IndexOf("\n### ", 5, StringComparison.Ordinal)];
        return MetricRow().Matches(section).Select(m => m.Groups["name"].Value).ToHashSet(StringComparer.Ordinal);
    }

    [GeneratedRegex(@"\b(modelcsi|process|dotnet)_[a-z_]+\b")]
    private static partial Regex MetricName();

    [GeneratedRegex(@"^\| `(?<name>[a-z_]+)` \|", RegexOptions.Multiline)]
    private static partial Regex MetricRow();

    [Theory]
    [InlineData("nodee.rootDir=/x", "nodee")]
    [InlineData("node.rootDirr=/x", "rootDirr")]
    [InlineData("node.cache.maxSize=lots", "maxSize")]
    [InlineData("node.cache.gcInterval=10m", "gcInterval")]
    [InlineData("logFormat=xml", "logFormat")]
    [InlineData("sidecars.provisioner.timeout=soon", "timeout")]
    [InlineData("node.updateStrategy.rollingUpdate.maxUnavailable=ten", "maxUnavailable")]
    [InlineData("metrics.prometheusRule.enabled=yes", "enabled")]
    public async Task The_values_schema_rejects_typos_and_malformed_values(string setting, string named)
    {
        var run = await Helm.RunAsync("template", Helm.ReleaseName, Helm.ChartPath, "--set", setting);

        Assert.NotEqual(0, run.ExitCode);
        Assert.Contains("schema", run.StandardError, StringComparison.Ordinal);
        Assert.Contains(named, run.StandardError, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_values_schema_covers_every_key_of_the_default_values()
    {
        // additionalProperties is false everywhere, so a key in values.yaml the schema lacks fails the render.
        var schema = JsonDocument.Parse(File.ReadAllText(RepositoryRoot.Combine("charts", "model-csi", "values.schema.json")));

        Assert.False(schema.RootElement.GetProperty("additionalProperties").GetBoolean());
        Assert.NotEmpty(await Helm.TemplateAsync());
    }
}
