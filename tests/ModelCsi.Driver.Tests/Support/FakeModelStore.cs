using System.Security.Cryptography;
using System.Text;
using ModelCsi.Core.Cache;
using ModelCsi.Core.Failures;

namespace ModelCsi.Driver.Tests.Support;

/// <summary>
/// Hand-made model store: each reference becomes a directory with a few files. It can fail with a
/// chosen kind, counts calls, and can hold callers until released to test concurrency.
/// </summary>
public sealed class FakeModelStore(string root) : IModelSource
{
    private readonly object _gate = new();
    private TaskCompletionSource? _gateOpen;
    private FailureKind? _failure;
    private int _calls;

    public int Calls => Volatile.Read(ref _calls);

    /// <summary>The leases handed out, as the real store keeps them.</summary>
    public LeaseTable Leases { get; private set; } = new();

    /// <summary>The process the leases lived in is gone: a restart starts with none.</summary>
    public void Restart() => Leases = new LeaseTable();

    /// <summary>(model, volume) of every volume lease held now.</summary>
    public IReadOnlyList<(string Digest, string VolumeId)> InUse =>
        Leases.Snapshot()
            .SelectMany(p => p.Value.Where(h => h.Kind == LeaseKind.Volume).Select(h => (p.Key, h.Id[..h.Id.IndexOf('@', StringComparison.Ordinal)])))
            .ToList();

    /// <summary>Completes when a caller is waiting at the gate.</summary>
    public TaskCompletionSource Entered { get; private set; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public IReadOnlyDictionary<string, string>? LastSecrets { get; private set; }

    public ModelRequest? LastRequest { get; private set; }

    public void FailWith(FailureKind kind) => _failure = kind;

    public void Block()
    {
        lock (_gate)
        {
            _gateOpen = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            Entered = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        }
    }

    public void Release()
    {
        lock (_gate)
        {
            _gateOpen?.TrySetResult();
            _gateOpen = null;
        }
    }

    public static string DigestOf(string reference) =>
        "sha256:" + Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(reference)));

    public string ModelPathOf(string reference) => Path.Combine(root, DigestOf(reference)[7..]);

    public ModelLease Acquire(string cacheKey, LeaseHolder holder) => Leases.Acquire(cacheKey, holder);

    public async Task<ModelHandle> AcquireAsync(ModelRequest request, CancellationToken cancellationToken = default)
    {
        Interlocked.Increment(ref _calls);
        LastSecrets = request.Secrets;
        LastRequest = request;
        Task? gate;
        lock (_gate)
        {
            gate = _gateOpen?.Task;
            Entered.TrySetResult();
        }
        if (gate is not null)
        {
            await gate.WaitAsync(cancellationToken);
        }
        if (_failure is { } kind)
        {
            throw new ModelPullException(kind, request.Reference, $"test failure {kind} for {request.Reference}");
        }
        var path = ModelPathOf(request.Reference);
        Directory.CreateDirectory(Path.Combine(path, "weights"));
        Directory.CreateDirectory(Path.Combine(path, "tokenizer"));
        await File.WriteAllTextAsync(Path.Combine(path, "config.json"), request.Reference, cancellationToken);
        await File.WriteAllBytesAsync(Path.Combine(path, "weights", "model.safetensors"), new byte[4096], cancellationToken);
        await File.WriteAllTextAsync(Path.Combine(path, "tokenizer", "vocab.json"), "{}", cancellationToken);
        if (!Path.Exists(Path.Combine(path, "escape")))
        {
            File.CreateSymbolicLink(Path.Combine(path, "escape"), "/etc");
            File.CreateSymbolicLink(Path.Combine(path, "weights-link"), "weights");
            File.CreateSymbolicLink(Path.Combine(path, "sneaky"), "weights/../../");
        }
        var digest = DigestOf(request.Reference);
        return new ModelHandle(request.Reference, digest, path) { Lease = request.Holder is { } holder ? Leases.Acquire(digest, holder) : null };
    }
}
