namespace SupportPlatform.Core.Caching;

/// <summary>
/// The change counter of something every silo keeps in memory (key: what it counts, e.g. "routing/tickets" or
/// "templates"), so each silo can serve its copy and still see a change at once: a reader compares the token with the
/// one its copy was read under, and a writer calls <see cref="Changed"/> after its write. The token starts with a value
/// new to each activation, so a counter lost with an activation is never mistaken for an old one.
/// </summary>
public interface IChangeTokenGrain : IGrainWithStringKey
{
    /// <summary>The current token.</summary>
    Task<string> Token();

    /// <summary>Records that the thing counted was just written; returns the new token.</summary>
    Task<string> Changed();
}

internal sealed class ChangeTokenGrain : Grain, IChangeTokenGrain
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
