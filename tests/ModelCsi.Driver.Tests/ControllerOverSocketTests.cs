using Csi.V1;
using Grpc.Core;
using ModelCsi.Driver.Tests.Support;
using ModelCsi.TestSupport;
using Xunit;
using AccessMode = Csi.V1.VolumeCapability.Types.AccessMode.Types.Mode;

namespace ModelCsi.Driver.Tests;

/// <summary>
/// The Controller service of the real driver process over its unix socket, provisioning from a real registry,
/// and the Node service of the same process publishing what it provisioned with real mounts.
/// </summary>
public sealed class ControllerOverSocketTests(ControllerFixture fixture) : IClassFixture<ControllerFixture>, IDisposable
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(90);
    private readonly ScratchDirectory _kubelet = new();

    private Controller.ControllerClient Controller => new(fixture.All.Channel);

    private Node.NodeClient Node => new(fixture.All.Channel);

    private static CallOptions Deadline => new(deadline: DateTime.UtcNow + Patience);

    public void Dispose() => _kubelet.Dispose();

    private static string UniqueRepository() => "ctl/m" + Guid.NewGuid().ToString("N")[..12];

    private static VolumeCapability ReadOnlyMany() => new()
    {
        Mount = new VolumeCapability.Types.MountVolume(),
        AccessMode = new VolumeCapability.Types.AccessMode { Mode = AccessMode.MultiNodeReaderOnly },
    };

    /// <summary>What csi-provisioner sends for a ReadOnlyMany claim of a class with a model parameter.</summary>
    private static CreateVolumeRequest Create(string reference, string? name = null, string key = "modelRef") => new()
    {
        Name = name ?? "pvc-" + Guid.NewGuid(),
        CapacityRange = new CapacityRange { RequiredBytes = 1 },
        VolumeCapabilities = { ReadOnlyMany() },
        Parameters = { [key] = reference },
    };

    private NodePublishVolumeRequest PublishOf(Volume volume) => new()
    {
        VolumeId = volume.VolumeId,
        TargetPath = _kubelet.Combine("pods", Guid.NewGuid().ToString(), "volumes", "kubernetes.io~csi", volume.VolumeId, "mount"),
        Readonly = true,
        VolumeCapability = ReadOnlyMany(),
        VolumeContext = { volume.VolumeContext },
    };

    private static async Task<RpcException> FailsAsync(Func<Task> call) => await Assert.ThrowsAsync<RpcException>(call);

    [Fact]
    public async Task A_provisioned_volume_pins_the_digest_and_pods_get_the_old_bytes_after_the_tag_moves()
    {
        var repository = UniqueRepository();
        var (oldDigest, oldFiles) = await fixture.PushAsync(fixture.Registry, repository, "v1");
        var reference = $"{fixture.Registry.Host}/{repository}:v1";
        var request = Create(reference);

        var volume = (await Controller.CreateVolumeAsync(request, Deadline)).Volume;

        Assert.Equal($"{fixture.Registry.Host}/{repository}@{oldDigest}", volume.VolumeContext["modelRef"]);
        Assert.Equal(reference, volume.VolumeContext["model.csi.modelpack.org/requested-reference"]);
        Assert.StartsWith("model-", volume.VolumeId, StringComparison.Ordinal);

        var (newDigest, _) = await fixture.PushAsync(fixture.Registry, repository, "v1");
        Assert.NotEqual(oldDigest, newDigest);

        var retried = (await Controller.CreateVolumeAsync(request, Deadline)).Volume;
        Assert.Equal(volume, retried);

        var publish = PublishOf(volume);
        await Node.NodePublishVolumeAsync(publish, Deadline);
        try
        {
            foreach (var (relative, content) in oldFiles)
            {
                Assert.Equal(content, await File.ReadAllBytesAsync(Path.Combine(publish.TargetPath, relative)));
            }
        }
        finally
        {
            await Node.NodeUnpublishVolumeAsync(new NodeUnpublishVolumeRequest { VolumeId = publish.VolumeId, TargetPath = publish.TargetPath }, Deadline);
        }
    }

    [Fact]
    public async Task The_capacity_is_the_model_size_raised_to_what_the_claim_requires()
    {
        var repository = UniqueRepository();
        await fixture.PushAsync(fixture.Registry, repository, "v1");
        var small = Create($"{fixture.Registry.Host}/{repository}:v1");
        var large = Create($"{fixture.Registry.Host}/{repository}:v1");
        large.CapacityRange.RequiredBytes = 10L << 30;

        var modelSized = (await Controller.CreateVolumeAsync(small, Deadline)).Volume;
        var claimSized = (await Controller.CreateVolumeAsync(large, Deadline)).Volume;

        var modelBytes = long.Parse(modelSized.VolumeContext["model.csi.modelpack.org/size-bytes"], System.Globalization.CultureInfo.InvariantCulture);
        Assert.True(modelBytes > 200_000, $"model size {modelBytes}");
        Assert.Equal(modelBytes, modelSized.CapacityBytes);
        Assert.Equal(10L << 30, claimSized.CapacityBytes);
    }

    [Fact]
    public async Task A_model_larger_than_the_claims_limit_is_out_of_range()
    {
        var repository = UniqueRepository();
        await fixture.PushAsync(fixture.Registry, repository, "v1");
        var request = Create($"{fixture.Registry.Host}/{repository}:v1");
        request.CapacityRange.LimitBytes = 1000;

        var error = await FailsAsync(() => Controller.CreateVolumeAsync(request, Deadline).ResponseAsync);

        Assert.Equal(StatusCode.OutOfRange, error.StatusCode);
    }

    [Fact]
    public async Task The_long_parameter_name_works_like_modelRef()
    {
        var repository = UniqueRepository();
        var (digest, _) = await fixture.PushAsync(fixture.Registry, repository, "v1");

        var volume = (await Controller.CreateVolumeAsync(Create($"{fixture.Registry.Host}/{repository}:v1", key: "model.csi.modelpack.org/reference"), Deadline)).Volume;

        Assert.Equal($"{fixture.Registry.Host}/{repository}@{digest}", volume.VolumeContext["modelRef"]);
        Assert.False(volume.VolumeContext.ContainsKey("model.csi.modelpack.org/reference"));
    }

    [Fact]
    public async Task The_same_name_with_other_parameters_is_already_exists()
    {
        var repository = UniqueRepository();
        await fixture.PushAsync(fixture.Registry, repository, "v1");
        await fixture.PushAsync(fixture.Registry, repository, "v2");
        var first = Create($"{fixture.Registry.Host}/{repository}:v1");
        await Controller.CreateVolumeAsync(first, Deadline);

        var error = await FailsAsync(() => Controller.CreateVolumeAsync(Create($"{fixture.Registry.Host}/{repository}:v2", first.Name), Deadline).ResponseAsync);

        Assert.Equal(StatusCode.AlreadyExists, error.StatusCode);
    }

    [Fact]
    public async Task A_missing_tag_is_not_found_and_the_message_names_the_reference()
    {
        var repository = UniqueRepository();
        await fixture.PushAsync(fixture.Registry, repository, "v1");
        var reference = $"{fixture.Registry.Host}/{repository}:no-such-tag";

        var error = await FailsAsync(() => Controller.CreateVolumeAsync(Create(reference), Deadline).ResponseAsync);

        Assert.Equal(StatusCode.NotFound, error.StatusCode);
        Assert.Contains(reference, error.Status.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_registry_that_wants_credentials_is_permission_denied_without_secrets_and_works_with_them()
    {
        var credential = Core.Oci.RegistryCredential.Basic(BasicAuthRegistryFixture.User, BasicAuthRegistryFixture.Password);
        var repository = UniqueRepository();
        var (digest, _) = await fixture.PushAsync(fixture.AuthRegistry, repository, "v1", credential);
        var reference = $"{fixture.AuthRegistry.Host}/{repository}:v1";

        var error = await FailsAsync(() => Controller.CreateVolumeAsync(Create(reference), Deadline).ResponseAsync);
        var withSecrets = Create(reference);
        withSecrets.Secrets["username"] = BasicAuthRegistryFixture.User;
        withSecrets.Secrets["password"] = BasicAuthRegistryFixture.Password;
        var volume = (await Controller.CreateVolumeAsync(withSecrets, Deadline)).Volume;

        Assert.Equal(StatusCode.PermissionDenied, error.StatusCode);
        Assert.Contains(reference, error.Status.Detail, StringComparison.Ordinal);
        Assert.Equal($"{fixture.AuthRegistry.Host}/{repository}@{digest}", volume.VolumeContext["modelRef"]);
        Assert.DoesNotContain(BasicAuthRegistryFixture.Password, fixture.All.Output, StringComparison.Ordinal);
    }

    public static TheoryData<string, string> InvalidCreates => new()
    {
        { "missing name", "name" },
        { "missing capabilities", "volume_capabilities" },
        { "block access", "block" },
        { "missing model parameter", "modelRef" },
        { "malformed reference", "Bad Reference" },
        { "content source", "volume_content_source" },
        { "negative capacity", "capacity_range" },
        { "bad pull policy", "pullPolicy" },
    };

    [Theory]
    [MemberData(nameof(InvalidCreates))]
    public async Task An_invalid_create_is_an_invalid_argument_naming_the_problem(string problem, string named)
    {
        var request = Create($"{fixture.Registry.Host}/ctl/anything:v1");
        switch (problem)
        {
            case "missing name": request.Name = ""; break;
            case "missing capabilities": request.VolumeCapabilities.Clear(); break;
            case "block access": request.VolumeCapabilities[0] = new VolumeCapability { Block = new(), AccessMode = new() { Mode = AccessMode.MultiNodeReaderOnly } }; break;
            case "missing model parameter": request.Parameters.Clear(); request.Parameters["subPath"] = "x"; break;
            case "malformed reference": request.Parameters["modelRef"] = "Bad Reference"; break;
            case "content source": request.VolumeContentSource = new VolumeContentSource { Volume = new() { VolumeId = "other" } }; break;
            case "negative capacity": request.CapacityRange = new CapacityRange { RequiredBytes = -1 }; break;
            case "bad pull policy": request.Parameters["pullPolicy"] = "Sometimes"; break;
        }

        var error = await FailsAsync(() => Controller.CreateVolumeAsync(request, Deadline).ResponseAsync);

        Assert.Equal(StatusCode.InvalidArgument, error.StatusCode);
        Assert.Contains(named, error.Status.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Delete_needs_a_volume_id_and_succeeds_for_any_other_including_unknown_and_repeated()
    {
        var missing = await FailsAsync(() => Controller.DeleteVolumeAsync(new DeleteVolumeRequest(), Deadline).ResponseAsync);

        await Controller.DeleteVolumeAsync(new DeleteVolumeRequest { VolumeId = "model-0000000000000000" }, Deadline);
        await Controller.DeleteVolumeAsync(new DeleteVolumeRequest { VolumeId = "model-0000000000000000" }, Deadline);

        Assert.Equal(StatusCode.InvalidArgument, missing.StatusCode);
    }

    [Fact]
    public async Task A_deleted_volume_is_forgotten_and_its_name_can_be_provisioned_again_with_other_parameters()
    {
        var repository = UniqueRepository();
        await fixture.PushAsync(fixture.Registry, repository, "v1");
        var (v2, _) = await fixture.PushAsync(fixture.Registry, repository, "v2");
        var first = Create($"{fixture.Registry.Host}/{repository}:v1");
        var volume = (await Controller.CreateVolumeAsync(first, Deadline)).Volume;
        var known = new ValidateVolumeCapabilitiesRequest { VolumeId = volume.VolumeId, VolumeCapabilities = { ReadOnlyMany() } };
        var confirmedBefore = await Controller.ValidateVolumeCapabilitiesAsync(known, Deadline);

        await Controller.DeleteVolumeAsync(new DeleteVolumeRequest { VolumeId = volume.VolumeId }, Deadline);
        var afterDelete = await FailsAsync(() => Controller.ValidateVolumeCapabilitiesAsync(known, Deadline).ResponseAsync);
        var again = (await Controller.CreateVolumeAsync(Create($"{fixture.Registry.Host}/{repository}:v2", first.Name), Deadline)).Volume;

        Assert.NotNull(confirmedBefore.Confirmed);
        Assert.Equal(StatusCode.NotFound, afterDelete.StatusCode);
        Assert.Equal(volume.VolumeId, again.VolumeId);
        Assert.EndsWith(v2, again.VolumeContext["modelRef"], StringComparison.Ordinal);
    }

    [Fact]
    public async Task Validate_needs_an_id_and_capabilities_and_does_not_know_a_volume_without_a_model()
    {
        var noId = await FailsAsync(() => Controller.ValidateVolumeCapabilitiesAsync(new ValidateVolumeCapabilitiesRequest { VolumeCapabilities = { ReadOnlyMany() } }, Deadline).ResponseAsync);
        var noCapabilities = await FailsAsync(() => Controller.ValidateVolumeCapabilitiesAsync(new ValidateVolumeCapabilitiesRequest { VolumeId = "v", VolumeContext = { ["modelRef"] = "r.example/m:1" } }, Deadline).ResponseAsync);
        var unknown = await FailsAsync(() => Controller.ValidateVolumeCapabilitiesAsync(new ValidateVolumeCapabilitiesRequest { VolumeId = "some-vol-id", VolumeCapabilities = { ReadOnlyMany() } }, Deadline).ResponseAsync);

        Assert.Equal(StatusCode.InvalidArgument, noId.StatusCode);
        Assert.Equal(StatusCode.InvalidArgument, noCapabilities.StatusCode);
        Assert.Equal(StatusCode.NotFound, unknown.StatusCode);
    }

    [Theory]
    [InlineData(AccessMode.MultiNodeReaderOnly, true)]
    [InlineData(AccessMode.SingleNodeReaderOnly, true)]
    [InlineData(AccessMode.SingleNodeWriter, true)]
    [InlineData(AccessMode.MultiNodeSingleWriter, true)]
    [InlineData(AccessMode.MultiNodeMultiWriter, true)]
    [InlineData(AccessMode.Unknown, false)]
    public async Task Validate_confirms_every_mount_mode_of_a_static_volume_the_mount_being_read_only_whatever_is_asked(AccessMode mode, bool confirmed)
    {
        var request = new ValidateVolumeCapabilitiesRequest
        {
            VolumeId = "static-pv-llama",
            VolumeContext = { ["modelRef"] = "registry.example.com/models/llama:1.0" },
            VolumeCapabilities = { new VolumeCapability { Mount = new(), AccessMode = new() { Mode = mode } } },
        };

        var response = await Controller.ValidateVolumeCapabilitiesAsync(request, Deadline);

        Assert.Equal(confirmed, response.Confirmed is not null);
        Assert.Equal(confirmed, string.IsNullOrEmpty(response.Message));
    }

    [Fact]
    public async Task A_controller_mode_driver_provisions_without_serving_the_node_or_touching_the_root_dir()
    {
        var repository = UniqueRepository();
        var (digest, _) = await fixture.PushAsync(fixture.Registry, repository, "v1");
        var channel = fixture.ControllerOnly.Channel;

        var volume = (await new Controller.ControllerClient(channel).CreateVolumeAsync(Create($"{fixture.Registry.Host}/{repository}:v1"), Deadline)).Volume;
        var probe = await new Identity.IdentityClient(channel).ProbeAsync(new ProbeRequest(), Deadline);
        var node = await FailsAsync(() => new Node.NodeClient(channel).NodeGetInfoAsync(new NodeGetInfoRequest(), Deadline).ResponseAsync);

        Assert.EndsWith(digest, volume.VolumeContext["modelRef"], StringComparison.Ordinal);
        Assert.True(probe.Ready);
        Assert.Equal(StatusCode.Unimplemented, node.StatusCode);
        Assert.False(Directory.Exists(fixture.ControllerOnly.RootDir), "the controller created the node's root dir");
    }

    [Fact]
    public async Task A_static_volume_publishes_on_a_node_without_any_controller()
    {
        var repository = UniqueRepository();
        var (digest, files) = await fixture.PushAsync(fixture.Registry, repository, "v1");
        var node = new Node.NodeClient(fixture.NodeOnly.Channel);
        // What kubelet sends for a hand-written PV: its volumeHandle, its volumeAttributes, the PV's access mode.
        var publish = PublishOf(new Volume
        {
            VolumeId = "model-tiny-static",
            VolumeContext = { ["modelRef"] = $"{fixture.Registry.Host}/{repository}@{digest}" },
        });

        var controller = await FailsAsync(() => new Controller.ControllerClient(fixture.NodeOnly.Channel).CreateVolumeAsync(Create($"{fixture.Registry.Host}/{repository}:v1"), Deadline).ResponseAsync);
        await node.NodePublishVolumeAsync(publish, Deadline);
        try
        {
            Assert.Equal(files["config.json"], await File.ReadAllBytesAsync(Path.Combine(publish.TargetPath, "config.json")));
        }
        finally
        {
            await node.NodeUnpublishVolumeAsync(new NodeUnpublishVolumeRequest { VolumeId = publish.VolumeId, TargetPath = publish.TargetPath }, Deadline);
        }

        Assert.Equal(StatusCode.Unimplemented, controller.StatusCode);
    }
}
