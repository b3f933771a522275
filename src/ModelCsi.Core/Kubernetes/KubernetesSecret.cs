namespace ModelCsi.Core.Kubernetes;

/// <summary>A secret's type and decoded data. <see cref="ToString"/> lists the keys only.</summary>
public sealed record KubernetesSecret(string Namespace, string Name, string Type, IReadOnlyDictionary<string, byte[]> Data)
{
    public const string DockerConfigJsonType = "kubernetes.io/dockerconfigjson";
    public const string DockerConfigJsonKey = ".dockerconfigjson";
    public const string DockerCfgType = "kubernetes.io/dockercfg";
    public const string DockerCfgKey = ".dockercfg";

    public override string ToString() => $"secret {Namespace}/{Name} ({Type}; keys {string.Join(", ", Data.Keys)})";
}
