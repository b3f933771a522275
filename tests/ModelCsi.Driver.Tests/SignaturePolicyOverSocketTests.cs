using Csi.V1;
using Grpc.Core;
using ModelCsi.Core.Mounting;
using ModelCsi.Driver.Tests.Support;
using ModelCsi.TestSupport;
using Xunit;
using AccessMode = Csi.V1.VolumeCapability.Types.AccessMode.Types.Mode;

namespace ModelCsi.Driver.Tests;

/// <summary>
/// The real driver process (mode all) started with a <c>signatures:</c> policy in its config file: an enforce rule
/// for <c>signed/**</c> of a real registry, with an openssl-made key; signatures attached in cosign's format by hand.
/// </summary>
public sealed class SignaturePolicyOverSocketTests(SignaturePolicyOverSocketTests.Fixture fixture)
    : IClassFixture<SignaturePolicyOverSocketTests.Fixture>, IDisposable
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(90);
    private readonly ScratchDirectory _kubelet = new();

    private Node.NodeClient Node => new(fixture.Driver.Channel);

    private Controller.ControllerClient Controller => new(fixture.Driver.Channel);

    private static CallOptions Deadline => new(deadline: DateTime.UtcNow + Patience);

    public void Dispose() => _kubelet.Dispose();

    [Fact]
    public async Task A_signed_model_publishes_and_an_unsigned_one_is_permission_denied_naming_reference_rule_and_reason()
    {
        var (signed, files) = await fixture.PushAsync("signed", sign: true);
        var (unsigned, _) = await fixture.PushAsync("signed", sign: false);
        var good = InlinePublish(signed);
        var bad = InlinePublish(unsigned);

        await Node.NodePublishVolumeAsync(good, Deadline);
        try
        {
            foreach (var (relative, content) in files)
            {
                Assert.Equal(content, await File.ReadAllBytesAsync(Path.Combine(good.TargetPath, relative)));
            }
        }
        finally
        {
            await Node.NodeUnpublishVolumeAsync(new NodeUnpublishVolumeRequest { VolumeId = good.VolumeId, TargetPath = good.TargetPath }, Deadline);
        }

        var refused = await Assert.ThrowsAsync<RpcException>(async () => await Node.NodePublishVolumeAsync(bad, Deadline));

        Assert.Equal(StatusCode.PermissionDenied, refused.StatusCode);
        Assert.Contains(unsigned, refused.Status.Detail, StringComparison.Ordinal);
        Assert.Contains("rule 'signed-models'", refused.Status.Detail, StringComparison.Ordinal);
        Assert.Contains("no signature", refused.Status.Detail, StringComparison.Ordinal);
        Assert.Null(MountInfoParser.FindByMountPoint(MountInfoParser.Parse(File.ReadAllText("/proc/self/mountinfo")), bad.TargetPath));
        using var http = new HttpClient { BaseAddress = new Uri(fixture.Driver.MetricsUrl!), Timeout = Patience };
        var metrics = await http.GetStringAsync(new Uri("/metrics", UriKind.Relative));
        Assert.Contains("modelcsi_signature_verifications_total{result=\"verified\"}", metrics, StringComparison.Ordinal);
        Assert.Contains("modelcsi_signature_verifications_total{result=\"no_signature\"}", metrics, StringComparison.Ordinal);
    }

    [Fact]
    public async Task CreateVolume_provisions_a_signed_model_and_refuses_an_unsigned_one()
    {
        var (signed, _) = await fixture.PushAsync("signed", sign: true);
        var (unsigned, _) = await fixture.PushAsync("signed", sign: false);

        var volume = (await Controller.CreateVolumeAsync(Create(signed), Deadline)).Volume;
        var refused = await Assert.ThrowsAsync<RpcException>(async () => await Controller.CreateVolumeAsync(Create(unsigned), Deadline));

        Assert.StartsWith("model-", volume.VolumeId, StringComparison.Ordinal);
        Assert.Equal(StatusCode.PermissionDenied, refused.StatusCode);
        Assert.Contains("rule 'signed-models'", refused.Status.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_policy_for_one_repository_does_not_affect_another()
    {
        var (plain, files) = await fixture.PushAsync("plain", sign: false);
        var request = InlinePublish(plain);

        await Node.NodePublishVolumeAsync(request, Deadline);
        try
        {
            Assert.Equal(files["config.json"], await File.ReadAllBytesAsync(Path.Combine(request.TargetPath, "config.json")));
        }
        finally
        {
            await Node.NodeUnpublishVolumeAsync(new NodeUnpublishVolumeRequest { VolumeId = request.VolumeId, TargetPath = request.TargetPath }, Deadline);
        }
    }

    private NodePublishVolumeRequest InlinePublish(string reference)
    {
        var uid = Guid.NewGuid().ToString();
        return new NodePublishVolumeRequest
        {
            VolumeId = "csi-" + Guid.NewGuid().ToString("N"),
            TargetPath = _kubelet.Combine("pods", uid, "volumes", "kubernetes.io~csi", "model", "mount"),
            Readonly = true,
            VolumeCapability = new VolumeCapability
            {
                Mount = new VolumeCapability.Types.MountVolume(),
                AccessMode = new VolumeCapability.Types.AccessMode { Mode = AccessMode.SingleNodeWriter },
            },
            VolumeContext =
            {
                ["modelRef"] = reference,
                ["csi.storage.k8s.io/pod.name"] = "infer-0",
                ["csi.storage.k8s.io/pod.namespace"] = "ml",
                ["csi.storage.k8s.io/pod.uid"] = uid,
                ["csi.storage.k8s.io/ephemeral"] = "true",
            },
        };
    }

    private static CreateVolumeRequest Create(string reference) => new()
    {
        Name = "pvc-" + Guid.NewGuid(),
        CapacityRange = new CapacityRange { RequiredBytes = 1 },
        VolumeCapabilities =
        {
            new VolumeCapability
            {
                Mount = new VolumeCapability.Types.MountVolume(),
                AccessMode = new VolumeCapability.Types.AccessMode { Mode = AccessMode.MultiNodeReaderOnly },
            },
        },
        Parameters = { ["modelRef"] = reference },
    };

    /// <summary>A registry, a key pair, and the driver whose config trusts that key for <c>signed/**</c> (enforce).</summary>
    public sealed class Fixture : IAsyncLifetime
    {
        private readonly ScratchDirectory _scratch = new();
        private readonly TempDirectory _sources = new("modelcsi-signed-models");
        private string _privateKey = "";

        public RegistryProcess Registry { get; private set; } = null!;

        public DriverProcess Driver { get; private set; } = null!;

        public async Task InitializeAsync()
        {
            Registry = await RegistryProcess.StartAsync();
            Directory.CreateDirectory(_scratch.Combine("keys"));
            var (privateKey, publicKey) = OpenSsl.GenerateKey(_scratch.Combine("keys"), "p256");
            _privateKey = privateKey;
            var config = _scratch.Combine("config.yaml");
            await File.WriteAllTextAsync(config, $"""
                signatures:
                  rules:
                    - name: signed-models
                      match: {Registry.Host}/signed/**
                      mode: enforce
                      keys: [{publicKey}]
                """);
            Driver = await DriverProcess.StartAsync(_scratch, "--mode", "all", "--node-id", "signature-node", "--config", config);
        }

        /// <returns>The tag reference and the model's files.</returns>
        public async Task<(string Reference, Dictionary<string, byte[]> Files)> PushAsync(string prefix, bool sign)
        {
            var repository = $"{prefix}/m{Guid.NewGuid():N}"[..(prefix.Length + 14)];
            var files = new Dictionary<string, byte[]>
            {
                ["model.safetensors"] = OciTestContent.RandomBytes(100_000, Random.Shared.Next()),
                ["config.json"] = System.Text.Encoding.UTF8.GetBytes($"{{\"id\": \"{Guid.NewGuid():N}\"}}"),
            };
            var packed = await TestModels.PushAsync(Registry.Host, repository, "v1", TestModels.WriteDirectory(_sources.Path, files));
            if (sign)
            {
                var payload = CosignTestSignatures.Payload($"{Registry.Host}/{repository}", packed.ManifestDigest);
                var signature = Convert.ToBase64String(OpenSsl.Sign(_privateKey, payload));
                await CosignTestSignatures.AttachAsync(Registry.Host, repository, packed.ManifestDigest, [new CosignTestSignatures.Layer(payload, signature)]);
            }

            return ($"{Registry.Host}/{repository}:v1", files);
        }

        public async Task DisposeAsync()
        {
            // The driver removes its scratch directory (and the key and config in it) when it is disposed.
            await Driver.DisposeAsync();
            await Registry.DisposeAsync();
            _sources.Dispose();
        }
    }
}
