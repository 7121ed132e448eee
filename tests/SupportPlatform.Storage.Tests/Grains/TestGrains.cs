using Orleans.Runtime;

namespace SupportPlatform.Storage.Tests.Grains;

/// <summary>State of <see cref="ITestCounterGrain"/>.</summary>
[GenerateSerializer, Alias("sp-test.counter-state")]
public sealed class CounterState
{
    [Id(0)] public int Count { get; set; }

    [Id(1)] public string? Label { get; set; }
}

public interface ITestCounterGrain : IGrainWithStringKey
{
    Task<int> Increment(string label);

    Task<CounterState> Get();

    Task Deactivate();
}

/// <summary>Persistent state under a globally unique state name on provider "Default".</summary>
public sealed class TestCounterGrain([PersistentState("sp-test-counter", "Default")] IPersistentState<CounterState> state)
    : Grain, ITestCounterGrain
{
    public async Task<int> Increment(string label)
    {
        state.State.Count++;
        state.State.Label = label;
        await state.WriteStateAsync();
        return state.State.Count;
    }

    public Task<CounterState> Get() => Task.FromResult(state.State);

    public Task Deactivate()
    {
        DeactivateOnIdle();
        return Task.CompletedTask;
    }
}

public interface ITestReminderGrain : IGrainWithStringKey
{
    Task Register();

    Task Unregister();

    Task<IReadOnlyList<string>> GetReminderNames();
}

public sealed class TestReminderGrain : Grain, ITestReminderGrain, IRemindable
{
    public const string ReminderName = "sp-test-reminder";

    public Task Register() => this.RegisterOrUpdateReminder(ReminderName, TimeSpan.FromMinutes(30), TimeSpan.FromMinutes(30));

    public async Task Unregister()
    {
        var reminder = await this.GetReminder(ReminderName) ?? throw new InvalidOperationException("No reminder to unregister.");
        await this.UnregisterReminder(reminder);
    }

    public async Task<IReadOnlyList<string>> GetReminderNames() =>
        (await this.GetReminders()).Select(r => r.ReminderName).ToList();

    public Task ReceiveReminder(string reminderName, TickStatus status) => Task.CompletedTask;
}
