using System.Collections.Immutable;
using System.Globalization;
using SupportPlatform.Core;

namespace SupportPlatform.Sla.Contracts;

/// <summary>
/// The response and resolution promises of a contract: targets per priority in business minutes, when a warning
/// fires, and whether waiting on a vendor stops the clocks. Stored in grain state; immutable.
/// </summary>
/// <param name="Name">Shown to staff and in reports, e.g. "Reference".</param>
/// <param name="Targets">Exactly one entry per <see cref="Priority"/>.</param>
/// <param name="WarningShare">Share of a target at which a warning fires, strictly between 0 and 1 (default 0.75).</param>
/// <param name="PendingVendorPausesClocks">
/// Whether the clocks pause while the ticket is pending-vendor. Pending-client always pauses them.
/// </param>
[GenerateSerializer, Immutable, Alias("sp.sla.policy")]
public sealed record SlaPolicy(
    [property: Id(0)] string Name,
    [property: Id(1)] ImmutableArray<SlaTargets> Targets,
    [property: Id(2)] double WarningShare = SlaPolicy.DefaultWarningShare,
    [property: Id(3)] bool PendingVendorPausesClocks = false)
{
    /// <summary>Warnings fire at 75% of a target unless the policy says otherwise.</summary>
    public const double DefaultWarningShare = 0.75;

    /// <summary>
    /// The seed contract's policy. Critical runs 24/7 (1 h first response, 1 h next response, 4 h resolution);
    /// the others run on the account's business calendar: High 2 h / 4 h / 16 h (two 8-hour days), Normal 4 h / 8 h /
    /// 40 h (a working week), Low 8 h / 16 h / 80 h (two working weeks). Warnings at 75%; pending-vendor does not pause.
    /// </summary>
    public static SlaPolicy Reference { get; } = new(
        "Reference",
        [
            new(Priority.Critical, FirstResponseMinutes: 60, NextResponseMinutes: 60, ResolutionMinutes: 240, RunsAroundTheClock: true),
            new(Priority.High, FirstResponseMinutes: 120, NextResponseMinutes: 240, ResolutionMinutes: 960, RunsAroundTheClock: false),
            new(Priority.Normal, FirstResponseMinutes: 240, NextResponseMinutes: 480, ResolutionMinutes: 2400, RunsAroundTheClock: false),
            new(Priority.Low, FirstResponseMinutes: 480, NextResponseMinutes: 960, ResolutionMinutes: 4800, RunsAroundTheClock: false),
        ]);

    /// <summary>The targets for <paramref name="priority"/>.</summary>
    /// <exception cref="InvalidOperationException">The policy has no (or several) targets for that priority.</exception>
    public SlaTargets For(Priority priority)
    {
        SlaTargets? found = null;
        foreach (var targets in Targets.IsDefault ? [] : Targets)
        {
            if (targets?.Priority == priority)
            {
                if (found is not null)
                {
                    throw new InvalidOperationException($"SLA policy '{Name}' has targets for priority {priority} twice.");
                }

                found = targets;
            }
        }

        return found ?? throw new InvalidOperationException($"SLA policy '{Name}' has no targets for priority {priority}.");
    }

    /// <summary>Every problem with this policy, each as a sentence an administrator can act on; empty when valid.</summary>
    public IReadOnlyList<string> Validate()
    {
        var problems = new List<string>();
        if (string.IsNullOrWhiteSpace(Name))
        {
            problems.Add("The SLA policy has no name: give it one, e.g. 'Gold'.");
        }

        if (double.IsNaN(WarningShare) || WarningShare <= 0 || WarningShare >= 1)
        {
            problems.Add($"The warning share must be more than 0 and less than 1 (it is {WarningShare.ToString(CultureInfo.InvariantCulture)}): "
                + "0.75 warns when 75% of a target is used.");
        }

        var targets = Targets.IsDefault ? [] : Targets;
        foreach (var priority in Enum.GetValues<Priority>())
        {
            var count = targets.Count(t => t?.Priority == priority);
            if (count == 0)
            {
                problems.Add($"There are no targets for priority {priority}: every priority needs first response, next response and resolution targets.");
            }
            else if (count > 1)
            {
                problems.Add($"Priority {priority} has targets {count} times: keep one.");
            }
        }

        foreach (var t in targets)
        {
            if (t is null)
            {
                problems.Add("A targets entry is missing (null).");
                continue;
            }

            if (!Enum.IsDefined(t.Priority))
            {
                problems.Add($"{(int)t.Priority} is not a priority (use Critical, High, Normal or Low).");
                continue;
            }

            Check(t.Priority, "first response", t.FirstResponseMinutes);
            Check(t.Priority, "next response", t.NextResponseMinutes);
            Check(t.Priority, "resolution", t.ResolutionMinutes);
        }

        return problems;

        void Check(Priority priority, string what, int minutes)
        {
            if (minutes <= 0)
            {
                problems.Add($"The {what} target for priority {priority} must be at least 1 business minute (it is {minutes}).");
            }
        }
    }

    /// <inheritdoc />
    public bool Equals(SlaPolicy? other) =>
        other is not null
        && string.Equals(Name, other.Name, StringComparison.Ordinal)
        && Targets.AsSpan().SequenceEqual(other.Targets.AsSpan())
        && WarningShare.Equals(other.WarningShare)
        && PendingVendorPausesClocks == other.PendingVendorPausesClocks;

    /// <inheritdoc />
    public override int GetHashCode() => HashCode.Combine(Name, Targets.Length, WarningShare, PendingVendorPausesClocks);
}

/// <summary>The targets of one priority, in business minutes (wall-clock minutes when it runs 24/7).</summary>
/// <param name="Priority">The priority these targets apply to.</param>
/// <param name="FirstResponseMinutes">Until the first public staff reply (or a call answered by staff).</param>
/// <param name="NextResponseMinutes">Until the staff update owed after a client reply.</param>
/// <param name="ResolutionMinutes">Until the ticket is resolved.</param>
/// <param name="RunsAroundTheClock">Whether the clocks ignore the business calendar (holidays included) and run 24/7.</param>
[GenerateSerializer, Immutable, Alias("sp.sla.targets")]
public sealed record SlaTargets(
    [property: Id(0)] Priority Priority,
    [property: Id(1)] int FirstResponseMinutes,
    [property: Id(2)] int NextResponseMinutes,
    [property: Id(3)] int ResolutionMinutes,
    [property: Id(4)] bool RunsAroundTheClock)
{
    /// <summary>The target for one kind of clock.</summary>
    public TimeSpan For(SlaClockKind kind) => TimeSpan.FromMinutes(kind switch
    {
        SlaClockKind.FirstResponse => FirstResponseMinutes,
        SlaClockKind.NextResponse => NextResponseMinutes,
        SlaClockKind.Resolution => ResolutionMinutes,
        _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, "Unknown SLA clock kind."),
    });
}
