namespace ModelCsi.Cli;

/// <summary>A dynamic volume's socket refused a request; carries the HTTP status and the API's error message.</summary>
public sealed class DynamicApiException(int statusCode, string message) : Exception(message)
{
    public int StatusCode { get; } = statusCode;
}
