using System.Text.Json;

namespace SupportPlatform.Plugins.Email.Imap;

/// <summary>
/// Where a mailbox's scan may start: every UID up to <see cref="AcknowledgedThrough"/> of <see cref="UidValidity"/>
/// was acknowledged. Only an optimisation (the sink is idempotent): a lost or stale cursor means a rescan, never a loss.
/// </summary>
internal sealed record UidCursor(string Source, uint UidValidity, uint AcknowledgedThrough);

/// <summary>Keeps one small JSON file per mailbox in the plugin's data folder, replaced atomically.</summary>
internal sealed class UidCursorStore(string folder)
{
    private static readonly JsonSerializerOptions Json = new() { WriteIndented = true };

    /// <summary>The saved cursor for <paramref name="source"/> (host, user and folder), or <see langword="null"/>.</summary>
    public UidCursor? Load(string mailboxId, string source)
    {
        try
        {
            var path = PathOf(mailboxId);
            if (!File.Exists(path))
            {
                return null;
            }

            var cursor = JsonSerializer.Deserialize<UidCursor>(File.ReadAllText(path), Json);
            // A cursor of another server, account or folder says nothing about this one.
            return cursor is not null && cursor.Source == source ? cursor : null;
        }
        catch (Exception ex) when (ex is IOException or JsonException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    public void Save(string mailboxId, UidCursor cursor)
    {
        Directory.CreateDirectory(folder);
        var path = PathOf(mailboxId);
        var temp = path + ".tmp";
        File.WriteAllText(temp, JsonSerializer.Serialize(cursor, Json));
        File.Move(temp, path, overwrite: true);
    }

    private string PathOf(string mailboxId) => Path.Combine(folder, mailboxId + ".json");
}
