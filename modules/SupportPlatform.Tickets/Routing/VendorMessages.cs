using System.Globalization;
using System.Text;
using SupportPlatform.Tickets.Contracts;

namespace SupportPlatform.Tickets.Routing;

/// <summary>Builds the message that hands a ticket's context to a vendor.</summary>
internal static class VendorMessages
{
    /// <summary>
    /// Subject with the ticket number (so the vendor's reply threads back), body with the ticket's subject, description
    /// and public comments in order. Internal notes never leave the MSP.
    /// </summary>
    public static VendorMessage Build(
        long ticketId, int level, Vendor vendor, string subject, string description, string reason,
        IEnumerable<CommentAdded> comments, DateTimeOffset now)
    {
        var body = new StringBuilder()
            .Append(CultureInfo.InvariantCulture, $"Hello {vendor.Name},\n\n")
            .Append(CultureInfo.InvariantCulture, $"We are escalating our ticket #{ticketId} to you: {reason}\n\n")
            .Append(CultureInfo.InvariantCulture, $"Subject: {subject}\n\n")
            .Append("Description:\n").Append(string.IsNullOrWhiteSpace(description) ? "(none)" : description).Append("\n\n");
        var replies = comments.Where(c => c.Visibility == CommentVisibility.Public).ToList();
        if (replies.Count > 0)
        {
            body.Append("Conversation so far:\n");
            foreach (var comment in replies)
            {
                body.Append(CultureInfo.InvariantCulture, $"\n--- {comment.Actor.Name}, {comment.At.UtcDateTime:yyyy-MM-dd HH:mm} UTC ---\n").Append(comment.Body).Append('\n');
            }

            body.Append('\n');
        }

        body.Append(CultureInfo.InvariantCulture, $"Please keep \"[Ticket #{ticketId}]\" in the subject of your replies and tell us your case reference.\n");
        return new VendorMessage(
            Id: $"t{ticketId}-e{level}",
            TicketId: ticketId,
            VendorId: vendor.Id,
            Recipient: vendor.ContactEmail,
            Subject: $"[Ticket #{ticketId}] {subject}",
            Body: body.ToString(),
            Status: "pending",
            CreatedAt: now);
    }
}
