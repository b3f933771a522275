using System.Text.Json.Serialization;

namespace ModelCsi.Driver.Dynamic;

[JsonConverter(typeof(JsonStringEnumConverter<DynamicMountState>))]
internal enum DynamicMountState
{
    [JsonStringEnumMemberName("pulling")]
    Pulling,

    [JsonStringEnumMemberName("ready")]
    Ready,

    [JsonStringEnumMemberName("failed")]
    Failed,
}
