using SupportPlatform.Scheduling.Contracts;

namespace SupportPlatform.Notifications.Escalation;

/// <summary>Receives an escalation's step deadlines (key: <c>esc-&lt;escalation id&gt;</c>); its state lives in <c>sp_escalations</c>.</summary>
[Alias("sp.notifications.escalation")]
internal interface IEscalationGrain : IDeadlineTarget, IGrainWithStringKey
{
}

/// <summary>One escalation's deadline receiver: one activation at a time runs its steps, so they never interleave.</summary>
internal sealed class EscalationGrain(EscalationService escalations) : Grain, IEscalationGrain
{
    public Task OnDeadline(DeadlineFired fired)
    {
        var id = this.GetPrimaryKeyString()["esc-".Length..];
        return escalations.RunStepAsync(id, int.Parse(fired.Payload, System.Globalization.CultureInfo.InvariantCulture), CancellationToken.None);
    }
}
