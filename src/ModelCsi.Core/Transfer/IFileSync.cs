using Microsoft.Win32.SafeHandles;

namespace ModelCsi.Core.Transfer;

/// <summary>
/// The two durability calls a download makes on its file: start writeback of a range early (so the
/// final sync has little left to do) and wait for the data to be on disk. An interface because a
/// power loss cannot be simulated: tests record the calls to prove the sync comes before completion.
/// </summary>
public interface IFileSync
{
    /// <summary>Asks the kernel to start writing back a range of dirty pages; returns without waiting. A hint: failures are ignored.</summary>
    void StartWriteback(SafeFileHandle file, long offset, long length);

    /// <summary>Returns when the file's data (and the metadata needed to read it, such as its size) is on disk.</summary>
    void DataSync(SafeFileHandle file);
}
