namespace ModelCsi.Cli;

/// <summary>
/// The process exit codes of modelcsi; scripts branch on them, so they never change meaning. Failures get theirs
/// from <c>FailureTable</c>; a test keeps these names equal to it.
/// </summary>
public static class ExitCodes
{
    public const int Success = 0;
    public const int General = 1;
    public const int Usage = 2;
    public const int NotFound = 3;
    public const int Auth = 4;
    public const int Unavailable = 5;
    public const int Integrity = 6;
    public const int UnsupportedArtifact = 7;
    public const int InsufficientStorage = 8;
    public const int FailedPrecondition = 9;
    public const int Cancelled = 130;

    public const string HelpText = """
        Exit codes:
          0  success
          1  general failure
          2  usage error (bad arguments, bad reference)
          3  not found (tag, manifest or blob)
          4  authentication refused or missing
          5  registry unavailable
          6  integrity (digest mismatch, unsafe archive entry)
          7  unsupported artifact (not a ModelPack or KitOps model)
          8  not enough room (cache limit or disk)
          9  failed precondition (e.g. a model not cached under pullPolicy Never)
          130 cancelled
        """;
}
