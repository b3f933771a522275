using ModelCsi.Benchmarks;

if (BenchmarkOptions.Parse(args) is not { } options)
{
    Console.Error.WriteLine(BenchmarkOptions.Usage);
    return 2;
}

return await new NodeBenchmark(options).RunAsync();
