using System.CommandLine;

namespace ModelCsi.Cli;

/// <summary>
/// Finds <c>--flags</c> the command does not have. System.CommandLine takes an unknown <c>--bogus</c> as the
/// value of the next argument and then blames the real argument ("Unrecognized command or argument 'REF'");
/// naming the option is what the user needs.
/// </summary>
internal static class UnknownOptions
{
    public static string? FirstIn(ParseResult parseResult, IReadOnlyList<string> args)
    {
        var known = new Dictionary<string, Option>(StringComparer.Ordinal);
        var first = true;
        for (var result = parseResult.CommandResult; result is not null; result = result.Parent as System.CommandLine.Parsing.CommandResult)
        {
            foreach (var option in result.Command.Options.Where(o => first || o.Recursive))
            {
                known.TryAdd(option.Name, option);
                foreach (var alias in option.Aliases)
                {
                    known.TryAdd(alias, option);
                }
            }
            first = false;
        }

        for (var i = 0; i < args.Count; i++)
        {
            var arg = args[i];
            if (arg == "--")
            {
                return null;
            }
            // "-" alone (stdin) and negative numbers are values, not options.
            if (arg.Length < 2 || arg[0] != '-' || char.IsDigit(arg[1]))
            {
                continue;
            }
            var equals = arg.IndexOf('=', StringComparison.Ordinal);
            var name = equals < 0 ? arg : arg[..equals];
            if (!known.TryGetValue(name, out var option))
            {
                return name;
            }
            if (equals < 0 && option.Arity.MinimumNumberOfValues > 0)
            {
                i++;
            }
        }
        return null;
    }
}
