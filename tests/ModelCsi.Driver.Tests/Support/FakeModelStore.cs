using System.Security.Cryptography;
using System.Text;
using ModelCsi.Core.Cache;

namespace ModelCsi.Driver.Tests.Support;

/// <summary>
/// Hand-made model store: each reference becomes a directory with a few files. It can fail with a
/// chosen kind, counts calls, and can hold callers until released to test concurrency.
/// </summary>
public sealed class FakeModelStore(string root) : IModelStore
{
    private readonly object _gate = new();
    private TaskCompletionSource? _gateOpen;
    private ModelFetchFailureKind? _failure;
    private int _calls;

    public int Calls => Volatile.Read(ref _calls);

    public List<(string Digest, string VolumeId)> InUse { get; } = [];

    /// <summary>Completes when a caller is waiting at the gate.</summary>
    public TaskCompletionSource Entered { get; private set; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public IReadOnlyDictionary<string, string>? LastSecrets { get; private set; }

    public ModelRequest? LastRequest { get; private set; }

    public void FailWith(ModelFetchFailureKind kind) => _failure = kind;

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

    public async Task<ModelHandle> EnsureModelAsync(ModelRequest request, CancellationToken cancellationToken = default)
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
            throw new TestModelFetchException(kind, request.Reference);
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
        return new ModelHandle(request.Reference, DigestOf(request.Reference), path);
    }

    public void MarkInUse(string manifestDigest, string volumeId)
    {
        lock (InUse)
        {
            InUse.Add((manifestDigest, volumeId));
        }
    }

    public void MarkUnused(string manifestDigest, string volumeId)
    {
        lock (InUse)
        {
            InUse.Remove((manifestDigest, volumeId));
        }
    }
}
