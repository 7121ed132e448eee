using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using SupportPlatform.Sdk;
using SupportPlatform.Sdk.Monitoring;
using SupportPlatform.Sdk.Webhooks;

namespace SupportPlatform.Plugins.Monitoring.Nagios;

/// <summary>Nagios Core as a monitoring source: notification webhook and acknowledgements through the command file.</summary>
public sealed class NagiosPlugin : IPlugin
{
    /// <inheritdoc />
    public void ConfigureServices(IServiceCollection services, PluginContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        services.AddSingleton(NagiosSettings.Read(context.Configuration));
        services.AddSingleton<IWebhookHandler, NagiosWebhook>();
        services.AddSingleton<IMonitoringAcknowledger, NagiosAcknowledger>();
        services.AddSingleton<NagiosStatusSeeder>();
        services.AddSingleton<IPluginBackgroundService>(sp => sp.GetRequiredService<NagiosStatusSeeder>());
    }
}

/// <summary>The plugin's settings (<c>Plugins:nagios:*</c>).</summary>
internal sealed record NagiosSettings(string Token, string? CommandFile, string? StatusFile = null)
{
    public static NagiosSettings Read(IConfiguration configuration)
    {
        var token = configuration["token"];
        if (string.IsNullOrWhiteSpace(token) || token.Length < 16)
        {
            throw new InvalidOperationException("Plugins:nagios:token must be set to a secret of at least 16 characters (the content of the token file the notification command reads).");
        }

        return new NagiosSettings(
            token,
            configuration["commandFile"] is { Length: > 0 } file ? file : null,
            configuration["statusFile"] is { Length: > 0 } status ? status : null);
    }
}

/// <summary>
/// Receives the notification command's form post (<c>/hooks/nagios</c>): the Nagios macros as fields
/// (<c>type, host, service, state, output, time, problemId, lastProblemId</c>). 2xx only after storage; 401 for a
/// wrong token; 400 with the reason. ACKNOWLEDGEMENT, FLAPPING and DOWNTIME notifications are answered 200 and ignored.
/// </summary>
internal sealed class NagiosWebhook(NagiosSettings settings, IMonitoringAlertSink sink, NagiosStatusSeeder seeder, ILogger<NagiosWebhook> logger) : IWebhookHandler
{
    private readonly byte[] expected = Encoding.UTF8.GetBytes("Bearer " + settings.Token);

    public async Task<WebhookResponse> HandleAsync(WebhookRequest request, CancellationToken cancellationToken)
    {
        if (request.Method != "POST")
        {
            return WebhookResponse.Text(405, "Nagios notifications are POSTed (see sp-nagios-notify).");
        }

        if (request.Header("Authorization") is not { } authorization || !CryptographicOperations.FixedTimeEquals(Encoding.UTF8.GetBytes(authorization), expected))
        {
            return WebhookResponse.Text(401, "Missing or wrong token: the token file given to sp-nagios-notify must hold Plugins:nagios:token.");
        }

        if (request.Path.TrimEnd('/') == "/status")
        {
            // On demand (after Nagios was restarted, or the platform was down for a while): read status.dat again.
            var seeded = await seeder.SeedAsync(cancellationToken);
            return WebhookResponse.Text(seeded.Error is null ? 200 : seeded.Status, seeded.Error ?? seeded.Summary);
        }

        var type = (request.FormValue("type") ?? "").Trim().ToUpperInvariant();
        if (type is not ("PROBLEM" or "RECOVERY" or "CUSTOM"))
        {
            return type.Length == 0
                ? WebhookResponse.Text(400, "The notification has no type (pass type=$NOTIFICATIONTYPE$).")
                : WebhookResponse.Text(200, $"{type} notifications are not alerts; ignored.");
        }

        var host = request.FormValue("host");
        var service = request.FormValue("service") ?? "";
        var stateText = (request.FormValue("state") ?? "").Trim().ToUpperInvariant();
        if (string.IsNullOrWhiteSpace(host))
        {
            return WebhookResponse.Text(400, "The notification has no host (pass host=$HOSTNAME$).");
        }

        AlertState? state = stateText switch
        {
            "OK" or "UP" => AlertState.Ok,
            "WARNING" => AlertState.Warning,
            "CRITICAL" or "DOWN" or "UNREACHABLE" => AlertState.Critical,
            "UNKNOWN" => AlertState.Unknown,
            _ => null,
        };
        if (state is null)
        {
            return WebhookResponse.Text(400, $"'{stateText}' is not a Nagios state (pass state=$SERVICESTATE$ or $HOSTSTATE$).");
        }

        DateTimeOffset at;
        var time = request.FormValue("time");
        if (string.IsNullOrWhiteSpace(time))
        {
            at = request.ReceivedAt;
        }
        else if (long.TryParse(time, NumberStyles.None, CultureInfo.InvariantCulture, out var epoch)
            && epoch <= DateTimeOffset.MaxValue.ToUnixTimeSeconds())
        {
            at = DateTimeOffset.FromUnixTimeSeconds(epoch);
        }
        else if (DateTimeOffset.TryParseExact(time.Replace(" UTC ", " ", StringComparison.Ordinal), "ddd MMM d HH:mm:ss yyyy", CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var parsed))
        {
            at = parsed;
        }
        else
        {
            return WebhookResponse.Text(400, $"time '{time}' is neither $TIMET$ (epoch seconds) nor $LONGDATETIME$ in UTC.");
        }

        // A host recovery carries the problem id in $LASTHOSTPROBLEMID$ ($HOSTPROBLEMID$ is 0 then).
        var problem = request.FormValue("problemId") is { Length: > 0 } id && id != "0" ? id : request.FormValue("lastProblemId") ?? "0";
        var alert = NagiosAlerts.Create(host, service, state.Value, stateText, problem, at, request.FormValue("output") ?? "", request.FormValue("longOutput"));
        try
        {
            var receipt = (await sink.SubmitAsync([alert], cancellationToken))[0];
            return WebhookResponse.Text(200, receipt.Disposition.ToString().ToLowerInvariant());
        }
        catch (InvalidAlertException ex)
        {
            return WebhookResponse.Text(400, ex.Message);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            logger.LogWarning(ex, "A Nagios notification could not be stored; the command retries");
            return WebhookResponse.Text(503, "The alert could not be stored; retry.");
        }
    }
}

/// <summary>The one shape of a Nagios alert, whether from a notification or from status.dat.</summary>
internal static class NagiosAlerts
{
    public static MonitoringAlert Create(string host, string service, AlertState state, string stateText, string problem, DateTimeOffset at, string output, string? longOutput) => new()
    {
        Source = "nagios",
        System = host,
        Check = service,
        State = state,
        Category = service.Contains("security", StringComparison.OrdinalIgnoreCase) ? AlertCategory.Security : AlertCategory.Availability,
        DedupKey = $"{host}/{service}/{problem}",
        OccurredAt = at,
        Summary = output.Length > 0 ? output.Split('\n')[0] : $"{(service.Length > 0 ? service : host)} is {stateText}",
        Details = longOutput,
        Attributes = new Dictionary<string, string> { ["host"] = host, ["service"] = service },
    };
}

/// <summary>Acknowledges a problem in Nagios by writing ACKNOWLEDGE_SVC_PROBLEM (or _HOST_) to the external command file.</summary>
internal sealed class NagiosAcknowledger(NagiosSettings settings, TimeProvider clock) : IMonitoringAcknowledger
{
    public string Source => "nagios";

    public async Task<string> AcknowledgeAsync(AlertAcknowledgement acknowledgement, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(acknowledgement);
        var file = settings.CommandFile ?? throw new InvalidOperationException("Plugins:nagios:commandFile is not set, so the problem cannot be acknowledged in Nagios; acknowledge it there by hand.");
        var host = Clean(acknowledgement.Alert.Attributes.GetValueOrDefault("host") ?? acknowledgement.Alert.System);
        var service = Clean(acknowledgement.Alert.Attributes.GetValueOrDefault("service") ?? acknowledgement.Alert.Check);
        var now = clock.GetUtcNow().ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture);
        // sticky=2, notify=1, persistent=1: stays until the problem recovers; Nagios tells its contacts.
        var line = service.Length > 0
            ? $"[{now}] ACKNOWLEDGE_SVC_PROBLEM;{host};{service};2;1;1;{Clean(acknowledgement.Author)};{Clean(acknowledgement.Comment)}\n"
            : $"[{now}] ACKNOWLEDGE_HOST_PROBLEM;{host};2;1;1;{Clean(acknowledgement.Author)};{Clean(acknowledgement.Comment)}\n";
        // The command file is a FIFO that Nagios reads: open it for writing only (never create a regular file in its place).
        await using var stream = new FileStream(file, FileMode.Open, FileAccess.Write, FileShare.ReadWrite);
        await stream.WriteAsync(Encoding.UTF8.GetBytes(line), cancellationToken);
        return $"{(service.Length > 0 ? "ACKNOWLEDGE_SVC_PROBLEM" : "ACKNOWLEDGE_HOST_PROBLEM")} for {host}{(service.Length > 0 ? "/" + service : "")} written to {file}";
    }

    private static string Clean(string text) => text.Replace(';', ',').Replace('\n', ' ').Replace('\r', ' ');
}
