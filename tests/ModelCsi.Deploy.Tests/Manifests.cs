using System.Text.RegularExpressions;
using k8s;
using k8s.Models;
using Xunit;

namespace ModelCsi.Deploy.Tests;

/// <summary>
/// Multi-document YAML loaded into KubernetesClient's typed models, strictly (an unknown field, such as a
/// misspelled one, fails the load). Custom resources without a model here (ServiceMonitor, PrometheusRule) are kept as text.
/// </summary>
internal sealed partial class Manifests
{
    private static readonly HashSet<string> UntypedKinds = new(StringComparer.Ordinal) { "ServiceMonitor", "PrometheusRule" };

    private Manifests(IReadOnlyList<object> objects, IReadOnlyDictionary<string, string> untyped)
    {
        Objects = objects;
        Untyped = untyped;
    }

    public IReadOnlyList<object> Objects { get; }

    /// <summary>Documents of kinds without a model, by kind.</summary>
    public IReadOnlyDictionary<string, string> Untyped { get; }

    [GeneratedRegex(@"^---\s*$", RegexOptions.Multiline)]
    private static partial Regex DocumentSeparator();

    [GeneratedRegex(@"^kind:\s*(\S+)\s*$", RegexOptions.Multiline)]
    private static partial Regex KindLine();

    public static Manifests Load(string yaml)
    {
        var typed = new List<string>();
        var untyped = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var document in DocumentSeparator().Split(yaml))
        {
            var kind = KindLine().Match(document);
            if (!kind.Success)
            {
                continue;
            }
            if (UntypedKinds.Contains(kind.Groups[1].Value))
            {
                untyped[kind.Groups[1].Value] = document;
            }
            else
            {
                typed.Add(document);
            }
        }
        var objects = KubernetesYaml.LoadAllFromString(string.Join("\n---\n", typed), strict: true);
        return new Manifests(objects, untyped);
    }

    public IEnumerable<T> All<T>() => Objects.OfType<T>();

    public T Single<T>() => Assert.Single(Objects.OfType<T>());

    public T Named<T>(string name)
        where T : IMetadata<V1ObjectMeta> =>
        Assert.Single(Objects.OfType<T>(), o => o.Metadata.Name == name);
}
