using ModelCsi.Fuzz;
using SharpFuzz;

// Usage: ModelCsi.Fuzz TARGET            under afl-fuzz (one execution per input, forkserver-style);
//        ModelCsi.Fuzz TARGET FILE...    replays inputs once each (corpus checks, crash reproduction).
if (args.Length == 0 || FuzzTargets.Find(args[0]) is not { } target)
{
    Console.Error.WriteLine($"usage: ModelCsi.Fuzz TARGET [INPUT...]; targets: {string.Join(' ', FuzzTargets.Names)}");
    return 2;
}

if (args.Length > 1)
{
    foreach (var input in args.Skip(1))
    {
        using var file = File.OpenRead(input);
        target(file);
    }

    return 0;
}

Fuzzer.OutOfProcess.Run(target);
return 0;
