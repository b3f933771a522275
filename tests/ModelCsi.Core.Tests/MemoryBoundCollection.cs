using Xunit;

namespace ModelCsi.Core.Tests;

/// <summary>
/// Tests that bound the process's managed heap while streaming a 1 GiB blob. They run alone: the heap is
/// process-wide, and other tests allocating at the same time would be counted against them.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class MemoryBoundCollection : ICollectionFixture<ModelCsi.TestSupport.RegistryFixture>
{
    public const string Name = "memory-bound";
}
