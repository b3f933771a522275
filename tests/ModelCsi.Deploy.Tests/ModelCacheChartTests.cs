using k8s.Models;
using Xunit;

namespace ModelCsi.Deploy.Tests;

/// <summary>The ModelCache CRD and the RBAC the chart grants for it.</summary>
public sealed class ModelCacheChartTests
{
    private static async Task<Manifests> RenderAsync(string values)
    {
        var file = Path.Combine(Path.GetTempPath(), $"values-{Guid.NewGuid():N}.yaml");
        await File.WriteAllTextAsync(file, values);
        try
        {
            return Manifests.Load(await Helm.TemplateAsync(file));
        }
        finally
        {
            File.Delete(file);
        }
    }

    [Fact]
    public async Task The_CRD_is_rendered_cluster_scoped_with_a_status_subresource_the_short_name_and_the_printer_columns()
    {
        var crd = (await RenderAsync("")).Single<V1CustomResourceDefinition>();

        Assert.Equal("modelcaches.model.csi.modelpack.org", crd.Metadata.Name);
        Assert.Equal("Cluster", crd.Spec.Scope);
        Assert.Equal(["mcache"], crd.Spec.Names.ShortNames);
        var version = Assert.Single(crd.Spec.Versions);
        Assert.Equal("v1alpha1", version.Name);
        Assert.NotNull(version.Subresources.Status);
        Assert.Equal(["Model", "Ready", "Digest", "Age"], version.AdditionalPrinterColumns.Select(c => c.Name));
        var nodes = version.Schema.OpenAPIV3Schema.Properties["status"].Properties["nodes"];
        Assert.Equal("map", nodes.XKubernetesListType);
        Assert.Equal(["node"], nodes.XKubernetesListMapKeys);
    }

    [Fact]
    public async Task ModelCaches_grant_the_node_plugin_and_controller_exactly_the_verbs_they_use_and_secrets_only_when_asked()
    {
        var manifests = await RenderAsync("modelCache:\n  enabled: true\n");
        var node = manifests.Named<V1ClusterRole>("model-csi-node");
        var controller = manifests.Named<V1ClusterRole>("model-csi-modelcache-controller");

        Assert.Contains(node.Rules, r => r.Resources.SequenceEqual(["modelcaches"]) && r.Verbs.SequenceEqual(["list", "watch"]));
        Assert.Contains(node.Rules, r => r.Resources.SequenceEqual(["modelcaches/status"]) && r.Verbs.SequenceEqual(["patch"]));
        Assert.Contains(node.Rules, r => r.Resources.SequenceEqual(["nodes"]) && r.Verbs.SequenceEqual(["get", "list", "watch"]));
        Assert.Contains(controller.Rules, r => r.Resources.SequenceEqual(["modelcaches/status"]) && r.Verbs.SequenceEqual(["patch"]));
        Assert.DoesNotContain(node.Rules.Concat(controller.Rules), r => r.Resources.Contains("secrets"));
        Assert.True(manifests.Single<V1DaemonSet>().Spec.Template.Spec.AutomountServiceAccountToken);
        Assert.Contains("modelCache:\n  enabled: true", manifests.Named<V1ConfigMap>("model-csi-config").Data["config.yaml"], StringComparison.Ordinal);

        var withSecrets = await RenderAsync("modelCache:\n  enabled: true\n  pullSecrets: true\n");
        Assert.Contains(withSecrets.Named<V1ClusterRole>("model-csi-node").Rules, r => r.Resources.SequenceEqual(["secrets"]) && r.Verbs.SequenceEqual(["get"]));
        Assert.Contains(withSecrets.Named<V1ClusterRole>("model-csi-modelcache-controller").Rules,
            r => r.Resources.SequenceEqual(["secrets"]) && r.Verbs.SequenceEqual(["get"]));
    }
}
