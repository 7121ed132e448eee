namespace SupportPlatform.Scheduling.Contracts;

/// <summary>
/// A grain that receives deadlines. Implement it on the grain whose <see cref="GrainId"/> is passed as
/// <see cref="DeadlineRequest.Target"/>; the scheduler calls it when the deadline is due.
/// </summary>
/// <remarks>
/// Delivery is <b>at least once</b>: the scheduler deletes a deadline only after <see cref="OnDeadline"/> returned, so a
/// crash in between, a timeout or a retry after an exception delivers it again. Handlers must be idempotent by
/// (<see cref="DeadlineFired.Id"/>, <see cref="DeadlineFired.DueAt"/>): e.g. record "breach of first response at T" once.
/// A handler that throws is retried with a growing back-off (1 s doubling up to 1 min) until it succeeds; keep handlers
/// short (they hold one of the scheduler's bounded delivery slots) and never call back into the scheduler and wait for it.
/// A deadline cancelled while its delivery is already in flight can still be delivered once: re-check your own state.
/// </remarks>
[Alias("sp.sched.deadline-target")]
public interface IDeadlineTarget : IGrain
{
    /// <summary>Called when a deadline scheduled for this grain is due (never before <see cref="DeadlineFired.DueAt"/>).</summary>
    [Alias("on-deadline")]
    Task OnDeadline(DeadlineFired fired);
}

/// <summary>A deadline being delivered to its <see cref="IDeadlineTarget"/>.</summary>
/// <param name="Id">The caller-chosen id the deadline was scheduled under.</param>
/// <param name="Kind">The caller's kind (e.g. <c>"sla.first-response.breach"</c>).</param>
/// <param name="Payload">The caller's payload, as scheduled.</param>
/// <param name="DueAt">When the deadline was due.</param>
/// <param name="FiredAt">When this delivery attempt started (on the scheduler's clock); never before <paramref name="DueAt"/>.</param>
/// <param name="Attempt">1 for the first delivery attempt on this activation, higher for retries after a failure.</param>
[GenerateSerializer, Immutable, Alias("sp.sched.deadline-fired")]
public sealed record DeadlineFired(
    [property: Id(0)] string Id,
    [property: Id(1)] string Kind,
    [property: Id(2)] string Payload,
    [property: Id(3)] DateTimeOffset DueAt,
    [property: Id(4)] DateTimeOffset FiredAt,
    [property: Id(5)] int Attempt);
