namespace SupportPlatform.Storage.Contracts;

/// <summary>
/// Durable idempotency keys for the API's <c>Idempotency-Key</c> header and for inbound retries
/// (Message-ID, CallSid, alert fingerprint): a retried request is recognised and never processed twice.
/// </summary>
/// <remarks>
/// Usage: <see cref="TryClaimAsync"/> before doing the work. When <see cref="IdempotencyClaim.Claimed"/> is true, do the
/// work and call <see cref="CompleteAsync"/> with the response to replay (or <see cref="ReleaseAsync"/> when the work
/// failed and a retry should be allowed). Otherwise answer from the existing record: a different request under the same
/// key (<see cref="IdempotencyClaim.RequestHashMatches"/> false) is a client error (422), a pending one is still being
/// processed (409), a completed one replays <see cref="IdempotencyClaim.Response"/>.
/// Race-safe on both back-ends: of concurrent claims of one key, exactly one is <see cref="IdempotencyClaim.Claimed"/>.
/// Expiry uses the registered <see cref="TimeProvider"/>.
/// A pending claim holds its key only for <see cref="PendingLease"/>: the claimer may have crashed or lost the database
/// between claiming and completing, and its client's retry (same request) must then be able to go on instead of
/// hearing "in progress" until the record expires. The retry takes the claim over; the old claimer's late
/// <see cref="CompleteAsync"/> (with its <see cref="IdempotencyClaim.ClaimedAt"/>) then fails, so only one completes.
/// </remarks>
public interface IIdempotencyStore
{
    /// <summary>How long a pending claim keeps its key from a retry of the same request.</summary>
    static readonly TimeSpan PendingLease = TimeSpan.FromSeconds(30);

    /// <summary>
    /// Claims <paramref name="key"/> in <paramref name="scope"/> for <paramref name="ttl"/>, unless an unexpired record exists;
    /// an expired record is replaced by the new claim, and so is a pending record of the same request older than
    /// <see cref="PendingLease"/> (its claimer is presumed gone).
    /// </summary>
    /// <param name="scope">Namespace of the key, e.g. <c>"api:tenant-42"</c> or <c>"inbound:email"</c>.</param>
    /// <param name="key">The idempotency key.</param>
    /// <param name="requestHash">A hash of the request, to detect a different request reusing the key.</param>
    /// <param name="ttl">How long the record is kept (and replayed).</param>
    /// <param name="cancellationToken">Cancels the operation.</param>
    Task<IdempotencyClaim> TryClaimAsync(string scope, string key, string requestHash, TimeSpan ttl, CancellationToken cancellationToken = default);

    /// <summary>
    /// Marks a pending claim as completed and stores the response to replay.
    /// Throws <see cref="InvalidOperationException"/> when no pending record exists (never claimed, already completed, or expired and purged),
    /// or, with <paramref name="claimedAt"/>, when the pending record is no longer that claim (a retry took it over after the lease).
    /// </summary>
    Task CompleteAsync(string scope, string key, string response, CancellationToken cancellationToken = default, DateTimeOffset? claimedAt = null);

    /// <summary>Removes a pending claim (the work failed before any effect), so that a retry can claim it. Returns false when there was none.</summary>
    Task<bool> ReleaseAsync(string scope, string key, CancellationToken cancellationToken = default);

    /// <summary>Deletes expired records; returns how many were deleted.</summary>
    Task<int> DeleteExpiredAsync(CancellationToken cancellationToken = default);
}

/// <summary>State of an idempotency record.</summary>
public enum IdempotencyStatus
{
    /// <summary>Claimed; the work is in progress (or crashed before completing; it expires with the record).</summary>
    Pending,

    /// <summary>The work is done; the record holds the response.</summary>
    Completed,
}

/// <summary>The result of <see cref="IIdempotencyStore.TryClaimAsync"/>.</summary>
/// <param name="Claimed">True: this caller owns the key and proceeds. False: the fields describe the existing record.</param>
/// <param name="Status">Status of the record (<see cref="IdempotencyStatus.Pending"/> for a fresh claim).</param>
/// <param name="RequestHashMatches">Whether the record's request hash equals the one passed (always true for a fresh claim).</param>
/// <param name="Response">The stored response of a completed record; otherwise null.</param>
/// <param name="ExpiresAt">When the record expires.</param>
/// <param name="ClaimedAt">When the record was claimed: the claim's identity, to pass to <see cref="IIdempotencyStore.CompleteAsync"/>.</param>
public sealed record IdempotencyClaim(bool Claimed, IdempotencyStatus Status, bool RequestHashMatches, string? Response, DateTimeOffset ExpiresAt, DateTimeOffset ClaimedAt = default);
