using SupportPlatform.Testing.Host;

namespace SupportPlatform.Ctl.Tests;

/// <summary>Runs supportctl in-process: its output and errors captured, HTTP to an in-process host, no system config.</summary>
internal static class Ctl
{
    public static async Task<(int Code, string Out, string Error)> RunAsync(PlatformFactory? host, params string[] args)
    {
        var output = new StringWriter();
        var error = new StringWriter();
        var console = new CtlConsole(output, error, new Dictionary<string, string>(), _ => host is null
            ? throw new InvalidOperationException("no host in this test")
            : host.CreateClient(), useSystemConfig: false);
        var code = await CtlApp.RunAsync(args, console);
        return (code, output.ToString(), error.ToString());
    }

    public static async Task<string> OkAsync(PlatformFactory? host, params string[] args)
    {
        var (code, output, error) = await RunAsync(host, args);
        Assert.True(code == 0, $"supportctl {string.Join(' ', args)} exited {code}: {error}{output}");
        return output;
    }
}
