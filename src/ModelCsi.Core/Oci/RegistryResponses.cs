using System.Net;
using System.Text.Json;
using System.Text.Json.Serialization;
using ModelCsi.Core.ModelPack;

namespace ModelCsi.Core.Oci;

/// <summary>
/// Reads registry responses within bounds: a failure status becomes the typed exception for it, with at
/// most a short sanitised excerpt of what the registry said; bodies we keep are read up to a limit and
/// refused as soon as they pass it.
/// </summary>
internal static class RegistryResponses
{
    private const int MaxErrorBodyBytes = 64 * 1024;
    private const int MaxErrorsKept = 5;

    public static async Task EnsureSuccessAsync(HttpResponseMessage response, RegistryEndpoint endpoint, string registry, string repository, string what,
        CancellationToken cancellationToken)
    {
        if (response.IsSuccessStatusCode)
        {
            return;
        }

        var (errors, said) = await ReadErrorsAsync(response, cancellationToken);
        var status = (int)response.StatusCode;
        var message = $"{what}: HTTP {status} {ResponseExcerpt.Sanitise(response.ReasonPhrase, 60)}{said}";
        throw response.StatusCode switch
        {
            HttpStatusCode.Unauthorized or HttpStatusCode.Forbidden =>
                new RegistryAuthException(
                    $"{what}: {endpoint.Description(registry)} refused {endpoint.Credential?.Describe() ?? "anonymous access"} to {repository} (HTTP {status}{said})",
                    response.StatusCode, errors),
            _ when status >= 500 || response.StatusCode == HttpStatusCode.TooManyRequests =>
                new RegistryUnavailableException($"{message} (after {endpoint.MaxRetries} retries)", response.StatusCode, errors),
            _ => new RegistryException(message, response.StatusCode, errors),
        };
    }

    /// <summary>
    /// The registry's <c>errors</c> array (sanitised, cut short), and what it said for messages: <c>: code: message; ...</c>
    /// or, for a body that is not such an array, <c>: </c> and an excerpt of it; both at most one excerpt long.
    /// Only the first <see cref="MaxErrorBodyBytes"/> are read.
    /// </summary>
    public static async Task<(IReadOnlyList<RegistryError> Errors, string Said)> ReadErrorsAsync(HttpResponseMessage response, CancellationToken cancellationToken)
    {
        byte[] body;
        try
        {
            body = await ReadPrefixAsync(response, MaxErrorBodyBytes, cancellationToken);
        }
        catch (Exception e) when (e is IOException or HttpRequestException)
        {
            return ([], "");
        }

        if (body.Length == 0)
        {
            return ([], "");
        }

        try
        {
            var parsed = JsonSerializer.Deserialize<ErrorBody>(body)?.Errors;
            if (parsed is { Count: > 0 })
            {
                IReadOnlyList<RegistryError> errors =
                    [.. parsed.Take(MaxErrorsKept).Select(e => new RegistryError { Code = ResponseExcerpt.Sanitise(e.Code, 60), Message = ResponseExcerpt.Sanitise(e.Message) })];
                return (errors, Format(errors));
            }
        }
        catch (JsonException)
        {
            // Not the distribution error format (an HTML page from a proxy, or a body cut at the limit): quote its start.
        }

        var text = System.Text.Encoding.UTF8.GetString(body, 0, Math.Min(body.Length, ResponseExcerpt.MaxLength * 4));
        return ([], ": " + ResponseExcerpt.Sanitise(text));
    }

    /// <summary><c>: code: message; ...</c> for messages, at most one excerpt long.</summary>
    public static string Format(IReadOnlyList<RegistryError> errors) =>
        errors.Count == 0 ? "" : ": " + ResponseExcerpt.Sanitise(string.Join("; ", errors));

    private static async Task<byte[]> ReadPrefixAsync(HttpResponseMessage response, int limit, CancellationToken cancellationToken)
    {
        await using var body = await response.Content.ReadAsStreamAsync(cancellationToken);
        var buffer = new byte[limit];
        var filled = 0;
        int n;
        while (filled < limit && (n = await body.ReadAsync(buffer.AsMemory(filled), cancellationToken)) > 0)
        {
            filled += n;
        }

        return buffer[..filled];
    }

    /// <summary>
    /// The body, refused with <see cref="ModelPackFormatException"/> (a corrupt artifact) once it passes
    /// <paramref name="limit"/>: never more than the limit plus one read is held.
    /// </summary>
    public static async Task<byte[]> ReadLimitedAsync(HttpResponseMessage response, long limit, string what, CancellationToken cancellationToken)
    {
        if (response.Content.Headers.ContentLength is { } length && length > limit)
        {
            throw new ModelPackFormatException($"{what} is {length} bytes, more than the {limit} bytes allowed");
        }

        await using var body = await response.Content.ReadAsStreamAsync(cancellationToken);
        using var buffer = new MemoryStream();
        var chunk = new byte[81920];
        int n;
        while ((n = await body.ReadAsync(chunk, cancellationToken)) > 0)
        {
            buffer.Write(chunk, 0, n);
            if (buffer.Length > limit)
            {
                throw new ModelPackFormatException($"{what} is more than the {limit} bytes allowed");
            }
        }

        return buffer.ToArray();
    }

    private sealed record ErrorBody
    {
        [JsonPropertyName("errors")]
        public IReadOnlyList<RegistryError>? Errors { get; init; }
    }
}
