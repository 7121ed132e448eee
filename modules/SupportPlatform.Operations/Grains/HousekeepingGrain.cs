using Microsoft.Extensions.Logging;
using SupportPlatform.Core;
using SupportPlatform.Operations.Contracts;

namespace SupportPlatform.Operations.Grains;

internal sealed class HousekeepingGrain(
    [PersistentState("sp-ops-housekeeping", PlatformNames.GrainStorage)] IPersistentState<HousekeepingStatus> state,
    IEnumerable<IHousekeepingTask> tasks,
    TimeProvider clock,
    ILogger<HousekeepingGrain> logger) : Grain, IHousekeepingGrain, IRemindable
{
    private const string ReminderName = "housekeeping";

    public async Task EnsureScheduled()
    {
        // A reminder (not a timer): the schedule must survive restarts and move to another silo on failure.
        await this.RegisterOrUpdateReminder(ReminderName, IHousekeepingGrain.Period, IHousekeepingGrain.Period);
        if (!state.State.Scheduled)
        {
            state.State = state.State with { Scheduled = true };
            await state.WriteStateAsync();
        }
    }

    public Task<HousekeepingStatus> RunNow() => RunAll();

    public Task<HousekeepingStatus> GetStatus() => Task.FromResult(state.State);

    public Task ReceiveReminder(string reminderName, TickStatus status) =>
        reminderName == ReminderName ? RunAll() : Task.CompletedTask;

    private async Task<HousekeepingStatus> RunAll()
    {
        var outcomes = new List<HousekeepingOutcome>();
        foreach (var task in tasks)
        {
            try
            {
                var summary = await task.RunAsync(CancellationToken.None);
                outcomes.Add(new HousekeepingOutcome(task.Name, true, summary, clock.GetUtcNow()));
            }
            catch (Exception ex)
            {
                // One failing task must not stop the others; the failure is kept in the status for admins.
                logger.LogError(ex, "Housekeeping task {Task} failed", task.Name);
                outcomes.Add(new HousekeepingOutcome(task.Name, false, ex.Message, clock.GetUtcNow()));
            }
        }

        state.State = state.State with
        {
            Runs = state.State.Runs + 1,
            LastRunAt = clock.GetUtcNow(),
            LastOutcomes = outcomes,
        };
        await state.WriteStateAsync();
        return state.State;
    }
}
