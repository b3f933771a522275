using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace ModelCsi.TestSupport;

/// <summary>
/// A throwaway CA with a server certificate for 127.0.0.1 and a client certificate, written as PEM files
/// (certificates and PKCS#8 keys) into a directory, for TLS and mutual-TLS registry tests.
/// </summary>
public sealed class TestCertificates
{
    private TestCertificates(string directory)
    {
        CaPath = Path.Combine(directory, "ca.pem");
        ServerCertificatePath = Path.Combine(directory, "server.pem");
        ServerKeyPath = Path.Combine(directory, "server-key.pem");
        ClientCertificatePath = Path.Combine(directory, "client.pem");
        ClientKeyPath = Path.Combine(directory, "client-key.pem");
    }

    public string CaPath { get; }

    public string ServerCertificatePath { get; }

    public string ServerKeyPath { get; }

    public string ClientCertificatePath { get; }

    public string ClientKeyPath { get; }

    public static TestCertificates Create(string directory)
    {
        Directory.CreateDirectory(directory);
        var files = new TestCertificates(directory);
        var now = DateTimeOffset.UtcNow;
        using var caKey = RSA.Create(2048);
        var caRequest = new CertificateRequest("CN=modelcsi test CA", caKey, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        caRequest.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        caRequest.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, true));
        using var ca = caRequest.CreateSelfSigned(now.AddHours(-1), now.AddDays(2));
        File.WriteAllText(files.CaPath, ca.ExportCertificatePem());

        Issue(ca, "CN=127.0.0.1", server: true, files.ServerCertificatePath, files.ServerKeyPath, now, 1);
        Issue(ca, "CN=modelcsi test client", server: false, files.ClientCertificatePath, files.ClientKeyPath, now, 2);
        return files;
    }

    private static void Issue(X509Certificate2 ca, string subject, bool server, string certificatePath, string keyPath, DateTimeOffset now, byte serial)
    {
        using var key = RSA.Create(2048);
        var request = new CertificateRequest(subject, key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature | X509KeyUsageFlags.KeyEncipherment, true));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension(
            [server ? new Oid("1.3.6.1.5.5.7.3.1") : new Oid("1.3.6.1.5.5.7.3.2")], false));
        if (server)
        {
            var names = new SubjectAlternativeNameBuilder();
            names.AddIpAddress(IPAddress.Loopback);
            names.AddDnsName("localhost");
            request.CertificateExtensions.Add(names.Build());
        }

        using var certificate = request.Create(ca, now.AddHours(-1), now.AddDays(1), [serial, 7, 7, 7]);
        File.WriteAllText(certificatePath, certificate.ExportCertificatePem());
        File.WriteAllText(keyPath, key.ExportPkcs8PrivateKeyPem());
    }
}
