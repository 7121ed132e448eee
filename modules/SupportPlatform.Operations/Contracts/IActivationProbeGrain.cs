namespace SupportPlatform.Operations.Contracts;

/// <summary>
/// A diagnostic grain: tells which activation, on which silo, answered. Used to check that a grain
/// reached through any silo of a cluster answers from a single activation.
/// </summary>
[Alias("sp.ops.activation-probe")]
public interface IActivationProbeGrain : IGrainWithStringKey
{
    /// <summary>Describes the answering activation and counts the call.</summary>
    [Alias("describe")]
    Task<ActivationDescription> Describe();
}

/// <summary>Which activation answered a probe.</summary>
/// <param name="Key">The probe's key.</param>
/// <param name="ActivationId">A random id made when the activation started.</param>
/// <param name="Silo">The silo hosting the activation.</param>
/// <param name="ActivatedAt">When the activation started.</param>
/// <param name="Calls">Calls answered by this activation.</param>
[GenerateSerializer, Immutable, Alias("sp.ops.activation-description")]
public sealed record ActivationDescription(
    [property: Id(0)] string Key,
    [property: Id(1)] Guid ActivationId,
    [property: Id(2)] string Silo,
    [property: Id(3)] DateTimeOffset ActivatedAt,
    [property: Id(4)] long Calls);
