namespace SupportPlatform.Scheduling.Contracts;

/// <summary>A deadline to schedule (or re-schedule: the <see cref="Id"/> is the key, a second request replaces the first).</summary>
/// <param name="Id">
/// Caller-chosen, stable id, unique across the platform: prefix it with your module and entity, e.g.
/// <c>"tickets/t-42/first-response/breach"</c>. At most <see cref="DeadlineRequest.MaxIdLength"/> characters.
/// </param>
/// <param name="DueAt">When it fires. A time in the past fires as soon as possible.</param>
/// <param name="Target">The grain that receives it; it must implement <see cref="IDeadlineTarget"/> (use <c>this.GetGrainId()</c>).</param>
/// <param name="Kind">What the deadline means to the target (short, e.g. <c>"sla.breach"</c>). At most <see cref="DeadlineRequest.MaxKindLength"/> characters.</param>
/// <param name="Payload">Free text handed back on delivery (often empty or a small JSON document).</param>
[GenerateSerializer, Immutable, Alias("sp.sched.deadline-request")]
public sealed record DeadlineRequest(
    [property: Id(0)] string Id,
    [property: Id(1)] DateTimeOffset DueAt,
    [property: Id(2)] GrainId Target,
    [property: Id(3)] string Kind,
    [property: Id(4)] string Payload = "")
{
    /// <summary>Longest accepted <see cref="Id"/>.</summary>
    public const int MaxIdLength = 400;

    /// <summary>Longest accepted <see cref="Kind"/>.</summary>
    public const int MaxKindLength = 100;

    /// <summary>Throws <see cref="ArgumentException"/> naming the bad field when the request cannot be stored.</summary>
    public void Validate()
    {
        if (string.IsNullOrWhiteSpace(Id) || Id.Length > MaxIdLength)
        {
            throw new ArgumentException($"A deadline id must be 1 to {MaxIdLength} characters long (got '{Id}').", nameof(Id));
        }

        if (Target.IsDefault)
        {
            throw new ArgumentException($"Deadline '{Id}' has no target grain.", nameof(Target));
        }

        if (Kind is null || Kind.Length > MaxKindLength)
        {
            throw new ArgumentException($"Deadline '{Id}': the kind must be at most {MaxKindLength} characters long.", nameof(Kind));
        }

        if (Payload is null)
        {
            throw new ArgumentException($"Deadline '{Id}': the payload must not be null (use an empty string).", nameof(Payload));
        }
    }
}
