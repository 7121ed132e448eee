using System.Data.Common;
using Dapper;
using SupportPlatform.Core.Security;
using SupportPlatform.Identity.Contracts;
using SupportPlatform.Storage.Contracts;

namespace SupportPlatform.Identity.Persistence;

/// <summary>A row of <c>sp_users</c>.</summary>
internal sealed record UserRecord
{
    public required string Id { get; init; }
    public required string Kind { get; init; }
    public required string Email { get; init; }
    public required string Name { get; init; }
    public required string Role { get; init; }
    public string? AccountId { get; init; }
    public bool IsManager { get; init; }
    public bool Active { get; init; } = true;
    public string? PasswordHash { get; init; }
    public required string SecurityStamp { get; init; }
    public int FailedSignins { get; init; }
    public DateTimeOffset? LockedUntil { get; init; }
    public DateTimeOffset CreatedAt { get; init; }
    public DateTimeOffset UpdatedAt { get; init; }
    public DateTimeOffset? LastSignInAt { get; init; }

    public bool IsStaff => Kind == PlatformClaims.StaffKind;

    public PlatformUser ToContract() => new(Id, Kind, Email, Name, Role, AccountId, IsManager, Active);
}

/// <summary>Users (<c>sp_users</c>, migration 0008): plain rows, one statement per change.</summary>
internal sealed class UserStore(IDatabase database, TimeProvider clock) : IUserDirectory, IClientUserProvisioning
{
    async Task<PlatformUser> IClientUserProvisioning.EnsureClientUserAsync(string accountId, string id, string email, string name, CancellationToken cancellationToken)
    {
        var address = email.Trim().ToLowerInvariant();
        for (var attempt = 0; ; attempt++)
        {
            if (await FindByEmailAsync(address, cancellationToken) is { } existing)
            {
                return existing.Kind == PlatformClaims.ClientKind && existing.AccountId == accountId
                    ? existing.ToContract()
                    : throw new InvalidOperationException(existing.IsStaff
                        ? $"'{address}' is the address of a staff user, not of a contact of account '{accountId}'."
                        : $"'{address}' is already a contact of account '{existing.AccountId}', not of '{accountId}'.");
            }

            var user = new UserRecord
            {
                Id = id,
                Kind = PlatformClaims.ClientKind,
                Email = address,
                Name = string.IsNullOrWhiteSpace(name) ? address : name.Trim(),
                Role = PlatformRoles.Client,
                AccountId = accountId,
                SecurityStamp = NewStamp(),
            };
            if (await TryInsertAsync(user, cancellationToken))
            {
                return user.ToContract();
            }

            if (attempt > 0)
            {
                throw new InvalidOperationException($"User id '{id}' is taken by another user; the contact {address} was not created.");
            }
        }
    }

    private const string Columns = """
        id AS Id, kind AS Kind, email AS Email, name AS Name, role AS Role, account_id AS AccountId, is_manager AS IsManager,
        active AS Active, password_hash AS PasswordHash, security_stamp AS SecurityStamp, failed_signins AS FailedSignins,
        locked_until_ms AS LockedUntilMs, created_at_ms AS CreatedAtMs, updated_at_ms AS UpdatedAtMs, last_signin_at_ms AS LastSigninAtMs
        """;

    private long Now => clock.GetUtcNow().ToUnixTimeMilliseconds();

    public static string NewStamp() => Convert.ToHexStringLower(System.Security.Cryptography.RandomNumberGenerator.GetBytes(16));

    public async Task<UserRecord?> FindAsync(string id, CancellationToken cancellationToken) =>
        await QuerySingleAsync("id = @id", new { id }, cancellationToken);

    public async Task<UserRecord?> FindByEmailAsync(string email, CancellationToken cancellationToken) =>
        await QuerySingleAsync("email = @email", new { email = email.Trim().ToLowerInvariant() }, cancellationToken);

    public async Task<IReadOnlyList<UserRecord>> ListAsync(string kind, string? accountId, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenConnectionAsync(cancellationToken);
        var rows = await connection.QueryAsync<Row>(new CommandDefinition(
            $"SELECT {Columns} FROM sp_users WHERE kind = @kind {(accountId is null ? "" : "AND account_id = @account")} ORDER BY name, id",
            new { kind, account = accountId }, cancellationToken: cancellationToken));
        return rows.Select(r => r.ToRecord()).ToList();
    }

    public async Task<bool> AnyStaffAsync(CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenConnectionAsync(cancellationToken);
        return await connection.ExecuteScalarAsync<long>(new CommandDefinition(
            "SELECT count(*) FROM sp_users WHERE kind = 'staff'", cancellationToken: cancellationToken)) > 0;
    }

    public async Task<long> CountActiveAdminsAsync(CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenConnectionAsync(cancellationToken);
        return await connection.ExecuteScalarAsync<long>(new CommandDefinition(
            "SELECT count(*) FROM sp_users WHERE kind = 'staff' AND role = 'admin' AND active = 1", cancellationToken: cancellationToken));
    }

    /// <summary>Inserts <paramref name="user"/>; false when its id or email is taken.</summary>
    public async Task<bool> TryInsertAsync(UserRecord user, CancellationToken cancellationToken, DbConnection? connection = null, DbTransaction? transaction = null)
    {
        var owned = connection is null;
        connection ??= await database.OpenConnectionAsync(cancellationToken);
        try
        {
            var now = Now;
            var inserted = await connection.ExecuteAsync(new CommandDefinition(
                """
                INSERT INTO sp_users (id, kind, email, name, role, account_id, is_manager, active, password_hash, security_stamp,
                                      failed_signins, locked_until_ms, created_at_ms, updated_at_ms, last_signin_at_ms)
                SELECT @Id, @Kind, @Email, @Name, @Role, @AccountId, @IsManager, 1, @PasswordHash, @SecurityStamp, 0, NULL, @now, @now, NULL
                WHERE NOT EXISTS (SELECT 1 FROM sp_users WHERE id = @Id OR email = @Email)
                """,
                new { user.Id, user.Kind, user.Email, user.Name, user.Role, user.AccountId, IsManager = user.IsManager ? 1 : 0, user.PasswordHash, user.SecurityStamp, now },
                transaction, cancellationToken: cancellationToken));
            return inserted == 1;
        }
        catch (DbException) when (owned)
        {
            // A concurrent insert of the same email or id lost the race on the unique index.
            return false;
        }
        finally
        {
            if (owned)
            {
                await connection.DisposeAsync();
            }
        }
    }

    /// <summary>Writes name, role, manager flag, active flag, password hash and stamp of <paramref name="user"/>.</summary>
    public async Task UpdateAsync(UserRecord user, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenConnectionAsync(cancellationToken);
        await connection.ExecuteAsync(new CommandDefinition(
            """
            UPDATE sp_users SET name = @Name, role = @Role, is_manager = @IsManager, active = @Active, password_hash = @PasswordHash,
                security_stamp = @SecurityStamp, failed_signins = @FailedSignins, locked_until_ms = @LockedUntilMs, updated_at_ms = @now
            WHERE id = @Id
            """,
            new
            {
                user.Id, user.Name, user.Role, IsManager = user.IsManager ? 1 : 0, Active = user.Active ? 1 : 0, user.PasswordHash,
                user.SecurityStamp, user.FailedSignins, LockedUntilMs = user.LockedUntil?.ToUnixTimeMilliseconds(), now = Now,
            },
            cancellationToken: cancellationToken));
    }

    /// <summary>
    /// Counts a failed password sign-in; at <paramref name="maxFailures"/> in a row the user is locked until
    /// <paramref name="lockedUntil"/> and the count starts again. Returns the lock time when this failure locked the user.
    /// </summary>
    public async Task<DateTimeOffset?> RecordFailureAsync(string id, int maxFailures, DateTimeOffset lockedUntil, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenConnectionAsync(cancellationToken);
        var until = lockedUntil.ToUnixTimeMilliseconds();
        // One statement: concurrent failures on several nodes cannot lose a count.
        await connection.ExecuteAsync(new CommandDefinition(
            """
            UPDATE sp_users SET
                locked_until_ms = CASE WHEN failed_signins + 1 >= @max THEN @until ELSE locked_until_ms END,
                failed_signins = CASE WHEN failed_signins + 1 >= @max THEN 0 ELSE failed_signins + 1 END
            WHERE id = @id
            """,
            new { id, max = maxFailures, until }, cancellationToken: cancellationToken));
        var locked = await connection.ExecuteScalarAsync<long?>(new CommandDefinition(
            "SELECT locked_until_ms FROM sp_users WHERE id = @id", new { id }, cancellationToken: cancellationToken));
        return locked == until ? lockedUntil : null;
    }

    public async Task RecordSuccessAsync(string id, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenConnectionAsync(cancellationToken);
        await connection.ExecuteAsync(new CommandDefinition(
            "UPDATE sp_users SET failed_signins = 0, locked_until_ms = NULL, last_signin_at_ms = @now WHERE id = @id",
            new { id, now = Now }, cancellationToken: cancellationToken));
    }

    async Task<PlatformUser?> IUserDirectory.FindAsync(string id, CancellationToken cancellationToken) =>
        (await FindAsync(id, cancellationToken))?.ToContract();

    async Task<PlatformUser?> IUserDirectory.FindByEmailAsync(string email, CancellationToken cancellationToken) =>
        (await FindByEmailAsync(email, cancellationToken))?.ToContract();

    async Task<IReadOnlyList<PlatformUser>> IUserDirectory.ListAccountUsersAsync(string accountId, CancellationToken cancellationToken) =>
        (await ListAsync(PlatformClaims.ClientKind, accountId, cancellationToken)).Select(u => u.ToContract()).ToList();

    async Task<IReadOnlyList<PlatformUser>> IUserDirectory.ListStaffAsync(CancellationToken cancellationToken) =>
        (await ListAsync(PlatformClaims.StaffKind, null, cancellationToken)).Select(u => u.ToContract()).ToList();

    private async Task<UserRecord?> QuerySingleAsync(string where, object parameters, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenConnectionAsync(cancellationToken);
        var row = await connection.QuerySingleOrDefaultAsync<Row>(new CommandDefinition(
            $"SELECT {Columns} FROM sp_users WHERE {where}", parameters, cancellationToken: cancellationToken));
        return row?.ToRecord();
    }

    /// <summary>Raw columns (integers as long: SQLite and PostgreSQL disagree on their CLR types).</summary>
    private sealed class Row
    {
        public string Id { get; set; } = "";
        public string Kind { get; set; } = "";
        public string Email { get; set; } = "";
        public string Name { get; set; } = "";
        public string Role { get; set; } = "";
        public string? AccountId { get; set; }
        public long IsManager { get; set; }
        public long Active { get; set; }
        public string? PasswordHash { get; set; }
        public string SecurityStamp { get; set; } = "";
        public long FailedSignins { get; set; }
        public long? LockedUntilMs { get; set; }
        public long CreatedAtMs { get; set; }
        public long UpdatedAtMs { get; set; }
        public long? LastSigninAtMs { get; set; }

        public UserRecord ToRecord() => new()
        {
            Id = Id,
            Kind = Kind,
            Email = Email,
            Name = Name,
            Role = Role,
            AccountId = AccountId,
            IsManager = IsManager != 0,
            Active = Active != 0,
            PasswordHash = PasswordHash,
            SecurityStamp = SecurityStamp,
            FailedSignins = (int)FailedSignins,
            LockedUntil = LockedUntilMs is { } l ? DateTimeOffset.FromUnixTimeMilliseconds(l) : null,
            CreatedAt = DateTimeOffset.FromUnixTimeMilliseconds(CreatedAtMs),
            UpdatedAt = DateTimeOffset.FromUnixTimeMilliseconds(UpdatedAtMs),
            LastSignInAt = LastSigninAtMs is { } s ? DateTimeOffset.FromUnixTimeMilliseconds(s) : null,
        };
    }
}
