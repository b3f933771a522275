using ModelCsi.TestSupport;

namespace ModelCsi.Core.Tests.Signing;

/// <summary>Key pairs made once per test class with the openssl command line: p256 (trusted), other (p256), p384, rsa, ed25519.</summary>
public sealed class OpenSslKeysFixture : IDisposable
{
    private readonly TempDirectory _directory = new("modelcsi-keys");
    private readonly Dictionary<string, (string PrivateKey, string PublicKey)> _keys = [];

    public (string PrivateKey, string PublicKey) this[string name]
    {
        get
        {
            lock (_keys)
            {
                if (!_keys.TryGetValue(name, out var pair))
                {
                    var kind = name == "other" ? "p256" : name;
                    pair = OpenSsl.GenerateKey(_directory.Path, kind, name);
                    _keys[name] = pair;
                }

                return pair;
            }
        }
    }

    public byte[] Sign(string name, byte[] payload) => OpenSsl.Sign(this[name].PrivateKey, payload, ed25519: name == "ed25519");

    public string SignBase64(string name, byte[] payload) => Convert.ToBase64String(Sign(name, payload));

    public void Dispose() => _directory.Dispose();
}
