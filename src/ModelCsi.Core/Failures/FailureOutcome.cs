using Grpc.Core;

namespace ModelCsi.Core.Failures;

/// <summary>What one <see cref="FailureKind"/> means to each audience: a CSI caller, Prometheus and a shell script.</summary>
/// <param name="Code">The gRPC status code of RPCs that fail this way.</param>
/// <param name="Reason">The <c>reason</c> label of the failure metrics.</param>
/// <param name="ExitCode">The exit code of a CLI command that fails this way.</param>
public sealed record FailureOutcome(StatusCode Code, string Reason, int ExitCode);
