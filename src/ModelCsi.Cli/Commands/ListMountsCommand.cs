using ModelCsi.Core.Cache;
using System.CommandLine;
using System.Globalization;

namespace ModelCsi.Cli.Commands;

/// <summary><c>modelcsi ls --socket PATH</c>: the mounts of a dynamic volume with their state and progress.</summary>
public sealed class ListMountsCommand(CliConsole console, GlobalOptions globals)
    : DynamicSocketCommand("ls", "List the mounts of a dynamic volume: name, state, progress, reference.", console, globals)
{
    protected override async Task<int> ExecuteAsync(ParseResult parseResult, DynamicSocketClient client, CancellationToken cancellationToken)
    {
        var mounts = await client.ListAsync(cancellationToken);
        await Console.Out.WriteLineAsync("NAME\tSTATE\tPROGRESS\tREFERENCE\tDIGEST");
        foreach (var mount in mounts)
        {
            var progress = mount.BytesTotal is { } total
                ? $"{ByteSize.Format(mount.BytesDone)}/{ByteSize.Format(total)}"
                : "-";
            var detail = mount.State == "failed" ? "error: " + mount.Error : mount.ManifestDigest ?? "-";
            await Console.Out.WriteLineAsync(string.Create(CultureInfo.InvariantCulture, $"{mount.Name}\t{mount.State}\t{progress}\t{mount.Reference}\t{detail}"));
        }

        return ExitCodes.Success;
    }
}
