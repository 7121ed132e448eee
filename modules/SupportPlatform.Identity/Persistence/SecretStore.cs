using System.Security.Cryptography;
using System.Text;
using Dapper;
using SupportPlatform.Storage.Contracts;

namespace SupportPlatform.Identity.Persistence;

/// <summary>Named secrets of the module (<c>sp_identity_secrets</c>): created once by whichever node comes first, then shared.</summary>
internal sealed class SecretStore(IDatabase database, TimeProvider clock)
{
    public const string TokenKey = "token-key";
    public const string SetupToken = "setup-token";

    /// <summary>The secret <paramref name="name"/>, created with <paramref name="create"/> when there is none yet.</summary>
    public async Task<string> GetOrCreateAsync(string name, Func<string> create, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenConnectionAsync(cancellationToken);
        await connection.ExecuteAsync(new CommandDefinition(
            "INSERT INTO sp_identity_secrets (name, value, created_at_ms) VALUES (@name, @value, @now) ON CONFLICT (name) DO NOTHING",
            new { name, value = create(), now = clock.GetUtcNow().ToUnixTimeMilliseconds() }, cancellationToken: cancellationToken));
        return await connection.QuerySingleAsync<string>(new CommandDefinition(
            "SELECT value FROM sp_identity_secrets WHERE name = @name", new { name }, cancellationToken: cancellationToken));
    }

    public async Task<string?> GetAsync(string name, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenConnectionAsync(cancellationToken);
        return await connection.QuerySingleOrDefaultAsync<string>(new CommandDefinition(
            "SELECT value FROM sp_identity_secrets WHERE name = @name", new { name }, cancellationToken: cancellationToken));
    }

    /// <summary>Deletes <paramref name="name"/> when it still holds <paramref name="value"/>; true for exactly one caller.</summary>
    public async Task<bool> TryConsumeAsync(string name, string value, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenConnectionAsync(cancellationToken);
        var stored = await connection.QuerySingleOrDefaultAsync<string>(new CommandDefinition(
            "SELECT value FROM sp_identity_secrets WHERE name = @name", new { name }, cancellationToken: cancellationToken));
        if (stored is null || !CryptographicOperations.FixedTimeEquals(Encoding.UTF8.GetBytes(stored), Encoding.UTF8.GetBytes(value)))
        {
            return false;
        }

        return await connection.ExecuteAsync(new CommandDefinition(
            "DELETE FROM sp_identity_secrets WHERE name = @name AND value = @value", new { name, value = stored }, cancellationToken: cancellationToken)) == 1;
    }

    public async Task DeleteAsync(string name, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenConnectionAsync(cancellationToken);
        await connection.ExecuteAsync(new CommandDefinition("DELETE FROM sp_identity_secrets WHERE name = @name", new { name }, cancellationToken: cancellationToken));
    }
}
