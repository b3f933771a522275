namespace ModelCsi.Core.Mounting;

/// <summary>A mount(2) or umount2(2) call failed; carries the errno and its symbolic name.</summary>
public sealed class MountException : IOException
{
    public MountException(string operation, string path, int errno)
        : base($"{operation} of {path} failed: {Errno.Name(errno)} ({Errno.Describe(errno)})")
    {
        Operation = operation;
        Path = path;
        ErrorNumber = errno;
        HResult = errno;
    }

    public string Operation { get; }

    public string Path { get; }

    public int ErrorNumber { get; }

    public string ErrorName => Errno.Name(ErrorNumber);
}
