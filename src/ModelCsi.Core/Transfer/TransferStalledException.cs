namespace ModelCsi.Core.Transfer;

/// <summary>A download ran past its overall time limit or fell below its minimum rate; the partial file is kept for a resume.</summary>
public sealed class TransferStalledException(string message) : IOException(message);
