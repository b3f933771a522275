namespace ModelCsi.TestSupport;

/// <summary>
/// A request path in the Kubernetes REST layout: <c>/api/v1[/namespaces/NS]/PLURAL[/NAME[/SUB]]</c> or
/// <c>/apis/GROUP/VERSION[/namespaces/NS]/PLURAL[/NAME[/SUB]]</c>.
/// </summary>
internal sealed record KubeResourcePath(string GroupVersion, string? Namespace, string Resource, string? Name, string? Subresource)
{
    public static KubeResourcePath? TryParse(string path)
    {
        var parts = path.Trim('/').Split('/');
        int rest;
        string groupVersion;
        if (parts.Length >= 3 && parts[0] == "api" && parts[1] == "v1")
        {
            groupVersion = "v1";
            rest = 2;
        }
        else if (parts.Length >= 4 && parts[0] == "apis")
        {
            groupVersion = parts[1] + "/" + parts[2];
            rest = 3;
        }
        else
        {
            return null;
        }

        string? @namespace = null;
        if (parts.Length - rest >= 3 && parts[rest] == "namespaces")
        {
            @namespace = parts[rest + 1];
            rest += 2;
        }

        var remaining = parts.Length - rest;
        return remaining is < 1 or > 3
            ? null
            : new KubeResourcePath(groupVersion, @namespace, parts[rest], remaining >= 2 ? parts[rest + 1] : null, remaining == 3 ? parts[rest + 2] : null);
    }
}
