namespace SupportPlatform.Core;

/// <summary>
/// Periodic maintenance a module needs (purging expired idempotency keys, closing quiet tickets...).
/// Registered in DI by the owning module; the housekeeping grain runs every task once per period,
/// on exactly one silo of the cluster, and records the outcome.
/// </summary>
public interface IHousekeepingTask
{
    /// <summary>Stable name shown in the operations status.</summary>
    string Name { get; }

    /// <summary>Does one round of work; returns a short, human-readable summary of what was done.</summary>
    Task<string> RunAsync(CancellationToken cancellationToken);
}
