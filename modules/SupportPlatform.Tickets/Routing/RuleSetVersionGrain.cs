namespace SupportPlatform.Tickets.Routing;

/// <summary>
/// The change counter of one rule list (key: the list's name), so every silo can keep the rules in memory and still see
/// a change at once: a reader compares the token with the one its copy was read under. The token starts with a value
/// new to each activation, so a counter lost with an activation can never be mistaken for an old one.
/// </summary>
internal interface IRuleSetVersionGrain : IGrainWithStringKey
{
    /// <summary>The current token.</summary>
    Task<string> Token();

    /// <summary>Records that the list was just written; returns the new token.</summary>
    Task<string> Changed();
}

internal sealed class RuleSetVersionGrain : Grain, IRuleSetVersionGrain
{
    private readonly string epoch = Guid.NewGuid().ToString("N");
    private long counter;

    public Task<string> Token() => Task.FromResult($"{epoch}:{counter}");

    public Task<string> Changed()
    {
        counter++;
        return Token();
    }
}
