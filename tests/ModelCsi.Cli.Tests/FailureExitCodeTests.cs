using Xunit;
using Grpc.Core;
using ModelCsi.Cli.Output;
using ModelCsi.Core.Cache;
using ModelCsi.Core.Failures;
using ModelCsi.Core.Oci;

namespace ModelCsi.Cli.Tests;

public sealed class FailureExitCodeTests
{
    [Theory]
    [InlineData(FailureKind.Internal, ExitCodes.General, StatusCode.Internal, "Internal")]
    [InlineData(FailureKind.InvalidArgument, ExitCodes.Usage, StatusCode.InvalidArgument, "InvalidArgument")]
    [InlineData(FailureKind.NotFound, ExitCodes.NotFound, StatusCode.NotFound, "NotFound")]
    [InlineData(FailureKind.PermissionDenied, ExitCodes.Auth, StatusCode.PermissionDenied, "PermissionDenied")]
    [InlineData(FailureKind.Unavailable, ExitCodes.Unavailable, StatusCode.Unavailable, "Unavailable")]
    [InlineData(FailureKind.DataCorrupted, ExitCodes.Integrity, StatusCode.DataLoss, "DataCorrupted")]
    [InlineData(FailureKind.Unsupported, ExitCodes.UnsupportedArtifact, StatusCode.InvalidArgument, "Unsupported")]
    [InlineData(FailureKind.InsufficientStorage, ExitCodes.InsufficientStorage, StatusCode.ResourceExhausted, "InsufficientStorage")]
    [InlineData(FailureKind.FailedPrecondition, ExitCodes.FailedPrecondition, StatusCode.FailedPrecondition, "FailedPrecondition")]
    [InlineData(FailureKind.Cancelled, ExitCodes.Cancelled, StatusCode.Cancelled, "Cancelled")]
    public void Each_failure_kind_has_one_exit_code_status_code_and_metric_reason(FailureKind kind, int exitCode, StatusCode code, string reason)
    {
        var outcome = FailureTable.For(kind);

        Assert.Equal((exitCode, code, reason), (outcome.ExitCode, outcome.Code, outcome.Reason));
        // A local failure of that kind and the driver's status for it end the CLI the same way.
        Assert.Equal(exitCode, ErrorReport.ExitCodeFor(new ModelPullException(kind, "r/m:1", "failed")));
        if (kind is not FailureKind.Unsupported and not FailureKind.Internal)
        {
            Assert.Equal(exitCode, ErrorReport.ExitCodeFor(new RpcException(new Status(code, "failed"))));
        }
    }

    [Fact]
    public void Core_exceptions_carry_their_kind_to_the_exit_code()
    {
        Assert.Equal(ExitCodes.NotFound, ErrorReport.ExitCodeFor(new ManifestNotFoundException("r/m:1: no such tag")));
        Assert.Equal(ExitCodes.Auth, ErrorReport.ExitCodeFor(new RegistryAuthException("r/m:1: denied")));
        Assert.Equal(ExitCodes.Integrity, ErrorReport.ExitCodeFor(new DigestMismatchException("sha256:a", 1, "sha256:b", 1)));
        Assert.Equal(ExitCodes.Usage, ErrorReport.ExitCodeFor(new ReferenceFormatException("Bad Ref", "uppercase")));
        Assert.Equal(ExitCodes.Unavailable, ErrorReport.ExitCodeFor(new HttpRequestException("connection refused")));
        Assert.Equal(ExitCodes.Cancelled, ErrorReport.ExitCodeFor(new OperationCanceledException()));
    }
}
