using System.Collections.Concurrent;
using System.Globalization;
using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace ModelCsi.TestSupport;

/// <summary>
/// A Kubernetes API server at the HTTP level on 127.0.0.1, for the resources the driver uses (nodes, pods,
/// secrets, service accounts, events, modelcaches). It keeps the REST conventions the real client depends
/// on: GET and LIST with resourceVersion, <c>?watch=true</c> streams of newline-delimited events (with
/// BOOKMARKs on request), a watch from a compacted resourceVersion answered with a 410 Expired ERROR event,
/// server-side apply (<c>application/apply-patch+yaml</c> with <c>fieldManager</c>) on the status
/// subresource, Status bodies on failure, and optionally TLS with a bearer token. Reach it through
/// <see cref="WriteKubeconfig"/> like any cluster.
/// </summary>
public sealed class FakeKubeApiServer : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly KubeObjectStore _store = new();
    private readonly string? _bearerToken;
    private readonly ConcurrentQueue<string> _requests = new();
    private readonly ConcurrentQueue<(string, JsonObject)> _applies = new();

    private FakeKubeApiServer(WebApplication app, string? bearerToken, string? caPem)
    {
        _app = app;
        _bearerToken = bearerToken;
        CaPem = caPem;
        app.Run(HandleAsync);
    }

    /// <summary>The server's base address (http or https).</summary>
    public Uri Url { get; private set; } = null!;

    /// <summary>The self-signed server certificate when serving TLS (the kubeconfig's certificate authority).</summary>
    public string? CaPem { get; }

    /// <summary>Resources ("pods", "secrets", "events", ...) the caller's RBAC does not allow: answered 403.</summary>
    public ISet<string> Forbidden { get; } = new HashSet<string>(StringComparer.Ordinal);

    /// <summary>Every server-side apply so far: field manager and the applied status, in order.</summary>
    public IReadOnlyList<(string FieldManager, JsonObject Status)> Applies => [.. _applies];

    /// <summary>Every request so far as <c>METHOD path?query</c>.</summary>
    public IReadOnlyList<string> Requests => [.. _requests];

    /// <summary>While set, watch requests are answered 503 (an API server restarting): clients stay disconnected.</summary>
    public bool HoldWatches { get; set; }

    public long ResourceVersion => _store.CurrentVersion;

    public int OpenWatches => _store.OpenWatches;

    /// <param name="tls">Serve HTTPS with a certificate made for 127.0.0.1.</param>
    /// <param name="bearerToken">Answer 401 to requests without <c>Authorization: Bearer</c> this token.</param>
    public static async Task<FakeKubeApiServer> StartAsync(bool tls = false, string? bearerToken = null)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        X509Certificate2? certificate = tls ? CreateCertificate() : null;
        builder.WebHost.ConfigureKestrel(kestrel => kestrel.Listen(IPAddress.Loopback, 0, listen =>
        {
            if (certificate is not null)
            {
                listen.UseHttps(certificate);
            }
        }));
        var server = new FakeKubeApiServer(builder.Build(), bearerToken, certificate?.ExportCertificatePem());
        await server._app.StartAsync();
        var address = server._app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        server.Url = new Uri(address.Replace("[::1]", "127.0.0.1", StringComparison.Ordinal));
        return server;
    }

    /// <summary>Writes a kubeconfig for this server (with its CA and token when set) and returns its path.</summary>
    public string WriteKubeconfig(string path)
    {
        var cluster = new StringBuilder($"    server: {Url.ToString().TrimEnd('/')}\n");
        if (CaPem is not null)
        {
            cluster.Append(CultureInfo.InvariantCulture, $"    certificate-authority-data: {Convert.ToBase64String(Encoding.UTF8.GetBytes(CaPem))}\n");
        }

        // Without a token the context names no user (the client refuses a user without credentials).
        var user = _bearerToken is null ? "" : "    user: fake\n";
        var users = _bearerToken is null ? "users: []\n" : $"users:\n- name: fake\n  user:\n    token: {_bearerToken}\n";
        File.WriteAllText(path, $"""
            apiVersion: v1
            kind: Config
            clusters:
            - name: fake
              cluster:
            {cluster}contexts:
            - name: fake
              context:
                cluster: fake
            {user}current-context: fake
            {users}
            """);
        return path;
    }

    /// <summary>Creates or replaces an object, as <c>kubectl apply</c> of the whole object would.</summary>
    public JsonObject Put(string resource, JsonObject body, string @namespace = "") => _store.Put(resource, @namespace, body, DateTimeOffset.UtcNow);

    public JsonObject? Get(string resource, string name, string @namespace = "") => _store.Get(resource, @namespace, name);

    public IReadOnlyList<JsonObject> List(string resource, string? @namespace = null) => _store.List(resource, @namespace, null).Items;

    public bool Delete(string resource, string name, string @namespace = "") => _store.Delete(resource, @namespace, name) is not null;

    /// <summary>Drops every open watch connection mid-stream.</summary>
    public void CutWatches() => _store.CutWatches();

    /// <summary>Forgets the event history: watches from any earlier resourceVersion get 410 Gone.</summary>
    public void Compact() => _store.Compact();

    public void SendBookmarks() => _store.SendBookmarks();

    public JsonObject PutNode(string name, IReadOnlyDictionary<string, string> labels) => Put("nodes", new JsonObject
    {
        ["apiVersion"] = "v1",
        ["kind"] = "Node",
        ["metadata"] = new JsonObject { ["name"] = name, ["labels"] = Labels(labels) },
    });

    public JsonObject PutPod(string @namespace, string name, string uid, string? serviceAccount, params string[] imagePullSecrets) => Put("pods", new JsonObject
    {
        ["apiVersion"] = "v1",
        ["kind"] = "Pod",
        ["metadata"] = new JsonObject { ["name"] = name, ["uid"] = uid },
        ["spec"] = new JsonObject
        {
            ["serviceAccountName"] = serviceAccount,
            ["imagePullSecrets"] = new JsonArray([.. imagePullSecrets.Select(s => (JsonNode)new JsonObject { ["name"] = s })]),
            ["containers"] = new JsonArray(new JsonObject { ["name"] = "main", ["image"] = "busybox" }),
        },
    }, @namespace);

    public JsonObject PutServiceAccount(string @namespace, string name, params string[] imagePullSecrets) => Put("serviceaccounts", new JsonObject
    {
        ["apiVersion"] = "v1",
        ["kind"] = "ServiceAccount",
        ["metadata"] = new JsonObject { ["name"] = name },
        ["imagePullSecrets"] = new JsonArray([.. imagePullSecrets.Select(s => (JsonNode)new JsonObject { ["name"] = s })]),
    }, @namespace);

    public JsonObject PutDockerConfigSecret(string @namespace, string name, string dockerConfigJson) => Put("secrets", new JsonObject
    {
        ["apiVersion"] = "v1",
        ["kind"] = "Secret",
        ["metadata"] = new JsonObject { ["name"] = name },
        ["type"] = "kubernetes.io/dockerconfigjson",
        ["data"] = new JsonObject { [".dockerconfigjson"] = Convert.ToBase64String(Encoding.UTF8.GetBytes(dockerConfigJson)) },
    }, @namespace);

    public async ValueTask DisposeAsync()
    {
        _store.CutWatches();
        await _app.StopAsync();
        await _app.DisposeAsync();
    }

    private static JsonObject Labels(IReadOnlyDictionary<string, string> labels)
    {
        var result = new JsonObject();
        foreach (var (key, value) in labels)
        {
            result[key] = value;
        }

        return result;
    }

    private static X509Certificate2 CreateCertificate()
    {
        using var key = RSA.Create(2048);
        var request = new CertificateRequest("CN=fake-kube-apiserver", key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        var names = new SubjectAlternativeNameBuilder();
        names.AddIpAddress(IPAddress.Loopback);
        names.AddDnsName("localhost");
        request.CertificateExtensions.Add(names.Build());
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.1")], false));
        using var created = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddHours(-1), DateTimeOffset.UtcNow.AddDays(1));
        // Kestrel needs the key in a form SslStream can use on every platform: round-trip through PKCS#12.
        return X509CertificateLoader.LoadPkcs12(created.Export(X509ContentType.Pkcs12), null);
    }

    private async Task HandleAsync(HttpContext context)
    {
        var request = context.Request;
        _requests.Enqueue($"{request.Method} {request.Path}{request.QueryString}");
        if (_bearerToken is not null && request.Headers.Authorization.ToString() != "Bearer " + _bearerToken)
        {
            await WriteAsync(context, 401, KubeStatus.Failure(401, "Unauthorized", "Unauthorized"));
            return;
        }

        var path = KubeResourcePath.TryParse(request.Path.Value ?? "");
        if (path is null || !KubeKinds.TryGet(path.Resource, out var kind))
        {
            await WriteAsync(context, 404, KubeStatus.Failure(404, "NotFound", $"the server could not find the requested resource ({request.Path})"));
            return;
        }

        if (Forbidden.Contains(path.Resource))
        {
            await WriteAsync(context, 403, KubeStatus.Failure(403, "Forbidden",
                $"{path.Resource} \"{path.Name}\" is forbidden: User cannot {request.Method.ToLowerInvariant()} resource \"{path.Resource}\""));
            return;
        }

        var @namespace = path.Namespace ?? "";
        switch (request.Method)
        {
            case "GET" when path.Name is null && request.Query["watch"] == "true" && HoldWatches:
                await WriteAsync(context, 503, KubeStatus.Failure(503, "ServiceUnavailable", "the fake API server holds watches"));
                break;
            case "GET" when path.Name is null && request.Query["watch"] == "true":
                await new KubeWatchResponder(_store).RespondAsync(context, path, kind);
                break;
            case "GET" when path.Name is null:
                await ListAsync(context, path, kind);
                break;
            case "GET":
                await ReadAsync(context, _store.Get(path.Resource, @namespace, path.Name), path);
                break;
            case "POST" when path.Name is null:
                var created = await JsonNode.ParseAsync(request.Body) as JsonObject;
                if (created is null)
                {
                    await WriteAsync(context, 400, KubeStatus.Failure(400, "BadRequest", "the body is not an object"));
                    return;
                }

                await WriteAsync(context, 201, _store.Put(path.Resource, @namespace, created, DateTimeOffset.UtcNow));
                break;
            case "PATCH" when path.Name is not null:
                await new KubeApplyResponder(_store, (manager, status) => _applies.Enqueue((manager, status))).RespondAsync(context, path, kind);
                break;
            case "DELETE" when path.Name is not null:
                await ReadAsync(context, _store.Delete(path.Resource, @namespace, path.Name), path);
                break;
            default:
                await WriteAsync(context, 405, KubeStatus.Failure(405, "MethodNotAllowed", $"{request.Method} is not supported on {request.Path}"));
                break;
        }
    }

    private async Task ListAsync(HttpContext context, KubeResourcePath path, (string ApiVersion, string Kind, bool Namespaced) kind)
    {
        var (items, version) = _store.List(path.Resource, path.Namespace, FieldSelectorName(context.Request));
        await WriteAsync(context, 200, new JsonObject
        {
            ["kind"] = kind.Kind + "List",
            ["apiVersion"] = kind.ApiVersion,
            ["metadata"] = new JsonObject { ["resourceVersion"] = version.ToString(CultureInfo.InvariantCulture) },
            ["items"] = new JsonArray([.. items]),
        });
    }

    private static Task ReadAsync(HttpContext context, JsonObject? found, KubeResourcePath path) => found is null
        ? WriteAsync(context, 404, KubeStatus.Failure(404, "NotFound", $"{path.Resource} \"{path.Name}\" not found"))
        : WriteAsync(context, 200, found);

    /// <summary>The name in a <c>fieldSelector=metadata.name=NAME</c> (the only field selector the driver uses).</summary>
    internal static string? FieldSelectorName(HttpRequest request)
    {
        var selector = request.Query["fieldSelector"].ToString();
        const string prefix = "metadata.name=";
        return selector.StartsWith(prefix, StringComparison.Ordinal) ? selector[prefix.Length..] : null;
    }

    internal static async Task WriteAsync(HttpContext context, int status, JsonNode body)
    {
        context.Response.StatusCode = status;
        context.Response.ContentType = "application/json";
        await context.Response.WriteAsync(body.ToJsonString(JsonSerializerOptions.Web));
    }
}
