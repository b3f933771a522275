using System.Text;
using System.Text.RegularExpressions;
using Microsoft.Extensions.Options;

namespace ModelCsi.Driver.Options;

/// <summary>Fails the start of a misconfigured DaemonSet instead of its first RPC.</summary>
internal sealed partial class DriverOptionsValidator : IValidateOptions<DriverOptions>
{
    // CSI GetPluginInfo: domain-name notation, at most 63 characters, alphanumeric at both ends.
    [GeneratedRegex("^[a-zA-Z0-9]([a-zA-Z0-9.-]{0,61}[a-zA-Z0-9])?$", RegexOptions.CultureInvariant)]
    private static partial Regex DriverNamePattern();

    public ValidateOptionsResult Validate(string? name, DriverOptions options)
    {
        var failures = new List<string>();
        if (!CsiEndpoint.TryParse(options.Endpoint, out _, out var endpointError))
        {
            failures.Add(endpointError);
        }
        if (string.IsNullOrWhiteSpace(options.NodeId))
        {
            failures.Add("node id is empty (--node-id or CSI_NODE_ID)");
        }
        else if (Encoding.UTF8.GetByteCount(options.NodeId) > 256)
        {
            failures.Add("node id is longer than the 256 bytes CSI allows");
        }
        if (!DriverNamePattern().IsMatch(options.DriverName))
        {
            failures.Add($"driver name '{options.DriverName}' is not a domain-style name of at most 63 characters");
        }
        if (string.IsNullOrWhiteSpace(options.RootDir) || !Path.IsPathFullyQualified(options.RootDir))
        {
            failures.Add($"root dir '{options.RootDir}' must be an absolute path");
        }
        if (!string.IsNullOrEmpty(options.MetricsAddress) && !MetricsEndpoint.TryParse(options.MetricsAddress, out _))
        {
            failures.Add($"metrics address '{options.MetricsAddress}' is not host:port (e.g. :9090 or 127.0.0.1:9090)");
        }
        if (options.OperationLockWait < TimeSpan.Zero)
        {
            failures.Add("operation lock wait must not be negative");
        }
        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}
