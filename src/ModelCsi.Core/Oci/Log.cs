using Microsoft.Extensions.Logging;

namespace ModelCsi.Core.Oci;

/// <summary>Log messages of the OCI registry client. Credentials appear only as <see cref="RegistryCredential.Describe"/>.</summary>
internal static partial class Log
{
    [LoggerMessage(EventId = 100, Level = LogLevel.Warning, Message = "{Method} {Url} failed ({Reason}); retry {Attempt} of {MaxRetries} in {Delay}")]
    public static partial void RetryingRequest(ILogger logger, string method, Uri url, string reason, int attempt, int maxRetries, TimeSpan delay);

    [LoggerMessage(EventId = 101, Level = LogLevel.Debug, Message = "Following redirect for {Method} to {Host} (authorization sent: {SendsAuthorization})")]
    public static partial void FollowingRedirect(ILogger logger, string method, string host, bool sendsAuthorization);

    [LoggerMessage(EventId = 110, Level = LogLevel.Debug, Message = "Requesting a token from {Realm} for service {Service}, scope '{Scope}', as {Credential}")]
    public static partial void FetchingToken(ILogger logger, string realm, string service, string scope, string credential);

    [LoggerMessage(EventId = 111, Level = LogLevel.Debug, Message = "Token for scope '{Scope}' from {Realm} valid until {ExpiresAt}")]
    public static partial void TokenIssued(ILogger logger, string realm, string scope, DateTimeOffset expiresAt);

    [LoggerMessage(EventId = 112, Level = LogLevel.Debug, Message = "{Registry} asks for {Scheme} authentication; using {Credential}")]
    public static partial void Challenged(ILogger logger, string registry, string scheme, string credential);

    [LoggerMessage(EventId = 120, Level = LogLevel.Warning, Message = "Blob {Digest} download interrupted at byte {Position} of {Size} ({Reason}); resume {Resume} of {MaxResumes}")]
    public static partial void ResumingBlob(ILogger logger, string digest, long position, long size, string reason, int resume, int maxResumes);

    [LoggerMessage(EventId = 121, Level = LogLevel.Warning, Message = "Registry ignored the range request for blob {Digest}; skipping {Offset} bytes of a full response")]
    public static partial void RangeIgnored(ILogger logger, string digest, long offset);

    [LoggerMessage(EventId = 130, Level = LogLevel.Debug, Message = "Fetched manifest {Reference}: {Digest} ({MediaType}, {Size} bytes)")]
    public static partial void ManifestFetched(ILogger logger, string reference, string digest, string mediaType, int size);

    [LoggerMessage(EventId = 140, Level = LogLevel.Debug, Message = "Blob {Digest} already exists in {Repository}; not uploading")]
    public static partial void BlobExists(ILogger logger, string digest, string repository);

    [LoggerMessage(EventId = 141, Level = LogLevel.Information, Message = "Pushed blob {Digest} ({Size} bytes) to {Repository}")]
    public static partial void BlobPushed(ILogger logger, string digest, long size, string repository);

    [LoggerMessage(EventId = 142, Level = LogLevel.Information, Message = "Pushed manifest {Repository}:{Tag} as {Digest}")]
    public static partial void ManifestPushed(ILogger logger, string repository, string tag, string digest);

    [LoggerMessage(EventId = 150, Level = LogLevel.Information, Message = "Registry {Registry}: pulls try mirror {Mirror} first (repository path {Path}, origin credentials sent: {SendsCredentials})")]
    public static partial void MirrorConfigured(ILogger logger, string registry, Uri mirror, string path, bool sendsCredentials);

    [LoggerMessage(EventId = 151, Level = LogLevel.Warning, Message = "TLS certificate verification is disabled for {Host}: anyone on the path can serve or read its content")]
    public static partial void TlsVerificationDisabled(ILogger logger, string host);

    [LoggerMessage(EventId = 152, Level = LogLevel.Information, Message = "{What}: {Endpoint} failed ({Reason}); trying {Next}")]
    public static partial void EndpointFailed(ILogger logger, string what, string endpoint, string reason, string next);

    [LoggerMessage(EventId = 153, Level = LogLevel.Warning, Message = "Registry endpoint observer failed: {Reason}")]
    public static partial void ObserverFailed(ILogger logger, string reason);
}
