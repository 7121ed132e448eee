using SupportPlatform.Tickets.Contracts;

namespace SupportPlatform.Tickets.Tests;

/// <summary>With a zero reopen window, a client reply after resolution opens a new, linked ticket.</summary>
public sealed class FollowUpTests(NoReopenWindowTickets fixture) : IClassFixture<NoReopenWindowTickets>
{
    [Fact]
    public async Task ClientReply_AfterReopenWindow_OpensLinkedFollowUp()
    {
        var staff = fixture.Client();
        var client = fixture.Client("client:bob:Bob Client");
        var ticket = await staff.NewTicket("Backup failed", account: "strict");
        await staff.Send($"/api/tickets/{ticket.Id}/status", new { status = "resolved", note = "Freed disk space." });
        await Task.Delay(5);

        var result = await (await client.Send($"/api/tickets/{ticket.Id}/comments", new { body = "It failed again tonight." })).Read<CommentResult>();
        var original = await (await staff.GetAsync($"/api/tickets/{ticket.Id}")).Read<TicketView>();

        Assert.NotNull(result.FollowUpTicket);
        Assert.Equal(result.FollowUpTicket, result.Ticket.Id);
        Assert.Equal(("Follow-up: Backup failed", "It failed again tonight.", "bob"), (result.Ticket.Subject, result.Ticket.Description, result.Ticket.RequesterId));
        Assert.Equal([ticket.Id], result.Ticket.Related);
        Assert.Equal(TicketStatus.Resolved, original.Status);
        Assert.Contains(result.Ticket.Id, original.Related);
    }
}
