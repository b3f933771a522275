namespace ModelCsi.Core.Oci;

public enum RegistryRequestKind
{
    Manifest,
    Blob,
}
