namespace ModelCsi.Driver.Options;

/// <summary>Which CSI services this process serves (Identity is always served).</summary>
public enum DriverMode
{
    Node,
    Controller,
    All,
}
