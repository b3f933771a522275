using ModelCsi.Core.Failures;
using Csi.V1;
using Grpc.Core;
using Microsoft.Extensions.Logging.Abstractions;
using ModelCsi.Core.Cache;
using ModelCsi.Core.Mounting;
using ModelCsi.Driver.Grpc;
using ModelCsi.Driver.Tests.Support;
using Xunit;

namespace ModelCsi.Driver.Tests;

public sealed class ExceptionMappingTests
{
    private static readonly RpcCall Publish = new("NodePublishVolume", "vol-7", "/pods/p/mount");

    [Theory]
    [InlineData(FailureKind.InvalidArgument, StatusCode.InvalidArgument, "InvalidArgument")]
    [InlineData(FailureKind.NotFound, StatusCode.NotFound, "NotFound")]
    [InlineData(FailureKind.PermissionDenied, StatusCode.PermissionDenied, "PermissionDenied")]
    [InlineData(FailureKind.Unavailable, StatusCode.Unavailable, "Unavailable")]
    [InlineData(FailureKind.InsufficientStorage, StatusCode.ResourceExhausted, "InsufficientStorage")]
    [InlineData(FailureKind.DataCorrupted, StatusCode.DataLoss, "DataCorrupted")]
    [InlineData(FailureKind.Unsupported, StatusCode.InvalidArgument, "Unsupported")]
    [InlineData(FailureKind.FailedPrecondition, StatusCode.FailedPrecondition, "FailedPrecondition")]
    [InlineData(FailureKind.Internal, StatusCode.Internal, "Internal")]
    public void Each_failure_kind_has_its_status_code_and_metric_reason(FailureKind kind, StatusCode expected, string reason)
    {
        var status = ExceptionStatusMapper.ToStatus(new ModelPullException(kind, "registry.local/m:1", $"pulling registry.local/m:1 failed: test failure {kind}"), Publish, false, false);

        Assert.Equal(expected, status.StatusCode);
        Assert.Equal(reason, FailureTable.For(kind).Reason);
        Assert.Contains("vol-7", status.Detail, StringComparison.Ordinal);
        // The reference is named once: by the failure's own message, not again by the mapping.
        Assert.Single(System.Text.RegularExpressions.Regex.Matches(status.Detail, "registry\\.local/m:1"));
    }

    [Fact]
    public void Every_failure_kind_is_in_the_table_and_only_Internal_maps_to_Internal()
    {
        foreach (var kind in Enum.GetValues<FailureKind>())
        {
            Assert.Equal(kind == FailureKind.Internal, FailureTable.For(kind).Code == StatusCode.Internal);
        }
    }

    [Fact]
    public void A_cancellation_after_the_deadline_is_DeadlineExceeded()
    {
        var status = ExceptionStatusMapper.ToStatus(new OperationCanceledException(), Publish, deadlineExpired: true, shuttingDown: false);

        Assert.Equal(StatusCode.DeadlineExceeded, status.StatusCode);
    }

    [Fact]
    public void A_cancellation_during_shutdown_is_Unavailable()
    {
        var status = ExceptionStatusMapper.ToStatus(new TaskCanceledException(), Publish, deadlineExpired: false, shuttingDown: true);

        Assert.Equal(StatusCode.Unavailable, status.StatusCode);
    }

    [Fact]
    public void A_full_disk_is_ResourceExhausted()
    {
        var status = ExceptionStatusMapper.ToStatus(new IOException("No space left on device", 28), Publish, false, false);

        Assert.Equal(StatusCode.ResourceExhausted, status.StatusCode);
    }

    [Fact]
    public void A_mount_failure_is_Internal_with_the_errno_name_and_the_volume()
    {
        var status = ExceptionStatusMapper.ToStatus(new MountException("bind mount from /m", "/pods/p/mount", Errno.EPERM), Publish, false, false);

        Assert.Equal(StatusCode.Internal, status.StatusCode);
        Assert.Contains("EPERM", status.Detail, StringComparison.Ordinal);
        Assert.Contains("vol-7", status.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public void Anything_else_is_Internal_never_Unknown()
    {
        var status = ExceptionStatusMapper.ToStatus(new InvalidOperationException("boom"), Publish, false, false);

        Assert.Equal(StatusCode.Internal, status.StatusCode);
        Assert.Contains("boom", status.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_interceptor_turns_a_thrown_model_fetch_failure_into_its_status()
    {
        using var lifetime = new TestLifetime();
        var interceptor = new ExceptionMappingInterceptor(NullLogger<ExceptionMappingInterceptor>.Instance, lifetime, TimeProvider.System, new CsiMetrics(Prometheus.Metrics.NewCustomRegistry()));
        var request = new NodePublishVolumeRequest { VolumeId = "vol-9", TargetPath = "/pods/x/mount" };

        var error = await Assert.ThrowsAsync<RpcException>(() => interceptor.UnaryServerHandler<NodePublishVolumeRequest, NodePublishVolumeResponse>(
            request,
            new TestServerCallContext("/csi.v1.Node/NodePublishVolume"),
            (_, _) => throw new ModelPullException(FailureKind.PermissionDenied, "registry.local/private:1", "test failure PermissionDenied")));

        Assert.Equal(StatusCode.PermissionDenied, error.StatusCode);
        Assert.Contains("NodePublishVolume of volume vol-9", error.Status.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_interceptor_reports_a_cancelled_call_past_its_deadline_as_DeadlineExceeded()
    {
        using var lifetime = new TestLifetime();
        var interceptor = new ExceptionMappingInterceptor(NullLogger<ExceptionMappingInterceptor>.Instance, lifetime, TimeProvider.System, new CsiMetrics(Prometheus.Metrics.NewCustomRegistry()));
        var context = new TestServerCallContext("/csi.v1.Node/NodePublishVolume", DateTime.UtcNow.AddSeconds(-1), CancellationToken.None);

        var error = await Assert.ThrowsAsync<RpcException>(() => interceptor.UnaryServerHandler<NodePublishVolumeRequest, NodePublishVolumeResponse>(
            new NodePublishVolumeRequest { VolumeId = "vol-9" },
            context,
            (_, _) => throw new OperationCanceledException()));

        Assert.Equal(StatusCode.DeadlineExceeded, error.StatusCode);
    }

    [Fact]
    public async Task The_interceptor_passes_RpcExceptions_through_unchanged()
    {
        using var lifetime = new TestLifetime();
        var interceptor = new ExceptionMappingInterceptor(NullLogger<ExceptionMappingInterceptor>.Instance, lifetime, TimeProvider.System, new CsiMetrics(Prometheus.Metrics.NewCustomRegistry()));

        var error = await Assert.ThrowsAsync<RpcException>(() => interceptor.UnaryServerHandler<NodePublishVolumeRequest, NodePublishVolumeResponse>(
            new NodePublishVolumeRequest(),
            new TestServerCallContext("/csi.v1.Node/NodePublishVolume"),
            (_, _) => throw new RpcException(new Status(StatusCode.Aborted, "busy"))));

        Assert.Equal(StatusCode.Aborted, error.StatusCode);
        Assert.Equal("busy", error.Status.Detail);
    }
}
