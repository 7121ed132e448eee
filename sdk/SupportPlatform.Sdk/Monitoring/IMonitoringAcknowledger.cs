namespace SupportPlatform.Sdk.Monitoring;

/// <summary>
/// Capability: acknowledges or silences an alert at its source (a Nagios external command, an Alertmanager silence, a
/// Datadog downtime). The monitoring module calls it when staff acknowledge the incident's ticket, once per check of
/// the incident whose alerts came from <see cref="Source"/>.
/// </summary>
/// <remarks>
/// Throw when the source refused or could not be reached: the module records the failure on the ticket as an internal
/// note. Calls may repeat after a crash, so creating a second silence for the same alert must be harmless.
/// </remarks>
public interface IMonitoringAcknowledger
{
    /// <summary>The <see cref="MonitoringAlert.Source"/> this plugin acknowledges (<c>alertmanager</c>).</summary>
    string Source { get; }

    /// <summary>Acknowledges <see cref="AlertAcknowledgement.Alert"/> at the source.</summary>
    /// <param name="acknowledgement">The alert and who acknowledged it.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>A short description of what was done at the source (<c>silence 3f2a... until 18:00</c>).</returns>
    Task<string> AcknowledgeAsync(AlertAcknowledgement acknowledgement, CancellationToken cancellationToken);
}

/// <summary>An acknowledgement to pass to the source.</summary>
/// <param name="Alert">The latest alert of the check from this source, with its <see cref="MonitoringAlert.Attributes"/>.</param>
/// <param name="Author">Who acknowledged (the staff member's name).</param>
/// <param name="Comment">Why, with the ticket number.</param>
/// <param name="Until">How long a silence or downtime should last at most.</param>
public sealed record AlertAcknowledgement(MonitoringAlert Alert, string Author, string Comment, DateTimeOffset Until);
