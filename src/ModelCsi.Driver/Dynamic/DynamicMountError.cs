namespace ModelCsi.Driver.Dynamic;

internal enum DynamicMountError
{
    Invalid,
    NameTaken,
    NotFound,
}
