using ModelCsi.Core.Kubernetes;
using Xunit;

namespace ModelCsi.Core.Tests.Kubernetes;

public sealed class LabelSelectorTests
{
    private static readonly Dictionary<string, string> GpuNode = new() { ["gpu"] = "a100", ["zone"] = "eu-1" };

    private static LabelSelector Expressions(params LabelSelectorRequirement[] requirements) => new(new Dictionary<string, string>(), requirements);

    [Fact]
    public void The_empty_selector_matches_every_node() => Assert.True(LabelSelector.Everything.Matches(new Dictionary<string, string>()));

    [Fact]
    public void MatchLabels_need_every_label_with_its_value()
    {
        Assert.True(new LabelSelector(new Dictionary<string, string> { ["gpu"] = "a100" }, []).Matches(GpuNode));
        Assert.False(new LabelSelector(new Dictionary<string, string> { ["gpu"] = "a100", ["zone"] = "us-1" }, []).Matches(GpuNode));
    }

    [Theory]
    [InlineData("gpu", "In", "a100,h100", true)]
    [InlineData("gpu", "In", "h100", false)]
    [InlineData("gpu", "NotIn", "h100", true)]
    [InlineData("absent", "NotIn", "x", true)]
    [InlineData("gpu", "Exists", "", true)]
    [InlineData("absent", "Exists", "", false)]
    [InlineData("absent", "DoesNotExist", "", true)]
    [InlineData("gpu", "DoesNotExist", "", false)]
    public void MatchExpressions_follow_the_Kubernetes_operators(string key, string op, string values, bool matches) =>
        Assert.Equal(matches, Expressions(new LabelSelectorRequirement(key, op, values.Length == 0 ? [] : values.Split(','))).Matches(GpuNode));

    [Fact]
    public void MatchLabels_and_matchExpressions_must_all_hold() =>
        Assert.False(new LabelSelector(new Dictionary<string, string> { ["gpu"] = "a100" }, [new LabelSelectorRequirement("zone", "NotIn", ["eu-1"])]).Matches(GpuNode));

    [Theory]
    [InlineData("gpu", "Equals", "a100")]
    [InlineData("gpu", "In", "")]
    [InlineData("gpu", "Exists", "a100")]
    [InlineData("", "Exists", "")]
    public void Requirements_the_API_server_would_reject_are_refused_with_the_reason(string key, string op, string values) =>
        Assert.Throws<FormatException>(() => new LabelSelectorRequirement(key, op, values.Length == 0 ? [] : values.Split(',')));
}
