namespace ModelCsi.Cli;

/// <summary>Arguments that parse but do not make sense together (exit code 2).</summary>
public sealed class CliUsageException(string message) : Exception(message);
