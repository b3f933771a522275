using Microsoft.Extensions.Logging;

namespace ModelCsi.Core.Oci.Credentials;

/// <summary>Log messages of credential resolution. Credentials appear only as <see cref="RegistryCredential.Describe"/>.</summary>
internal static partial class Log
{
    [LoggerMessage(EventId = 200, Level = LogLevel.Information, Message = "Registry {Registry}: using {Credential}")]
    public static partial void CredentialFound(ILogger logger, string registry, string credential);

    [LoggerMessage(EventId = 201, Level = LogLevel.Information, Message = "Registry {Registry}: no credentials in {Sources}; pulling anonymously")]
    public static partial void Anonymous(ILogger logger, string registry, string sources);

    [LoggerMessage(EventId = 202, Level = LogLevel.Warning, Message = "Credential source {Source} failed for {Registry}: {Reason}; trying the next source")]
    public static partial void SourceFailed(ILogger logger, string source, string registry, string reason);

    [LoggerMessage(EventId = 210, Level = LogLevel.Warning, Message = "Pod {Namespace}/{Pod} not found; its imagePullSecrets are not used")]
    public static partial void PodNotFound(ILogger logger, string @namespace, string pod);

    [LoggerMessage(EventId = 211, Level = LogLevel.Warning, Message = "imagePullSecret {Namespace}/{Secret} of the {Via} not found")]
    public static partial void PullSecretNotFound(ILogger logger, string @namespace, string secret, string via);

    [LoggerMessage(EventId = 212, Level = LogLevel.Debug, Message = "imagePullSecret {Namespace}/{Secret} has type {Type}, not a docker config; ignored")]
    public static partial void PullSecretIgnored(ILogger logger, string @namespace, string secret, string type);

    [LoggerMessage(EventId = 213, Level = LogLevel.Warning, Message = "imagePullSecret {Namespace}/{Secret} is unreadable: {Reason}")]
    public static partial void PullSecretUnreadable(ILogger logger, string @namespace, string secret, string reason);

    [LoggerMessage(EventId = 220, Level = LogLevel.Information, Message = "Loaded docker config {Path} with credentials for {Count} registries")]
    public static partial void DockerConfigLoaded(ILogger logger, string path, int count);

    [LoggerMessage(EventId = 221, Level = LogLevel.Warning, Message = "Docker config {Path} is unreadable: {Reason}")]
    public static partial void DockerConfigUnreadable(ILogger logger, string path, string reason);
}
