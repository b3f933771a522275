namespace ModelCsi.Core.Mounting;

/// <summary>The text of this process's mount table; a seam so tests can count how often it is read.</summary>
public interface IMountInfoSource
{
    string Read();
}
