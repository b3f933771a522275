using ModelCsi.Core.Cache;

namespace ModelCsi.Driver.Tests.Support;

public sealed class TestModelFetchException(ModelFetchFailureKind kind, string reference)
    : ModelFetchException(kind, reference, $"test failure {kind} for {reference}");
