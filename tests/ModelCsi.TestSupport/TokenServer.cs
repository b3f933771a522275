using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Text.Json;

namespace ModelCsi.TestSupport;

/// <summary>
/// A minimal distribution token service on 127.0.0.1: checks Basic credentials and issues RS256 JWTs
/// (with the signing certificate in <c>x5c</c>) granting the requested repository actions. Give the
/// registry <see cref="CertificatePem"/> as its <c>rootcertbundle</c>.
/// </summary>
public sealed class TokenServer : IAsyncDisposable
{
    private readonly HttpListener _listener;
    private readonly RSA _key;
    private readonly X509Certificate2 _certificate;
    private readonly IReadOnlyDictionary<string, string> _users;
    private readonly IReadOnlyDictionary<string, string> _refreshTokens;
    private readonly Task _loop;
    private int _requests;

    private TokenServer(HttpListener listener, int port, IReadOnlyDictionary<string, string> users, IReadOnlyDictionary<string, string> refreshTokens)
    {
        _listener = listener;
        _users = users;
        _refreshTokens = refreshTokens;
        Realm = $"http://127.0.0.1:{port}/token";
        _key = RSA.Create(2048);
        var request = new CertificateRequest("CN=modelcsi test token issuer", _key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        _certificate = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddHours(-1), DateTimeOffset.UtcNow.AddDays(1));
        CertificatePem = _certificate.ExportCertificatePem();
        _loop = Task.Run(ServeAsync);
    }

    public string Realm { get; }

    public string Service { get; } = "modelcsi-test-registry";

    public string Issuer { get; } = "modelcsi-test-issuer";

    public string CertificatePem { get; }

    /// <summary>Lifetime announced in <c>expires_in</c> and written into the JWT.</summary>
    public int ExpiresInSeconds { get; set; } = 300;

    /// <summary>Answer with <c>access_token</c> instead of <c>token</c> (both are allowed by the spec).</summary>
    public bool UseAccessTokenField { get; set; }

    /// <summary>Token requests received (granted or not).</summary>
    public int Requests => Volatile.Read(ref _requests);

    /// <summary>Starts on a free port. <paramref name="users"/>: name to password; <paramref name="refreshTokens"/>: OAuth2 refresh (identity) token to user name.</summary>
    public static TokenServer Start(IReadOnlyDictionary<string, string> users, IReadOnlyDictionary<string, string>? refreshTokens = null)
    {
        for (var attempt = 0; ; attempt++)
        {
            var port = FreePort.Pick();
            var listener = new HttpListener();
            listener.Prefixes.Add($"http://127.0.0.1:{port}/");
            try
            {
                listener.Start();
                return new TokenServer(listener, port, users, refreshTokens ?? new Dictionary<string, string>());
            }
            catch (HttpListenerException) when (attempt < 5)
            {
                listener.Close();
            }
        }
    }

    private async Task ServeAsync()
    {
        while (_listener.IsListening)
        {
            HttpListenerContext context;
            try
            {
                context = await _listener.GetContextAsync();
            }
            catch (Exception e) when (e is HttpListenerException or ObjectDisposedException or InvalidOperationException)
            {
                return;
            }

            try
            {
                Answer(context);
            }
            catch (Exception e) when (e is HttpListenerException or IOException)
            {
            }
        }
    }

    private void Answer(HttpListenerContext context)
    {
        Interlocked.Increment(ref _requests);
        var response = context.Response;
        string? subject;
        string[] scopes;
        var oauth = context.Request.HttpMethod == "POST";
        if (oauth)
        {
            // OAuth2 refresh-token grant (docker's identity tokens): form fields, scopes space-separated.
            using var reader = new StreamReader(context.Request.InputStream, Encoding.UTF8);
            var form = System.Web.HttpUtility.ParseQueryString(reader.ReadToEnd());
            subject = form["grant_type"] == "refresh_token" && form["refresh_token"] is { } refresh && _refreshTokens.TryGetValue(refresh, out var user)
                ? user
                : null;
            scopes = form.GetValues("scope") ?? [];
        }
        else
        {
            subject = Authenticate(context.Request.Headers["Authorization"]);
            scopes = context.Request.QueryString.GetValues("scope") ?? [];
        }

        if (subject is null)
        {
            response.StatusCode = 401;
            response.AddHeader("WWW-Authenticate", "Basic realm=\"modelcsi-test-token\"");
            response.Close();
            return;
        }

        var access = new List<object>();
        foreach (var scope in scopes.SelectMany(s => s.Split(' ', StringSplitOptions.RemoveEmptyEntries)))
        {
            // repository:<name>:<actions>; the name itself never contains ':' in our tests.
            var parts = scope.Split(':');
            if (parts.Length == 3 && subject.Length > 0)
            {
                access.Add(new { type = parts[0], name = parts[1], actions = parts[2].Split(',') });
            }
        }

        var token = Sign(subject, access);
        var body = UseAccessTokenField || oauth
            ? JsonSerializer.SerializeToUtf8Bytes(new { access_token = token, expires_in = ExpiresInSeconds })
            : JsonSerializer.SerializeToUtf8Bytes(new { token, expires_in = ExpiresInSeconds });
        response.StatusCode = 200;
        response.ContentType = "application/json";
        response.ContentLength64 = body.Length;
        response.OutputStream.Write(body);
        response.Close();
    }

    /// <summary>The user name for valid Basic credentials, "" for none (anonymous), null for wrong ones.</summary>
    private string? Authenticate(string? header)
    {
        if (string.IsNullOrEmpty(header))
        {
            return "";
        }

        if (!header.StartsWith("Basic ", StringComparison.OrdinalIgnoreCase))
        {
            return null;
        }

        string decoded;
        try
        {
            decoded = Encoding.UTF8.GetString(Convert.FromBase64String(header[6..].Trim()));
        }
        catch (FormatException)
        {
            return null;
        }

        var colon = decoded.IndexOf(':', StringComparison.Ordinal);
        if (colon < 0)
        {
            return null;
        }

        var user = decoded[..colon];
        return _users.TryGetValue(user, out var password) && password == decoded[(colon + 1)..] ? user : null;
    }

    private string Sign(string subject, List<object> access)
    {
        var now = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
        var header = new Dictionary<string, object>
        {
            ["typ"] = "JWT",
            ["alg"] = "RS256",
            ["x5c"] = new[] { Convert.ToBase64String(_certificate.RawData) },
        };
        var claims = new Dictionary<string, object>
        {
            ["iss"] = Issuer,
            ["sub"] = subject,
            ["aud"] = Service,
            ["exp"] = now + ExpiresInSeconds,
            ["nbf"] = now - 10,
            ["iat"] = now,
            ["jti"] = Guid.NewGuid().ToString("N"),
            ["access"] = access,
        };
        var signingInput = Base64Url(JsonSerializer.SerializeToUtf8Bytes(header)) + "." + Base64Url(JsonSerializer.SerializeToUtf8Bytes(claims));
        var signature = _key.SignData(Encoding.ASCII.GetBytes(signingInput), HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        return signingInput + "." + Base64Url(signature);
    }

    private static string Base64Url(byte[] data) =>
        Convert.ToBase64String(data).TrimEnd('=').Replace('+', '-').Replace('/', '_');

    public async ValueTask DisposeAsync()
    {
        // Close alone: after Stop, the managed HttpListener's Close binds the port again to release it, and fails
        // when another test took the port in between.
        _listener.Close();
        await _loop;
        _certificate.Dispose();
        _key.Dispose();
    }
}
