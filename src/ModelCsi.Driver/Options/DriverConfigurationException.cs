namespace ModelCsi.Driver.Options;

/// <summary>A configuration mistake found at start: one line for the user, exit code 2.</summary>
public sealed class DriverConfigurationException(string message) : Exception(message);
