using Grpc.Core;

namespace ModelCsi.Driver.Tests.Support;

/// <summary>A minimal call context for invoking service methods in-process.</summary>
public sealed class TestServerCallContext(string method, DateTime deadline, CancellationToken cancellationToken) : ServerCallContext
{
    public TestServerCallContext(string method = "/csi.v1.Node/Test")
        : this(method, DateTime.MaxValue, CancellationToken.None)
    {
    }

    protected override string MethodCore => method;

    protected override string HostCore => "localhost";

    protected override string PeerCore => "unix:test";

    protected override DateTime DeadlineCore => deadline;

    protected override Metadata RequestHeadersCore { get; } = [];

    protected override CancellationToken CancellationTokenCore => cancellationToken;

    protected override Metadata ResponseTrailersCore { get; } = [];

    protected override Status StatusCore { get; set; }

    protected override WriteOptions? WriteOptionsCore { get; set; }

    protected override AuthContext AuthContextCore { get; } = new(null, []);

    protected override ContextPropagationToken CreatePropagationTokenCore(ContextPropagationOptions? options) =>
        throw new NotSupportedException();

    protected override Task WriteResponseHeadersAsyncCore(Metadata responseHeaders) => Task.CompletedTask;
}
