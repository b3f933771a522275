namespace ModelCsi.Fuzz;

/// <summary>A target's invariant failed; afl-fuzz records the input as a crash.</summary>
internal sealed class InvariantViolatedException(string message) : Exception(message);
