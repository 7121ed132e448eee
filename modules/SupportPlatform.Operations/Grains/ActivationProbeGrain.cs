using SupportPlatform.Operations.Contracts;

namespace SupportPlatform.Operations.Grains;

internal sealed class ActivationProbeGrain(ILocalSiloDetails silo, TimeProvider clock) : Grain, IActivationProbeGrain
{
    private readonly Guid activationId = Guid.NewGuid();
    private readonly DateTimeOffset activatedAt = clock.GetUtcNow();
    private long calls;

    public Task<ActivationDescription> Describe() =>
        Task.FromResult(new ActivationDescription(
            this.GetPrimaryKeyString(), activationId, silo.SiloAddress.ToString(), activatedAt, ++calls));
}
