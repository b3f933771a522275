using System.Formats.Tar;
using System.IO.Compression;
using System.Text;
using ModelCsi.Core.ModelPack;
using ModelCsi.Core.Oci;
using ZstdSharp;

namespace ModelCsi.Core.Tests.ModelPack;

/// <summary>Builds layer blobs and descriptors by hand, the way other packers write them.</summary>
internal static class LayerBlob
{
    public static readonly DateTimeOffset Mtime = new(2024, 5, 1, 12, 0, 0, TimeSpan.Zero);

    public static TarEntry File(string name, string content, UnixFileMode mode = (UnixFileMode)0b110_100_100, TarEntryFormat format = TarEntryFormat.Pax, int uid = 0)
    {
        var entry = NewEntry(format, TarEntryType.RegularFile, name);
        entry.Mode = mode;
        entry.Uid = uid;
        entry.Gid = uid;
        entry.ModificationTime = Mtime;
        entry.DataStream = new MemoryStream(Encoding.UTF8.GetBytes(content));
        return entry;
    }

    public static TarEntry Directory(string name, TarEntryFormat format = TarEntryFormat.Pax, int uid = 0)
    {
        var entry = NewEntry(format, TarEntryType.Directory, name);
        entry.Mode = (UnixFileMode)0b111_101_101;
        entry.Uid = uid;
        entry.Gid = uid;
        entry.ModificationTime = DateTimeOffset.UnixEpoch;
        return entry;
    }

    public static TarEntry Link(TarEntryType type, string name, string target)
    {
        var entry = NewEntry(TarEntryFormat.Pax, type, name);
        entry.LinkName = target;
        entry.Mode = (UnixFileMode)0b111_111_111;
        return entry;
    }

    public static TarEntry Special(TarEntryType type, string name) => NewEntry(TarEntryFormat.Pax, type, name);

    public static byte[] Tar(params TarEntry[] entries) => Tar(entries, recordPadding: false);

    /// <summary>A tar; with <paramref name="recordPadding"/> it is padded with zeros to a 10240-byte record, as GNU tar does.</summary>
    public static byte[] Tar(IEnumerable<TarEntry> entries, bool recordPadding)
    {
        using var buffer = new MemoryStream();
        using (var writer = new TarWriter(buffer, TarEntryFormat.Pax, leaveOpen: true))
        {
            foreach (var entry in entries)
            {
                writer.WriteEntry(entry);
            }
        }

        if (recordPadding)
        {
            buffer.Write(new byte[10240 - (buffer.Length % 10240) + 10240]);
        }

        return buffer.ToArray();
    }

    public static byte[] Gzip(byte[] data)
    {
        using var buffer = new MemoryStream();
        using (var gzip = new GZipStream(buffer, CompressionLevel.Optimal, leaveOpen: true))
        {
            gzip.Write(data);
        }

        return buffer.ToArray();
    }

    public static byte[] Zstd(byte[] data)
    {
        using var compressor = new Compressor(3);
        return compressor.Wrap(data).ToArray();
    }

    public static OciDescriptor Descriptor(string mediaType, byte[] blob, IReadOnlyDictionary<string, string>? annotations = null, long? size = null) =>
        new()
        {
            MediaType = mediaType,
            Digest = Digest.Of(blob),
            Size = size ?? blob.Length,
            Annotations = annotations,
        };

    public static Task<UnpackResult> UnpackAsync(byte[] blob, OciDescriptor descriptor, string root, UnpackLimits? limits = null) =>
        new LayerUnpacker().UnpackAsync(new MemoryStream(blob), descriptor, root, limits ?? UnpackLimits.Default);

    private static TarEntry NewEntry(TarEntryFormat format, TarEntryType type, string name) => format switch
    {
        TarEntryFormat.Gnu => new GnuTarEntry(type, name),
        TarEntryFormat.Ustar => new UstarTarEntry(type, name),
        _ => new PaxTarEntry(type, name),
    };
}
