namespace SupportPlatform.Sdk.Monitoring;

/// <summary>
/// Where a monitoring source (webhook, notification command, probe) hands its alerts. Implemented by the host's
/// monitoring module; a plugin takes it as a constructor parameter.
/// </summary>
/// <remarks>
/// <para><b>Acknowledge only after it returns.</b> When <see cref="SubmitAsync"/> returns, every alert of the batch is
/// durably stored (on its monitored system, or as unmapped when no system claims its host name yet): only then answer
/// the sender 2xx. When it throws, nothing of the batch may be assumed stored; answer 5xx (the sender retries) or 400
/// for <see cref="InvalidAlertException"/>, which changes nothing.</para>
/// <para><b>Idempotent.</b> An alert with the same source, dedup key, state and time as one accepted before is
/// answered <see cref="AlertDisposition.Duplicate"/> and changes nothing, so retries are always safe.</para>
/// </remarks>
[HostService]
public interface IMonitoringAlertSink
{
    /// <summary>Stores a batch of alerts (one webhook delivery), durably, before returning.</summary>
    /// <param name="alerts">The alerts, in the order the source sent them.</param>
    /// <param name="cancellationToken">Cancels the submission; the caller then answers the sender an error.</param>
    /// <returns>One receipt per alert, in the same order.</returns>
    /// <exception cref="InvalidAlertException">An alert fails <see cref="MonitoringAlert.Validate"/>; nothing was stored.</exception>
    Task<IReadOnlyList<AlertReceipt>> SubmitAsync(IReadOnlyList<MonitoringAlert> alerts, CancellationToken cancellationToken);
}

/// <summary>What became of a submitted alert.</summary>
public enum AlertDisposition
{
    /// <summary>Stored on its monitored system (it may have opened or updated an incident).</summary>
    Accepted = 0,

    /// <summary>Accepted before; nothing changed.</summary>
    Duplicate = 1,

    /// <summary>Stored, but no monitored system claims its host name yet; staff see it among the unmapped alerts.</summary>
    Unmapped = 2,
}

/// <summary>The outcome of one alert.</summary>
/// <param name="Disposition">What became of it.</param>
/// <param name="SystemId">The monitored system it was stored on, or <see langword="null"/> when unmapped.</param>
/// <param name="IncidentId">The incident it opened or updated (<c>&lt;system&gt;#&lt;number&gt;</c>), if any.</param>
/// <param name="TicketId">The incident's ticket, if any.</param>
public sealed record AlertReceipt(AlertDisposition Disposition, string? SystemId, string? IncidentId, long? TicketId);

/// <summary>An alert that cannot be accepted as it is; the message says what is wrong.</summary>
public sealed class InvalidAlertException : Exception
{
    /// <summary>Creates the exception.</summary>
    public InvalidAlertException()
    {
    }

    /// <summary>Creates the exception.</summary>
    /// <param name="message">What is wrong, in words for the sender.</param>
    public InvalidAlertException(string message) : base(message)
    {
    }

    /// <summary>Creates the exception.</summary>
    /// <param name="message">What is wrong.</param>
    /// <param name="innerException">The cause.</param>
    public InvalidAlertException(string message, Exception innerException) : base(message, innerException)
    {
    }
}
