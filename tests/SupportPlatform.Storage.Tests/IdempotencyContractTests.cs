using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using SupportPlatform.Storage.Contracts;
using SupportPlatform.Storage.Tests.Infrastructure;
using Xunit;

namespace SupportPlatform.Storage.Tests;

/// <summary>The <see cref="IIdempotencyStore"/> contract, run on both back-ends.</summary>
public abstract class IdempotencyContractTests
{
    private static readonly TimeSpan Ttl = TimeSpan.FromHours(24);

    private readonly FakeTimeProvider _clock = new(new DateTimeOffset(2026, 1, 15, 9, 0, 0, TimeSpan.Zero));

    protected abstract DatabaseProvider Provider { get; }

    [Fact]
    public async Task TryClaimAsync_NewKey_IsClaimedAsPending()
    {
        await using var db = await CreateAsync();
        var store = Store(db);

        var claim = await store.TryClaimAsync("api", "k-1", "hash-a", Ttl);

        Assert.True(claim.Claimed);
        Assert.Equal(IdempotencyStatus.Pending, claim.Status);
        Assert.Equal(_clock.GetUtcNow() + Ttl, claim.ExpiresAt);
    }

    [Fact]
    public async Task TryClaimAsync_SecondClaimOfPendingKey_ReturnsExistingPendingRecord()
    {
        await using var db = await CreateAsync();
        var store = Store(db);
        await store.TryClaimAsync("api", "k-1", "hash-a", Ttl);

        var second = await store.TryClaimAsync("api", "k-1", "hash-a", Ttl);

        Assert.False(second.Claimed);
        Assert.Equal(IdempotencyStatus.Pending, second.Status);
        Assert.True(second.RequestHashMatches);
        Assert.Null(second.Response);
    }

    [Fact]
    public async Task TryClaimAsync_SameKeyDifferentRequestHash_ReportsMismatch()
    {
        await using var db = await CreateAsync();
        var store = Store(db);
        await store.TryClaimAsync("api", "k-1", "hash-a", Ttl);

        var other = await store.TryClaimAsync("api", "k-1", "hash-b", Ttl);

        Assert.False(other.Claimed);
        Assert.False(other.RequestHashMatches);
    }

    [Fact]
    public async Task TryClaimAsync_SameKeyOtherScope_IsIndependent()
    {
        await using var db = await CreateAsync();
        var store = Store(db);
        await store.TryClaimAsync("api", "k-1", "hash-a", Ttl);

        var other = await store.TryClaimAsync("inbound:email", "k-1", "hash-a", Ttl);

        Assert.True(other.Claimed);
    }

    [Fact]
    public async Task CompleteAsync_ThenClaimAgain_ReturnsCompletedWithStoredResponse()
    {
        await using var db = await CreateAsync();
        var store = Store(db);
        await store.TryClaimAsync("api", "k-1", "hash-a", Ttl);

        await store.CompleteAsync("api", "k-1", """{"status":201,"id":"T-1"}""");
        var replay = await store.TryClaimAsync("api", "k-1", "hash-a", Ttl);

        Assert.False(replay.Claimed);
        Assert.Equal(IdempotencyStatus.Completed, replay.Status);
        Assert.True(replay.RequestHashMatches);
        Assert.Equal("""{"status":201,"id":"T-1"}""", replay.Response);
    }

    [Fact]
    public async Task CompleteAsync_UnclaimedKey_Throws()
    {
        await using var db = await CreateAsync();
        var store = Store(db);

        await Assert.ThrowsAsync<InvalidOperationException>(() => store.CompleteAsync("api", "never", "x"));
    }

    [Fact]
    public async Task TryClaimAsync_EightConcurrentClaims_ExactlyOneWins()
    {
        await using var db = await CreateAsync();
        var store = Store(db);
        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var racers = Enumerable.Range(0, 8).Select(_ => Task.Run(async () =>
        {
            await gate.Task;
            return await store.TryClaimAsync("api", "race", "hash-a", Ttl);
        })).ToList();

        gate.SetResult();
        var claims = await Task.WhenAll(racers);

        Assert.Single(claims, c => c.Claimed);
        Assert.All(claims.Where(c => !c.Claimed), c => Assert.Equal(IdempotencyStatus.Pending, c.Status));
    }

    [Fact]
    public async Task TryClaimAsync_AfterTtlElapsed_ClaimsAgain()
    {
        await using var db = await CreateAsync();
        var store = Store(db);
        await store.TryClaimAsync("api", "k-1", "hash-a", Ttl);
        await store.CompleteAsync("api", "k-1", "old response");

        _clock.Advance(Ttl - TimeSpan.FromSeconds(1));
        var beforeExpiry = await store.TryClaimAsync("api", "k-1", "hash-b", Ttl);
        _clock.Advance(TimeSpan.FromSeconds(1));
        var afterExpiry = await store.TryClaimAsync("api", "k-1", "hash-b", Ttl);
        var replayOfNewClaim = await store.TryClaimAsync("api", "k-1", "hash-b", Ttl);

        Assert.False(beforeExpiry.Claimed);
        Assert.True(afterExpiry.Claimed);
        Assert.False(replayOfNewClaim.Claimed);
        Assert.Equal(IdempotencyStatus.Pending, replayOfNewClaim.Status);
        Assert.True(replayOfNewClaim.RequestHashMatches);
    }

    [Fact]
    public async Task TryClaimAsync_PendingPastItsLease_IsTakenOverByTheSameRequestOnly_AndTheOldClaimCannotComplete()
    {
        await using var db = await CreateAsync();
        var store = Store(db);
        // The first claimer lost the database between claiming and completing: its record stays pending.
        var first = await store.TryClaimAsync("api", "k-1", "hash-a", Ttl);

        _clock.Advance(IIdempotencyStore.PendingLease - TimeSpan.FromSeconds(1));
        var withinLease = await store.TryClaimAsync("api", "k-1", "hash-a", Ttl);
        _clock.Advance(TimeSpan.FromSeconds(1));
        var otherRequest = await store.TryClaimAsync("api", "k-1", "hash-b", Ttl);
        var retry = await store.TryClaimAsync("api", "k-1", "hash-a", Ttl);

        Assert.False(withinLease.Claimed);
        Assert.Equal(IdempotencyStatus.Pending, withinLease.Status);
        Assert.False(otherRequest.Claimed);
        Assert.False(otherRequest.RequestHashMatches);
        Assert.True(retry.Claimed);
        Assert.Equal(_clock.GetUtcNow(), retry.ClaimedAt);

        // The old claimer comes back late: it no longer owns the key, so exactly one response is kept.
        var late = await Assert.ThrowsAsync<InvalidOperationException>(() => store.CompleteAsync("api", "k-1", "first", claimedAt: first.ClaimedAt));
        Assert.Contains("took it over", late.Message, StringComparison.Ordinal);
        await store.CompleteAsync("api", "k-1", "second", claimedAt: retry.ClaimedAt);
        _clock.Advance(IIdempotencyStore.PendingLease * 2);
        var replay = await store.TryClaimAsync("api", "k-1", "hash-a", Ttl);
        Assert.False(replay.Claimed);
        Assert.Equal(IdempotencyStatus.Completed, replay.Status);
        Assert.Equal("second", replay.Response);
    }

    [Fact]
    public async Task ReleaseAsync_PendingClaim_AllowsANewClaim()
    {
        await using var db = await CreateAsync();
        var store = Store(db);
        await store.TryClaimAsync("api", "k-1", "hash-a", Ttl);

        Assert.True(await store.ReleaseAsync("api", "k-1"));
        var again = await store.TryClaimAsync("api", "k-1", "hash-a", Ttl);

        Assert.True(again.Claimed);
    }

    [Fact]
    public async Task DeleteExpiredAsync_MixedRecords_DeletesOnlyExpired()
    {
        await using var db = await CreateAsync();
        var store = Store(db);
        await store.TryClaimAsync("api", "short", "h", TimeSpan.FromMinutes(1));
        await store.TryClaimAsync("api", "long", "h", Ttl);
        await store.CompleteAsync("api", "long", "kept");

        _clock.Advance(TimeSpan.FromMinutes(2));
        var deleted = await store.DeleteExpiredAsync();

        Assert.Equal(1, deleted);
        var kept = await store.TryClaimAsync("api", "long", "h", Ttl);
        Assert.False(kept.Claimed);
        Assert.Equal("kept", kept.Response);
    }

    private Task<TestDatabase> CreateAsync() => TestDatabase.CreateAsync(Provider, timeProvider: _clock);

    private static IIdempotencyStore Store(TestDatabase db) => db.Services.GetRequiredService<IIdempotencyStore>();
}

public sealed class PostgreSqlIdempotencyContractTests : IdempotencyContractTests
{
    protected override DatabaseProvider Provider => DatabaseProvider.PostgreSql;
}

public sealed class SqliteIdempotencyContractTests : IdempotencyContractTests
{
    protected override DatabaseProvider Provider => DatabaseProvider.Sqlite;
}
