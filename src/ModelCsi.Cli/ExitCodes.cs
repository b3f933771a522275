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

    // 'modelcsi verify' only: one code per reason a signature check fails. Elsewhere a refusal is PermissionDenied (4).
    public const int NoSignature = 10;
    public const int BadSignature = 11;
    public const int SignatureDigestMismatch = 12;
    public const int SignatureReferenceMismatch = 13;
    public const int UntrustedKey = 14;
    public const int KeylessSignature = 15;

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

    public const string SignatureHelpText = """
        Signature exit codes:
          10 no cosign signature found (.sig tag or referrers)
          11 bad signature (malformed, truncated, payload not simple-signing, or altered)
          12 a trusted key signed another manifest digest
          13 a trusted key signed this digest for another repository
          14 no trusted key verifies the signature (another key, or altered after signing)
          15 only keyless (certificate) signatures, which are not supported
        """;
}
