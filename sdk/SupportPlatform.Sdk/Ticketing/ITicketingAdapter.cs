namespace SupportPlatform.Sdk.Ticketing;

/// <summary>
/// Capability: a bridge to an existing help desk (Zendesk, Freshdesk...). The host's bridge module imports the help
/// desk's organisations, users and tickets through it (resumably, page by page, storing the cursor after each page),
/// keeps importing what changed since (incremental export), and writes comments, status and assignee changes made on
/// the platform back to the help desk.
/// </summary>
/// <remarks>
/// <para>Register the implementation in <see cref="IPlugin.ConfigureServices"/> and list
/// <see cref="PluginCapabilities.TicketingAdapter"/> in the manifest. The adapter is stateless between calls: the
/// module stores every cursor it hands back and passes it in again, also after a restart.</para>
/// <para>Throw <see cref="TicketingApiException"/> for an answer of the help desk the module should act on: with
/// <see cref="TicketingApiException.RetryAfter"/> set (HTTP 429, 503 with <c>Retry-After</c>) the module waits that long
/// and repeats the same call; other failures are recorded, shown to staff and retried later.</para>
/// </remarks>
public interface ITicketingAdapter
{
    /// <summary>The help desk's short name (<c>zendesk</c>, <c>freshdesk</c>): the key of mappings and import progress. Never change it.</summary>
    string System { get; }

    /// <summary>One page of organisations (companies).</summary>
    /// <param name="cursor">The <see cref="TicketingPage{T}.NextCursor"/> of the previous page, or <see langword="null"/> for the first.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The page.</returns>
    Task<TicketingPage<ExternalOrganization>> ListOrganizationsAsync(string? cursor, CancellationToken cancellationToken);

    /// <summary>One page of users (end users and agents).</summary>
    /// <param name="cursor">The <see cref="TicketingPage{T}.NextCursor"/> of the previous page, or <see langword="null"/> for the first.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The page.</returns>
    Task<TicketingPage<ExternalUser>> ListUsersAsync(string? cursor, CancellationToken cancellationToken);

    /// <summary>
    /// One page of tickets created or changed since <paramref name="since"/>, oldest change first, by the help desk's
    /// incremental export. At the end of the stream <see cref="TicketingPage{T}.EndOfStream"/> is true and
    /// <see cref="TicketingPage{T}.NextCursor"/> is where the next run continues to get later changes.
    /// </summary>
    /// <param name="cursor">The cursor of the previous page or run, or <see langword="null"/> to start at <paramref name="since"/>.</param>
    /// <param name="since">Where a run without a cursor starts.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The page.</returns>
    Task<TicketingPage<ExternalTicket>> ListChangedTicketsAsync(string? cursor, DateTimeOffset since, CancellationToken cancellationToken);

    /// <summary>One ticket as it is now, or <see langword="null"/> when the help desk has no such ticket (deleted).</summary>
    /// <param name="ticketId">The help desk's ticket id.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The ticket.</returns>
    Task<ExternalTicket?> GetTicketAsync(string ticketId, CancellationToken cancellationToken);

    /// <summary>Every comment (conversation entry) of a ticket, oldest first; the ticket's own description is not one.</summary>
    /// <param name="ticketId">The help desk's ticket id.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The comments.</returns>
    Task<IReadOnlyList<ExternalComment>> ListCommentsAsync(string ticketId, CancellationToken cancellationToken);

    /// <summary>Opens the content of an attachment for reading.</summary>
    /// <param name="attachment">The attachment, as listed with its ticket or comment.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The bytes; the caller disposes the stream.</returns>
    Task<Stream> OpenAttachmentAsync(ExternalAttachment attachment, CancellationToken cancellationToken);

    /// <summary>Adds a comment to a ticket of the help desk.</summary>
    /// <param name="ticketId">The help desk's ticket id.</param>
    /// <param name="comment">What to add.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The id the help desk gave the new comment (the module maps it, so it is not imported back).</returns>
    Task<string> AddCommentAsync(string ticketId, ExternalCommentDraft comment, CancellationToken cancellationToken);

    /// <summary>Changes the status and/or assignee of a ticket of the help desk.</summary>
    /// <param name="ticketId">The help desk's ticket id.</param>
    /// <param name="update">What to change; <see langword="null"/> members stay as they are.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The ticket after the change.</returns>
    Task<ExternalTicket> UpdateTicketAsync(string ticketId, ExternalTicketUpdate update, CancellationToken cancellationToken);
}

/// <summary>
/// Where a ticketing plugin's webhook hands the help desk's change notifications. Implemented by the host's bridge
/// module; a plugin takes it as a constructor parameter.
/// </summary>
/// <remarks>
/// When <see cref="TicketChangedAsync"/> returns, the notification is durably queued: answer the help desk 2xx only
/// then. The module then reads the ticket through the adapter (the notification is only a pointer), so a notification
/// that repeats or arrives late is harmless.
/// </remarks>
[HostService]
public interface ITicketingSink
{
    /// <summary>Queues a help desk ticket for synchronisation.</summary>
    /// <param name="system">The adapter's <see cref="ITicketingAdapter.System"/>.</param>
    /// <param name="ticketId">The help desk's ticket id.</param>
    /// <param name="cancellationToken">Cancels the call; nothing is queued then.</param>
    /// <returns>A task that completes once the notification is stored.</returns>
    Task TicketChangedAsync(string system, string ticketId, CancellationToken cancellationToken);
}

/// <summary>A failed call to the help desk's API.</summary>
public sealed class TicketingApiException : Exception
{
    /// <summary>Creates the exception.</summary>
    public TicketingApiException()
    {
    }

    /// <summary>Creates the exception.</summary>
    /// <param name="message">What failed, with the help desk's own error text.</param>
    public TicketingApiException(string message) : base(message)
    {
    }

    /// <summary>Creates the exception.</summary>
    /// <param name="message">What failed.</param>
    /// <param name="innerException">The cause.</param>
    public TicketingApiException(string message, Exception innerException) : base(message, innerException)
    {
    }

    /// <summary>Creates the exception for an HTTP answer.</summary>
    /// <param name="statusCode">The HTTP status code.</param>
    /// <param name="message">What failed, with the help desk's own error text.</param>
    /// <param name="retryAfter">How long the help desk asked to wait (<c>Retry-After</c>), or <see langword="null"/>.</param>
    public TicketingApiException(int statusCode, string message, TimeSpan? retryAfter) : base(message)
    {
        StatusCode = statusCode;
        RetryAfter = retryAfter;
    }

    /// <summary>The HTTP status code, or 0 when the help desk was not reached.</summary>
    public int StatusCode { get; }

    /// <summary>How long to wait before repeating the same call (rate limit); <see langword="null"/> when not asked to wait.</summary>
    public TimeSpan? RetryAfter { get; }
}
