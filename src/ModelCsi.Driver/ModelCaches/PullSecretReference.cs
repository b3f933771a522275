namespace ModelCsi.Driver.ModelCaches;

/// <summary><c>spec.pullSecretRef</c>: a <c>kubernetes.io/dockerconfigjson</c> Secret.</summary>
public sealed record PullSecretReference(string Namespace, string Name)
{
    public override string ToString() => Namespace + "/" + Name;
}
