namespace ModelCsi.Driver.Options;

/// <summary>How the driver writes its log lines (<c>--log-format</c>).</summary>
public enum LogFormat
{
    Text,
    Json,
}
