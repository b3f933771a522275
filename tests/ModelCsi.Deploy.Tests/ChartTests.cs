using k8s.Models;
using Xunit;
using YamlDotNet.RepresentationModel;

namespace ModelCsi.Deploy.Tests;

/// <summary>
/// The chart linted and rendered by the real helm, with default values and with <c>values-custom.yaml</c>,
/// loaded into KubernetesClient's typed models; asserts what must agree for the driver to work on a node.
/// </summary>
public sealed class ChartTests
{
    private const string DefaultDriverName = "model.csi.modelpack.org";
    private const string CustomValues = "values-custom.yaml";

    // As on a cluster with the Prometheus Operator, so the ServiceMonitor of the custom values renders.
    private static async Task<Manifests> RenderAsync(params string[] valuesFiles) =>
        Manifests.Load(await Helm.TemplateAsync(valuesFiles.Select(Helm.ValuesFile), ["--api-versions", "monitoring.coreos.com/v1"]));

    public static TheoryData<string> ValuesFiles => new() { "", CustomValues };

    private static string[] Values(string file) => file.Length == 0 ? [] : [file];

    [Theory]
    [MemberData(nameof(ValuesFiles))]
    public async Task Helm_lint_passes(string valuesFile)
    {
        var arguments = new List<string> { "lint", Helm.ChartPath, "--strict" };
        if (valuesFile.Length > 0)
        {
            arguments.AddRange(["--values", Helm.ValuesFile(valuesFile)]);
        }

        var run = await Helm.RunAsync([.. arguments]);

        Assert.True(run.ExitCode == 0, run.Describe());
    }

    [Theory]
    [InlineData("", DefaultDriverName)]
    [InlineData(CustomValues, "models.example.com")]
    public async Task The_CSIDriver_needs_no_attach_asks_for_pod_info_and_allows_persistent_and_inline_volumes(string valuesFile, string driverName)
    {
        var manifests = await RenderAsync(Values(valuesFile));

        var driver = manifests.Single<V1CSIDriver>();
        Assert.Equal(driverName, driver.Metadata.Name);
        Assert.False(driver.Spec.AttachRequired);
        Assert.True(driver.Spec.PodInfoOnMount);
        Assert.Equal(["Persistent", "Ephemeral"], driver.Spec.VolumeLifecycleModes);
        Assert.Equal("None", driver.Spec.FsGroupPolicy);
    }

    [Theory]
    [InlineData("", "/var/lib/kubelet", DefaultDriverName)]
    [InlineData(CustomValues, "/var/lib/k0s/kubelet", "models.example.com")]
    public async Task Driver_registrar_and_liveness_probe_use_the_one_socket_kubelet_is_told_about(string valuesFile, string kubeletDir, string driverName)
    {
        var pod = (await RenderAsync(Values(valuesFile))).Single<V1DaemonSet>().Spec.Template.Spec;
        var driver = PodSpecs.Container(pod, "driver");
        var registrar = PodSpecs.Container(pod, "node-driver-registrar");
        var liveness = PodSpecs.Container(pod, "liveness-probe");

        var driverSocket = PodSpecs.Resolve(pod, driver, PodSpecs.UnixSocketPath(PodSpecs.Flag(driver, "--endpoint")));
        var registrarSocket = PodSpecs.Resolve(pod, registrar, PodSpecs.Flag(registrar, "--csi-address"));
        var livenessSocket = PodSpecs.Resolve(pod, liveness, PodSpecs.Flag(liveness, "--csi-address"));
        var expected = $"hostPath:{kubeletDir}/plugins/{driverName}/csi.sock";

        Assert.Equal(expected, driverSocket);
        Assert.Equal(expected, registrarSocket);
        Assert.Equal(expected, livenessSocket);
        Assert.Equal("hostPath:" + PodSpecs.Flag(registrar, "--kubelet-registration-path"), expected);
        Assert.Equal($"hostPath:{kubeletDir}/plugins_registry", PodSpecs.Resolve(pod, registrar, "/registration"));
    }

    [Theory]
    [InlineData("", "/var/lib/kubelet")]
    [InlineData(CustomValues, "/var/lib/k0s/kubelet")]
    public async Task The_node_driver_is_privileged_and_mounts_the_kubelet_pods_dir_with_bidirectional_propagation(string valuesFile, string kubeletDir)
    {
        var pod = (await RenderAsync(Values(valuesFile))).Single<V1DaemonSet>().Spec.Template.Spec;
        var driver = PodSpecs.Container(pod, "driver");

        var podsMount = PodSpecs.MountHolding(driver, $"{kubeletDir}/pods/some-uid/volumes/kubernetes.io~csi/model/mount");

        Assert.True(driver.SecurityContext.Privileged);
        Assert.Equal(0, driver.SecurityContext.RunAsUser);
        Assert.Equal($"{kubeletDir}/pods", podsMount.MountPath);
        Assert.Equal("Bidirectional", podsMount.MountPropagation);
        Assert.Equal($"{kubeletDir}/pods", PodSpecs.Volume(pod, podsMount.Name).HostPath.Path);
        Assert.All(pod.Containers.Where(c => c.Name != "driver"), c => Assert.NotEqual(true, c.SecurityContext?.Privileged));
        Assert.All(pod.Containers.Where(c => c.Name != "driver").SelectMany(c => c.VolumeMounts), m => Assert.Null(m.MountPropagation));
    }

    [Theory]
    [InlineData("", "/var/lib/model-csi")]
    [InlineData(CustomValues, "/mnt/fast-ssd/model-csi")]
    public async Task The_cache_root_is_a_host_path_at_the_same_path_the_driver_is_told(string valuesFile, string rootDir)
    {
        var pod = (await RenderAsync(Values(valuesFile))).Single<V1DaemonSet>().Spec.Template.Spec;
        var driver = PodSpecs.Container(pod, "driver");

        var flag = PodSpecs.Flag(driver, "--root-dir");

        Assert.Equal(rootDir, flag);
        Assert.Equal("hostPath:" + rootDir, PodSpecs.Resolve(pod, driver, flag));
        Assert.Equal("DirectoryOrCreate", PodSpecs.Volume(pod, PodSpecs.MountHolding(driver, flag).Name).HostPath.Type);
    }

    [Fact]
    public async Task The_node_driver_gets_its_node_id_from_the_pod_and_its_probes_reach_the_liveness_sidecar()
    {
        var pod = (await RenderAsync()).Single<V1DaemonSet>().Spec.Template.Spec;
        var driver = PodSpecs.Container(pod, "driver");
        var liveness = PodSpecs.Container(pod, "liveness-probe");

        var nodeId = Assert.Single(driver.Env, e => e.Name == "NODE_ID");
        var healthPort = Assert.Single(driver.Ports, p => p.Name == "healthz");

        Assert.Equal("--node-id=$(NODE_ID)", Assert.Single(driver.Args, a => a.StartsWith("--node-id", StringComparison.Ordinal)));
        Assert.Equal("spec.nodeName", nodeId.ValueFrom.FieldRef.FieldPath);
        Assert.Equal(healthPort.ContainerPort.ToString(System.Globalization.CultureInfo.InvariantCulture), PodSpecs.Flag(liveness, "--health-port"));
        Assert.Equal("healthz", driver.LivenessProbe.HttpGet.Port.Value);
        Assert.Equal("healthz", driver.ReadinessProbe.HttpGet.Port.Value);
        Assert.Equal("node", PodSpecs.Flag(driver, "--mode"));
    }

    [Theory]
    [MemberData(nameof(ValuesFiles))]
    public async Task The_controller_runs_unprivileged_and_shares_its_socket_with_the_provisioner(string valuesFile)
    {
        var pod = (await RenderAsync(Values(valuesFile))).Single<V1Deployment>().Spec.Template.Spec;
        var driver = PodSpecs.Container(pod, "driver");
        var provisioner = PodSpecs.Container(pod, "csi-provisioner");

        Assert.Equal("controller", PodSpecs.Flag(driver, "--mode"));
        Assert.True(pod.SecurityContext.RunAsNonRoot);
        Assert.NotEqual(0, pod.SecurityContext.RunAsUser);
        Assert.All(pod.Containers, c => Assert.False(c.SecurityContext.AllowPrivilegeEscalation));
        Assert.All(pod.Volumes, v => Assert.Null(v.HostPath));
        Assert.Equal(
            PodSpecs.Resolve(pod, driver, PodSpecs.UnixSocketPath(PodSpecs.Flag(driver, "--endpoint"))),
            PodSpecs.Resolve(pod, provisioner, PodSpecs.Flag(provisioner, "--csi-address")));
        Assert.Contains("--leader-election", provisioner.Args);
    }

    [Fact]
    public async Task The_controller_can_be_left_out_for_inline_volumes_only()
    {
        var values = Path.Combine(Path.GetTempPath(), $"values-{Guid.NewGuid():N}.yaml");
        await File.WriteAllTextAsync(values, "controller:\n  enabled: false\n");
        try
        {
            var manifests = Manifests.Load(await Helm.TemplateAsync(values));

            Assert.Empty(manifests.All<V1Deployment>());
            Assert.Empty(manifests.All<V1ClusterRole>());
            Assert.Single(manifests.All<V1DaemonSet>());
        }
        finally
        {
            File.Delete(values);
        }
    }

    [Theory]
    [MemberData(nameof(ValuesFiles))]
    public async Task Both_workloads_read_the_rendered_config_whose_driver_name_matches_the_CSIDriver(string valuesFile)
    {
        var manifests = await RenderAsync(Values(valuesFile));
        var config = Assert.Single(manifests.All<V1ConfigMap>());

        var yaml = new YamlStream();
        yaml.Load(new StringReader(config.Data["config.yaml"]));
        var root = (YamlMappingNode)yaml.Documents[0].RootNode;

        Assert.Equal(manifests.Single<V1CSIDriver>().Metadata.Name, ((YamlScalarNode)root.Children[new YamlScalarNode("driverName")]).Value);
        foreach (var pod in new[] { manifests.Single<V1DaemonSet>().Spec.Template.Spec, manifests.Single<V1Deployment>().Spec.Template.Spec })
        {
            var driver = PodSpecs.Container(pod, "driver");
            var file = PodSpecs.Flag(driver, "--config");
            var volume = PodSpecs.Volume(pod, PodSpecs.MountHolding(driver, file).Name);
            Assert.Equal(config.Metadata.Name, volume.ConfigMap.Name);
            Assert.Equal("config.yaml", Path.GetFileName(file));
        }
    }

    [Fact]
    public async Task Custom_values_reach_registries_cache_images_scheduling_and_metrics()
    {
        var manifests = await RenderAsync(CustomValues);
        var node = manifests.Single<V1DaemonSet>().Spec.Template.Spec;
        var controller = manifests.Single<V1Deployment>();
        var config = Assert.Single(manifests.All<V1ConfigMap>()).Data["config.yaml"];

        Assert.Contains("host: registry.internal:5000", config, StringComparison.Ordinal);
        Assert.Contains("plainHttp: true", config, StringComparison.Ordinal);
        Assert.Contains("maxSize: 200Gi", config, StringComparison.Ordinal);
        Assert.Contains("logLevel: debug", config, StringComparison.Ordinal);
        Assert.Equal("registry.example.com/platform/modelcsi:1.2.3", PodSpecs.Container(node, "driver").Image);
        Assert.Equal("Always", PodSpecs.Container(node, "driver").ImagePullPolicy);
        Assert.Equal("platform-pull", Assert.Single(node.ImagePullSecrets).Name);
        Assert.Equal("nvidia.com/gpu", Assert.Single(node.Tolerations).Key);
        Assert.Equal("nvidia", node.NodeSelector["accelerator"]);
        Assert.Equal(2, controller.Spec.Replicas);
        Assert.Equal(19880, Assert.Single(PodSpecs.Container(node, "driver").Ports, p => p.Name == "metrics").ContainerPort);
        Assert.Contains("release: prometheus", manifests.Untyped["ServiceMonitor"], StringComparison.Ordinal);
    }

    [Fact]
    public async Task Signature_rules_reach_the_driver_config_in_order_with_inline_keys_intact()
    {
        var manifests = await RenderAsync(CustomValues);
        var yaml = new YamlStream();
        yaml.Load(new StringReader(Assert.Single(manifests.All<V1ConfigMap>()).Data["config.yaml"]));
        var root = (YamlMappingNode)yaml.Documents[0].RootNode;

        var rules = (YamlSequenceNode)((YamlMappingNode)root.Children[new YamlScalarNode("signatures")]).Children[new YamlScalarNode("rules")];
        var first = (YamlMappingNode)rules.Children[0];
        var key = ((YamlScalarNode)((YamlSequenceNode)first.Children[new YamlScalarNode("keys")]).Children[0]).Value ?? "";

        Assert.Equal(2, rules.Children.Count);
        Assert.Equal("internal", ((YamlScalarNode)first.Children[new YamlScalarNode("name")]).Value);
        Assert.Equal("registry.internal:5000/models/**", ((YamlScalarNode)first.Children[new YamlScalarNode("match")]).Value);
        Assert.Equal("enforce", ((YamlScalarNode)first.Children[new YamlScalarNode("mode")]).Value);
        Assert.StartsWith("-----BEGIN PUBLIC KEY-----\nMFkwEwYH", key, StringComparison.Ordinal);
        Assert.EndsWith("-----END PUBLIC KEY-----\n", key, StringComparison.Ordinal);
        Assert.Equal("default", ((YamlScalarNode)((YamlMappingNode)rules.Children[1]).Children[new YamlScalarNode("name")]).Value);
    }

    [Fact]
    public async Task Default_values_check_no_signatures()
    {
        var config = Assert.Single((await RenderAsync()).All<V1ConfigMap>()).Data["config.yaml"];

        Assert.DoesNotContain("signatures:", config, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Default_values_make_no_storage_class_no_secret_and_no_service_monitor()
    {
        var manifests = await RenderAsync();

        Assert.Empty(manifests.All<V1StorageClass>());
        Assert.Empty(manifests.All<V1Secret>());
        Assert.Empty(manifests.Untyped);
    }

    [Fact]
    public async Task Storage_classes_provision_with_this_driver_and_pass_the_credentials_secret_by_reference()
    {
        var manifests = await RenderAsync(CustomValues);

        var llama = manifests.Named<V1StorageClass>("llama-3-8b");
        var bert = manifests.Named<V1StorageClass>("public-bert");

        Assert.All(manifests.All<V1StorageClass>(), c => Assert.Equal("models.example.com", c.Provisioner));
        Assert.Equal("registry.internal:5000/models/llama:3-8b", llama.Parameters["modelRef"]);
        Assert.Equal("weights", llama.Parameters["subPath"]);
        Assert.Equal("model-registry-creds", llama.Parameters["csi.storage.k8s.io/provisioner-secret-name"]);
        Assert.Equal("model-registry-creds", llama.Parameters["csi.storage.k8s.io/node-publish-secret-name"]);
        Assert.Equal("ghcr-creds", bert.Parameters["csi.storage.k8s.io/provisioner-secret-name"]);
        Assert.Equal("Retain", bert.ReclaimPolicy);
        Assert.Empty(manifests.All<V1Secret>());
    }

    [Theory]
    [InlineData("", false)]
    [InlineData(CustomValues, true)]
    public async Task The_provisioner_may_read_secrets_only_when_a_storage_class_names_one(string valuesFile, bool readsSecrets)
    {
        var manifests = await RenderAsync(Values(valuesFile));

        var role = manifests.Single<V1ClusterRole>();
        var binding = manifests.Single<V1ClusterRoleBinding>();

        Assert.Equal(readsSecrets, role.Rules.Any(r => r.Resources.Contains("secrets")));
        Assert.All(role.Rules, r => Assert.DoesNotContain("*", r.Verbs.Concat(r.Resources).Concat(r.ApiGroups)));
        Assert.All(role.Rules.Where(r => r.Resources.Contains("secrets")), r => Assert.Equal(["get"], r.Verbs));
        var subject = Assert.Single(binding.Subjects);
        Assert.Equal(manifests.Single<V1Deployment>().Spec.Template.Spec.ServiceAccountName, subject.Name);
        Assert.Equal(Helm.Namespace, subject.NamespaceProperty);
        Assert.False(manifests.Named<V1ServiceAccount>("model-csi-node").AutomountServiceAccountToken);
    }

    [Fact]
    public async Task A_chart_made_secret_needs_both_values_and_is_not_rendered_from_defaults()
    {
        var values = Path.Combine(Path.GetTempPath(), $"values-{Guid.NewGuid():N}.yaml");
        await File.WriteAllTextAsync(values, "registryCredentials:\n  create: true\n  username: puller\n");
        try
        {
            var run = await Helm.RunAsync("template", Helm.ReleaseName, Helm.ChartPath, "--values", values);

            Assert.NotEqual(0, run.ExitCode);
            Assert.Contains("registryCredentials.create needs username and password", run.StandardError, StringComparison.Ordinal);
        }
        finally
        {
            File.Delete(values);
        }
    }

    [Theory]
    [MemberData(nameof(ValuesFiles))]
    public async Task Every_namespaced_object_names_the_release_namespace(string valuesFile)
    {
        var manifests = await RenderAsync(Values(valuesFile));
        var clusterScoped = new[] { typeof(V1CSIDriver), typeof(V1StorageClass), typeof(V1ClusterRole), typeof(V1ClusterRoleBinding), typeof(V1CustomResourceDefinition) };

        var namespaced = manifests.Objects.OfType<IMetadata<V1ObjectMeta>>().Where(o => !clusterScoped.Contains(o.GetType())).ToList();

        Assert.NotEmpty(namespaced);
        Assert.All(namespaced, o => Assert.Equal(Helm.Namespace, o.Metadata.NamespaceProperty));
    }

    [Fact]
    public async Task The_metrics_service_selects_the_node_pods_on_their_metrics_port()
    {
        var manifests = await RenderAsync();
        var service = manifests.Named<V1Service>("model-csi-node-metrics");
        var node = manifests.Single<V1DaemonSet>().Spec.Template;

        Assert.All(service.Spec.Selector, label => Assert.Equal(label.Value, node.Metadata.Labels[label.Key]));
        Assert.Equal("metrics", Assert.Single(service.Spec.Ports).TargetPort.Value);
        Assert.Contains(PodSpecs.Container(node.Spec, "driver").Ports, p => p.Name == "metrics");
    }

    [Fact]
    public async Task The_node_plugin_gets_API_access_only_for_pod_pull_secrets_and_events_when_asked()
    {
        var defaults = await RenderAsync();
        var withApi = await RenderAsync("values-node-api.yaml");

        Assert.DoesNotContain(defaults.All<V1ClusterRole>(), r => r.Metadata.Name == "model-csi-node");
        Assert.False(defaults.Single<V1DaemonSet>().Spec.Template.Spec.AutomountServiceAccountToken);
        var role = withApi.Named<V1ClusterRole>("model-csi-node");
        Assert.Contains(role.Rules, r => r.Resources.SequenceEqual(["pods", "serviceaccounts", "secrets"]) && r.Verbs.SequenceEqual(["get"]));
        Assert.Contains(role.Rules, r => r.Resources.SequenceEqual(["events"]) && r.Verbs.SequenceEqual(["create"]));
        Assert.All(role.Rules, r => Assert.DoesNotContain("*", r.Verbs.Concat(r.Resources)));
        var binding = withApi.Named<V1ClusterRoleBinding>("model-csi-node");
        Assert.Equal("model-csi-node", Assert.Single(binding.Subjects).Name);
        Assert.True(withApi.Single<V1DaemonSet>().Spec.Template.Spec.AutomountServiceAccountToken);
        var config = withApi.Named<V1ConfigMap>("model-csi-config").Data["config.yaml"];
        Assert.Contains("podPullSecrets: true", config, StringComparison.Ordinal);
        Assert.Contains("enabled: true", config, StringComparison.Ordinal);
    }
}
