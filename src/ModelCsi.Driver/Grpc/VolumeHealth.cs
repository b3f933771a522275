using Csi.V1;
using ModelCsi.Core.Mounting;
using ModelCsi.Core.State;

namespace ModelCsi.Driver.Grpc;

/// <summary>
/// The condition of a published model volume: abnormal when its model directory is gone, when the target no
/// longer shows it, or when files went missing since it was published. A stat walk, never a re-hash.
/// </summary>
internal static class VolumeHealth
{
    public static VolumeCondition Check(PublishedVolume record, OwnMounts mounts, long entriesNow)
    {
        if (!Directory.Exists(record.SourcePath))
        {
            return Abnormal($"the model directory {record.SourcePath} of {record.Reference} is gone from the cache");
        }
        if (mounts.Inspect(record.TargetPath) is not TargetState.Ours || mounts.Find(record.TargetPath)?.Source != record.SourcePath)
        {
            return Abnormal($"{record.TargetPath} no longer shows the model {record.Reference}: it is not mounted there, or something else is");
        }
        if (record.Entries is { } expected && entriesNow < expected)
        {
            return Abnormal($"{expected - entriesNow} of the {expected} files and directories of {record.Reference} are missing");
        }
        return new VolumeCondition { Abnormal = false, Message = "the model is mounted read-only and complete" };
    }

    private static VolumeCondition Abnormal(string message) => new() { Abnormal = true, Message = message };
}
