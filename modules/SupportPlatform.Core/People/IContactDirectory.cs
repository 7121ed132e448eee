namespace SupportPlatform.Core.People;

/// <summary>How to reach a person the platform knows by id (a client user, a staff member).</summary>
public sealed record Contact(string Id, string DisplayName, string? Email);

/// <summary>
/// Finds contact details of people by their id. The identity module answers for its users; other sources may be
/// registered as well, and the first one that knows the id wins. An id that is itself an email address needs no
/// directory (see <see cref="ContactDirectoryExtensions.FindContactAsync"/>).
/// </summary>
public interface IContactDirectory
{
    /// <summary>The person with <paramref name="id"/>, or null when this directory does not know them.</summary>
    Task<Contact?> FindAsync(string id, CancellationToken cancellationToken);
}

/// <summary>Looks a person up across every registered directory.</summary>
public static class ContactDirectoryExtensions
{
    /// <summary>The first directory's answer; an id shaped like an email address is its own address when none knows it.</summary>
    public static async Task<Contact?> FindContactAsync(this IEnumerable<IContactDirectory> directories, string id, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(directories);
        foreach (var directory in directories)
        {
            if (await directory.FindAsync(id, cancellationToken) is { } contact)
            {
                return contact;
            }
        }

        return System.Net.Mail.MailAddress.TryCreate(id, out var address) && address.Address == id
            ? new Contact(id, id, id)
            : null;
    }
}
