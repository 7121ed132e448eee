using SupportPlatform.Host.Hosting;

var builder = WebApplication.CreateBuilder(args);
try
{
    builder.AddSupportPlatform();
}
catch (SupportPlatform.Core.PlatformSettingsException ex)
{
    // A bad setting (the host's or a module's) stops the start with the key, the value and what is expected; no stack trace.
    await Console.Error.WriteLineAsync(ex.Message);
    await Console.Error.WriteLineAsync("Settings come from appsettings.json and environment variables (SupportPlatform__Cluster__SiloPort for SupportPlatform:Cluster:SiloPort).");
    return 78; // EX_CONFIG
}

var app = builder.Build();
app.MapSupportPlatform();
try
{
    await app.RunAsync();
}
catch (SupportPlatform.Storage.Contracts.HostLockUnavailableException ex)
{
    // supportctl restore is replacing the database and data folder: say so, no stack trace; systemd retries later.
    await Console.Error.WriteLineAsync(ex.Message);
    return 75; // EX_TEMPFAIL
}

return 0;

/// <summary>Entry point, public so functional tests can host it with WebApplicationFactory.</summary>
public partial class Program;
