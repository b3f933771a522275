using Microsoft.Win32.SafeHandles;

namespace ModelCsi.Core.Transfer;

/// <summary>
/// The durability calls the cache makes: start writeback of a range early (so the final sync has little
/// left to do), wait for a file's data, a directory's entries or a whole filesystem to be on disk. An
/// interface because a power loss cannot be simulated: tests record the calls to prove each sync comes
/// before the completion that depends on it.
/// </summary>
public interface IFileSync
{
    /// <summary>Asks the kernel to start writing back a range of dirty pages; returns without waiting. A hint: failures are ignored.</summary>
    void StartWriteback(SafeFileHandle file, long offset, long length);

    /// <summary>Returns when the file's data (and the metadata needed to read it, such as its size) is on disk.</summary>
    void DataSync(SafeFileHandle file);

    /// <summary>Returns when the directory's entries (files renamed or created in it) are on disk.</summary>
    void SyncDirectory(string path);

    /// <summary>Returns when everything written to the filesystem holding <paramref name="path"/> is on disk (<c>syncfs(2)</c>).</summary>
    void SyncFileSystem(string path);
}
