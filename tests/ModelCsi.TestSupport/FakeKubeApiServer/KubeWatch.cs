using System.Text.Json.Nodes;
using System.Threading.Channels;

namespace ModelCsi.TestSupport;

/// <summary>One open <c>?watch=true</c> request: the event lines still to send, and what it watches.</summary>
internal sealed class KubeWatch(string resource, string? @namespace, string? name, bool bookmarks)
{
    private readonly Channel<string> _lines = Channel.CreateUnbounded<string>();

    public string Resource { get; } = resource;

    public bool Bookmarks { get; } = bookmarks;

    /// <summary>Set when the server drops the connection on purpose (a test cutting the stream).</summary>
    public bool Cut { get; private set; }

    public ChannelReader<string> Lines => _lines.Reader;

    public bool MatchesObject(string resourceName, string objectNamespace, string objectName) =>
        resourceName == Resource && (@namespace is null || @namespace == objectNamespace) && (name is null || name == objectName);

    public void Send(string type, JsonNode node) =>
        _lines.Writer.TryWrite(new JsonObject { ["type"] = type, ["object"] = node.DeepClone() }.ToJsonString());

    public void Close(bool cut)
    {
        Cut = cut;
        _lines.Writer.TryComplete();
    }
}
