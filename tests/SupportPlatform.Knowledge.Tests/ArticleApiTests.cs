using System.Net.Http.Json;
using System.Text.Json.Nodes;

namespace SupportPlatform.Knowledge.Tests;

public sealed class SqliteArticleApiTests(SqliteKnowledge fixture) : ArticleApiTests(fixture), IClassFixture<SqliteKnowledge>;

public sealed class PostgreSqlArticleApiTests(PostgreSqlKnowledge fixture) : ArticleApiTests(fixture), IClassFixture<PostgreSqlKnowledge>;

/// <summary>Articles end to end through the real host: life cycle, review, versions and diffs, visibility, write-ups, search, suggestions, reports.</summary>
public abstract class ArticleApiTests(KnowledgeFixture fx)
{
    [Fact]
    public async Task Article_WrittenEditedReviewedPublished_VersionsDiffAndStatesFollow()
    {
        var created = await fx.Dave.Post("/api/kb/articles", new
        {
            title = "Map a network drive", body = "Open Explorer.\nChoose **Map network drive**.\n<script>alert(1)</script>", tags = new[] { "Windows", "drives" },
            category = "Workstations", visibility = "public",
        }).Ok(201);
        var id = created.Id();
        Assert.Equal(("draft", 1), (created.Str("state"), created["version"]!.GetValue<int>()));
        Assert.Equal(["windows", "drives"], created["tags"]!.AsArray().Select(t => t!.GetValue<string>()));
        Assert.Contains("<strong>Map network drive</strong>", created.Str("bodyHtml"), StringComparison.Ordinal);
        Assert.DoesNotContain("<script", created.Str("bodyHtml"), StringComparison.Ordinal);

        var edited = await fx.Dave.PutAsJsonAsyncOk($"/api/kb/articles/{id}", new { body = "Open File Explorer.\nChoose **Map network drive**.\nPick the letter S:.", expectedVersion = 1 });
        Assert.Equal(2, edited["version"]!.GetValue<int>());
        var stale = await fx.Dave.PutAsync($"/api/kb/articles/{id}", new { title = "Other", expectedVersion = 1 }).Problem(409);
        Assert.Contains("version 2", stale, StringComparison.Ordinal);

        var diff = await fx.Dave.GetOk($"/api/kb/articles/{id}/diff?from=1&to=2");
        var lines = diff["body"]!.AsArray().Select(l => (l!.Str("change"), l.Str("text"))).ToList();
        Assert.Contains(("deleted", "Open Explorer."), lines);
        Assert.Contains(("inserted", "Open File Explorer."), lines);
        Assert.Contains(("unchanged", "Choose **Map network drive**."), lines);
        Assert.Contains(("inserted", "Pick the letter S:."), lines);
        Assert.Equal(2, (await fx.Dave.GetOk($"/api/kb/articles/{id}/versions")).AsArray().Count);
        Assert.Contains("versions 1 to 2", await fx.Dave.GetAsync($"/api/kb/articles/{id}/diff?from=1&to=7").Problem(400), StringComparison.Ordinal);

        // Illegal moves: 409 naming what is possible; an unknown state: 400.
        Assert.Contains("in-review or archived", await fx.Dave.Post($"/api/kb/articles/{id}/state", new { to = "published" }).Problem(409), StringComparison.Ordinal);
        Assert.Contains("not an article state", await fx.Dave.Post($"/api/kb/articles/{id}/state", new { to = "live" }).Problem(400), StringComparison.Ordinal);
        await fx.Dave.Post($"/api/kb/articles/{id}/state", new { to = "in-review" }).Ok();
        await fx.Dave.Post($"/api/kb/articles/{id}/state", new { to = "published" }).Problem(403);
        Assert.Equal(404, (int)(await fx.Sarah.GetAsync($"/api/kb/articles/{id}")).StatusCode);

        var published = await fx.Carol.Post($"/api/kb/articles/{id}/state", new { to = "published" }).Ok();
        Assert.Equal(("published", "carol"), (published.Str("state"), published.Str("reviewerId")));
        Assert.Contains("Move it back to draft", await fx.Dave.PutAsync($"/api/kb/articles/{id}", new { title = "x" }).Problem(409), StringComparison.Ordinal);
        Assert.Equal("Map a network drive", (await fx.Sarah.GetOk($"/api/kb/articles/{id}")).Str("title"));

        await fx.Alice.Post($"/api/kb/articles/{id}/state", new { to = "archived" }).Ok();
        Assert.Equal(404, (int)(await fx.Sarah.GetAsync($"/api/kb/articles/{id}")).StatusCode);
    }

    [Fact]
    public async Task Search_Typo_CorrectedFromTheVocabulary_WhichFollowsEdits()
    {
        // A made-up word only this article uses: a typo of it is corrected to it and the article is found.
        var word = "quokka" + new string(Guid.NewGuid().ToString("N").Where(char.IsLetter).Take(4).ToArray()).PadRight(4, 'x') + "relay";
        var typo = word[..^2] + word[^1] + word[^2];
        var id = (await fx.Dave.Post("/api/kb/articles", new { title = "Restart the " + word, body = "Power-cycle the unit." }).Ok(201)).Id();
        var found = await fx.Dave.GetOk($"/api/kb/search?q={typo}");
        Assert.Equal([id], Ids(found, "items"));
        Assert.Equal((true, word), ((bool)found["fuzzy"]!, found.Str("corrected")));

        // Edited away: the word leaves the vocabulary, so the typo is no longer corrected to it.
        await fx.Dave.PutAsJsonAsyncOk($"/api/kb/articles/{id}", new { title = "Restart the unit", expectedVersion = 1 });
        var after = await fx.Dave.GetOk($"/api/kb/search?q={typo}");
        Assert.Empty(after["items"]!.AsArray());
        Assert.Null(after["corrected"]?.GetValue<string>());
    }

    [Fact]
    public async Task Article_AuthorReviewsOwnArticle_Conflict()
    {
        var id = (await fx.Alice.Post("/api/kb/articles", new { title = "Self review", body = "Body" }).Ok(201)).Id();
        await fx.Alice.Post($"/api/kb/articles/{id}/state", new { to = "in-review" }).Ok();

        Assert.Contains("another senior engineer", await fx.Alice.Post($"/api/kb/articles/{id}/state", new { to = "published" }).Problem(409), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Article_InvalidContent_BadRequestSayingWhat()
    {
        Assert.Contains("title", await fx.Dave.Post("/api/kb/articles", new { body = "x" }).Problem(400), StringComparison.Ordinal);
        Assert.Contains("accountId", await fx.Dave.Post("/api/kb/articles", new { title = "t", body = "b", visibility = "account" }).Problem(400), StringComparison.Ordinal);
        Assert.Contains("no account 'nope'", await fx.Dave.Post("/api/kb/articles", new { title = "t", body = "b", visibility = "account", accountId = "nope" }).Problem(400), StringComparison.Ordinal);
        Assert.Contains("'bad tag!'", await fx.Dave.Post("/api/kb/articles", new { title = "t", body = "b", tags = new[] { "bad tag!" } }).Problem(400), StringComparison.Ordinal);
        await fx.Dave.Post("/api/kb/articles", new { title = "t", body = "b", visibility = "everyone" }).Problem(400);
        await fx.Sarah.Post("/api/kb/articles", new { title = "t", body = "b" }).Problem(403);
    }

    [Fact]
    public async Task Articles_ClientUsers_SeePublishedPublicAndOwnAccountOnly()
    {
        var tag = "vis" + Guid.NewGuid().ToString("N")[..8];
        var pub = await fx.PublishedArticle("Public zanzibar article", "Everyone may read zanzibar.", tags: [tag]);
        var intern = await fx.PublishedArticle("Internal zanzibar article", "Staff only zanzibar.", "internal", tags: [tag]);
        var acme = await fx.PublishedArticle("Acme zanzibar article", "Only Acme reads zanzibar.", "account", "acme", [tag]);
        var globex = await fx.PublishedArticle("Globex zanzibar article", "Only Globex reads zanzibar.", "account", "globex", [tag]);
        var draft = (await fx.Dave.Post("/api/kb/articles", new { title = "Draft zanzibar", body = "zanzibar", tags = new[] { tag }, visibility = "public" }).Ok(201)).Id();

        Assert.Equal([pub, acme], Ids(await fx.Sarah.GetOk($"/api/kb/articles?tag={tag}"), "items").Order());
        Assert.Equal([pub, globex], Ids(await fx.Eve.GetOk($"/api/kb/articles?tag={tag}"), "items").Order());
        Assert.Equal([pub, intern, acme, globex, draft], Ids(await fx.Alice.GetOk($"/api/kb/articles?tag={tag}"), "items").Order());
        Assert.Equal([pub, acme], Ids(await fx.Sarah.GetOk("/api/kb/search?q=zanzibar"), "items").Order());
        Assert.Equal([pub, acme], Ids(await fx.Sarah.GetOk("/api/kb/suggestions?subject=zanzib"), "items").Order());
        foreach (var hidden in new[] { intern, globex, draft })
        {
            Assert.Equal(404, (int)(await fx.Sarah.GetAsync($"/api/kb/articles/{hidden}")).StatusCode);
            Assert.Equal(404, (int)(await fx.Sarah.Post($"/api/kb/articles/{hidden}/feedback", new { helpful = true })).StatusCode);
        }

        Assert.Empty((await fx.Sarah.GetOk($"/api/kb/articles/{acme}"))["tickets"]!.AsArray());
        await fx.Sarah.GetAsync("/api/kb/search?q=zanzibar&scope=tickets").Problem(403);
    }

    [Fact]
    public async Task WriteUp_ResolvedTicket_DraftWithoutPersonalDataAndLinkedBothWays()
    {
        var ticket = await fx.Sarah.Post("/api/tickets", new
        {
            subject = "Sarah Connor cannot print to the 2nd floor printer",
            description = """
                Hi team,

                Since Monday my laptop cannot print to the HP LaserJet on the 2nd floor; jobs sit in the queue with "Error - Printing".
                Please call me on +44 20 7946 0958 or on my mobile 07700 900123, or email sarah.connor@acme-widgets.example.
                Our office is at 12 High Street, London SW1A 1AA. Acme Widgets has three printers there.

                Thanks,
                Sarah Connor
                """,
        }).Ok(201);
        var ticketId = ticket.Id();
        Assert.Contains("resolved", await fx.Dave.Post($"/api/kb/tickets/{ticketId}/write-up", new { }).Problem(409), StringComparison.Ordinal);
        await fx.Dave.Post($"/api/tickets/{ticketId}/status", new
        {
            status = "resolved",
            note = "Spoke to Sarah on 07700 900123 on 2026-11-27. The Print Spooler service on PRINT01 (10.0.4.20) was stuck; restarted it and cleared the queue. Acme Widgets Ltd printers print again.",
        }).Ok();

        var article = await fx.Dave.Post($"/api/kb/tickets/{ticketId}/write-up", new { }).Ok(201);

        var text = article.Str("title") + "\n" + article.Str("body");
        foreach (var personal in new[] { "Sarah", "Connor", "7946", "0958", "07700", "900123", "sarah.connor", "acme-widgets.example", "12 High Street", "SW1A", "Acme" })
        {
            Assert.DoesNotContain(personal, text, StringComparison.OrdinalIgnoreCase);
        }

        foreach (var kept in new[] { "HP LaserJet", "2nd floor", "Print Spooler service on PRINT01", "10.0.4.20", "2026-11-27", "## Problem", "## Resolution", "[phone]", "[email]", "[address]", "[name]" })
        {
            Assert.Contains(kept, text, StringComparison.Ordinal);
        }

        Assert.Equal(("draft", "internal"), (article.Str("state"), article.Str("visibility")));
        var link = Assert.Single(article["tickets"]!.AsArray())!;
        Assert.Equal((ticketId, "written-from"), (link["ticketId"]!.GetValue<long>(), link.Str("relation")));
        var references = (await fx.Dave.GetOk($"/api/tickets/{ticketId}"))["externalReferences"]!.AsArray();
        Assert.Contains(references, r => r!.Str("system") == "knowledge-base" && r.Str("reference") == $"KB-{article.Id()}");
        Assert.Contains($"article {article.Id()}", await fx.Dave.Post($"/api/kb/tickets/{ticketId}/write-up", new { }).Problem(409), StringComparison.Ordinal);
        Assert.Equal(404, (int)(await fx.Dave.Post("/api/kb/tickets/999999/write-up", new { })).StatusCode);
    }

    [Fact]
    public async Task Suggestions_TicketAndPortal_RelevantArticlesFeedbackDeflectionAndReports()
    {
        var word = "qx" + Guid.NewGuid().ToString("N")[..6];
        var id = await fx.PublishedArticle($"Scanner {word} jams on duplex", $"When the {word} scanner jams on duplex pages, open tray B and remove the stuck sheet.");
        var other = await fx.PublishedArticle("Unrelated article about fax lines", "Fax lines need an analogue adapter.");
        var ticketId = (await fx.Sarah.Post("/api/tickets", new { subject = $"{word} scanner jams", description = "Every duplex scan jams since the update." }).Ok(201)).Id();

        var forTicket = await fx.Dave.GetOk($"/api/kb/tickets/{ticketId}/suggestions");
        Assert.Equal(id, forTicket["suggestions"]![0]!.Id());
        Assert.DoesNotContain(other, Ids(forTicket, "suggestions"));

        var typed = await fx.Sarah.GetOk($"/api/kb/suggestions?subject={word}%20scanner%20ja");
        Assert.Equal(id, typed["items"]![0]!.Id());
        Assert.Contains("<mark>", typed["items"]![0]!.Str("snippet"), StringComparison.Ordinal);

        var afterDeflection = await fx.Sarah.Post($"/api/kb/articles/{id}/deflections", new { subject = $"{word} scanner jams" }).Ok();
        Assert.Equal(1, afterDeflection["deflections"]!.GetValue<int>());
        await fx.Sarah.Post($"/api/kb/articles/{id}/feedback", new { helpful = true }).Ok();
        await fx.Eve.Post($"/api/kb/articles/{id}/feedback", new { helpful = false }).Ok();
        var counts = await fx.Eve.Post($"/api/kb/articles/{id}/feedback", new { helpful = true }).Ok();
        Assert.Equal((2, 0), (counts["helpful"]!.GetValue<int>(), counts["notHelpful"]!.GetValue<int>()));
        await fx.Dave.Post($"/api/kb/articles/{id}/tickets", new { ticketId }).Ok();
        await fx.Dave.Post($"/api/kb/articles/{id}/tickets", new { ticketId = 999999 }).Problem(404);

        var linked = await fx.Dave.GetOk($"/api/kb/tickets/{ticketId}/suggestions");
        Assert.Contains(linked["linked"]!.AsArray(), l => l!["articleId"]!.GetValue<long>() == id && l.Str("relation") == "used-on");
        var mostUsed = (await fx.Alice.GetOk("/api/kb/reports/most-used?days=7")).AsArray();
        var usage = mostUsed.Single(a => a!.Id() == id)!;
        Assert.Equal((1, 1, 2), (usage["usedOn"]!.GetValue<int>(), usage["deflections"]!.GetValue<int>(), usage["helpful"]!.GetValue<int>()));
    }

    [Fact]
    public async Task Reports_Gaps_TicketTopicsAndSearchesWithNoArticle()
    {
        var topic = "kerb" + Guid.NewGuid().ToString("N")[..6];
        for (var i = 0; i < 3; i++)
        {
            await fx.Dave.Post("/api/tickets", new { accountId = "acme", requesterId = "sarah", subject = $"{topic} delegation broken again", tags = new[] { topic } }).Ok(201);
        }

        await fx.Dave.GetAsync($"/api/kb/search?q=zz{topic}").Ok();

        var gaps = await fx.Alice.GetOk("/api/kb/reports/gaps?days=1&minTickets=3&limit=50");
        var topics = gaps["topics"]!.AsArray().Select(t => (t!.Str("topic"), t.Str("kind"), t!["tickets"]!.GetValue<int>())).ToList();
        Assert.Contains((topic, "tag", 3), topics);
        Assert.Contains((topic, "term", 3), topics);
        Assert.Contains(gaps["searches"]!.AsArray(), s => s!.Str("query") == $"zz{topic}");
        await fx.Alice.GetAsync("/api/kb/reports/gaps?minTickets=0").Problem(400);
    }

    [Fact]
    public async Task Search_Tickets_StaffFindTicketsByTheirTextWithSnippets()
    {
        var word = "vx" + Guid.NewGuid().ToString("N")[..6];
        var ticketId = (await fx.Sarah.Post("/api/tickets", new { subject = "Mail stuck", description = $"The {word} relay rejects every message." }).Ok(201)).Id();
        await fx.Dave.Post($"/api/tickets/{ticketId}/comments", new { body = "Checked the connector; TLS certificate expired.", visibility = "internal" }).Ok();

        var byDescription = await fx.Dave.GetOk($"/api/kb/search?scope=tickets&q={word}%20relay");
        var hit = Assert.Single(byDescription["items"]!.AsArray())!;
        Assert.Equal(ticketId, hit["ticketId"]!.GetValue<long>());
        Assert.Contains($"<mark>{word}</mark>", hit.Str("snippet"), StringComparison.Ordinal);
        Assert.Contains(Ids(await fx.Dave.GetOk($"/api/kb/search?scope=tickets&q={word}%20certificates"), "items", "ticketId"), t => t == ticketId);
        Assert.Contains("articles or tickets", await fx.Dave.GetAsync("/api/kb/search?scope=everything&q=x").Problem(400), StringComparison.Ordinal);
        Assert.Contains("q", await fx.Dave.GetAsync("/api/kb/search").Problem(400), StringComparison.Ordinal);
    }

    private static List<long> Ids(JsonNode page, string items, string field = "id") =>
        page[items]!.AsArray().Select(i => i![field]!.GetValue<long>()).ToList();
}

internal static class PutExtensions
{
    public static Task<JsonNode> PutAsJsonAsyncOk(this HttpClient client, string url, object body) => client.PutAsJsonAsync(url, body).Ok();

    public static Task<HttpResponseMessage> PutAsync(this HttpClient client, string url, object body) => client.PutAsJsonAsync(url, body);
}
