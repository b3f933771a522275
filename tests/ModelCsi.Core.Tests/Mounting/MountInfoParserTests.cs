using ModelCsi.Core.Mounting;
using Xunit;

namespace ModelCsi.Core.Tests.Mounting;

public sealed class MountInfoParserTests
{
    private const string Fixture =
        "22 1 254:0 / / rw,relatime shared:1 - ext4 /dev/vda rw,discard\n" +
        "25 22 0:21 / /proc rw,nosuid,nodev,noexec,relatime shared:12 - proc proc rw\n" +
        "41 22 254:0 /var/lib/model-csi/models/sha256/ab /var/lib/kubelet/pods/p1/volumes/kubernetes.io~csi/model/mount ro,nosuid,nodev,relatime shared:1 - ext4 /dev/vda rw,discard\n" +
        "42 22 254:0 /data/my\\040models /mnt/with\\040space\\011tab ro,relatime - ext4 /dev/vda rw\n" +
        "43 22 0:50 / /mnt/stacked rw,relatime - tmpfs tmpfs rw,size=1024k\n" +
        "44 43 254:0 /src /mnt/stacked ro,relatime master:3 propagate_from:1 - ext4 /dev/vda rw\n" +
        "this line is not mountinfo\n" +
        "\n";

    [Fact]
    public void Every_well_formed_line_is_parsed_and_garbage_is_skipped()
    {
        var entries = MountInfoParser.Parse(Fixture);

        Assert.Equal([22, 25, 41, 42, 43, 44], entries.Select(e => e.MountId));
    }

    [Fact]
    public void Fields_land_in_their_properties()
    {
        var entry = MountInfoParser.Parse(Fixture)[2];

        Assert.Equal(41, entry.MountId);
        Assert.Equal(22, entry.ParentId);
        Assert.Equal("254:0", entry.MajorMinor);
        Assert.Equal("/var/lib/model-csi/models/sha256/ab", entry.Root);
        Assert.Equal("/var/lib/kubelet/pods/p1/volumes/kubernetes.io~csi/model/mount", entry.MountPoint);
        Assert.Equal(["ro", "nosuid", "nodev", "relatime"], entry.MountOptions);
        Assert.Equal(["shared:1"], entry.OptionalFields);
        Assert.Equal("ext4", entry.FilesystemType);
        Assert.Equal("/dev/vda", entry.Source);
        Assert.Equal(["rw", "discard"], entry.SuperOptions);
        Assert.True(entry.IsReadOnly);
    }

    [Fact]
    public void Octal_escapes_for_space_and_tab_are_decoded()
    {
        var entry = MountInfoParser.Parse(Fixture)[3];

        Assert.Equal("/data/my models", entry.Root);
        Assert.Equal("/mnt/with space\ttab", entry.MountPoint);
        Assert.Empty(entry.OptionalFields);
    }

    [Fact]
    public void Escaped_backslash_and_multibyte_names_are_decoded()
    {
        Assert.Equal("a\\b", MountInfoParser.Unescape("a\\134b"));
        Assert.Equal("mödel dir", MountInfoParser.Unescape("m\\303\\266del\\040dir"));
        Assert.Equal("plain", MountInfoParser.Unescape("plain"));
    }

    [Fact]
    public void The_topmost_of_stacked_mounts_is_found()
    {
        var entries = MountInfoParser.Parse(Fixture);

        var found = MountInfoParser.FindByMountPoint(entries, "/mnt/stacked/");

        Assert.NotNull(found);
        Assert.Equal(44, found.MountId);
        Assert.True(found.IsReadOnly);
        Assert.Equal(["master:3", "propagate_from:1"], found.OptionalFields);
    }

    [Fact]
    public void A_path_that_is_not_a_mount_point_is_not_found()
    {
        var entries = MountInfoParser.Parse(Fixture);

        Assert.Null(MountInfoParser.FindByMountPoint(entries, "/mnt"));
        Assert.Null(MountInfoParser.FindByMountPoint(entries, "/mnt/with space"));
        Assert.NotNull(MountInfoParser.FindByMountPoint(entries, "/mnt/with space\ttab"));
    }

    [Fact]
    public void A_read_write_mount_is_not_read_only_even_with_ro_superblock_options_elsewhere()
    {
        var entry = MountInfoParser.Parse("50 22 0:1 / /x rw,relatime - ext4 /dev/x ro\n").Single();

        Assert.False(entry.IsReadOnly);
    }
}
