using System.Net.Http.Json;
using System.Text.Json.Nodes;

namespace SupportPlatform.Plugins.Ticketing.Tests;

internal static class TestWait
{
    /// <summary>Polls <paramref name="url"/> until <paramref name="done"/> holds (30 s at most).</summary>
    public static async Task<JsonNode> UntilAsync(HttpClient client, string url, Func<JsonNode, bool> done, string what, int seconds = 30)
    {
        var deadline = DateTime.UtcNow.AddSeconds(seconds);
        JsonNode? last = null;
        while (true)
        {
            using var response = await client.GetAsync(url);
            if (response.IsSuccessStatusCode)
            {
                last = JsonNode.Parse(await response.Content.ReadAsStringAsync())!;
                if (done(last))
                {
                    return last;
                }
            }

            Assert.True(DateTime.UtcNow < deadline, $"timed out waiting for {what}; last {url}: {last?.ToJsonString()}");
            await Task.Delay(100);
        }
    }

    /// <summary>Waits until <paramref name="done"/> holds (30 s at most).</summary>
    public static async Task UntilAsync(Func<bool> done, string what, int seconds = 30)
    {
        var deadline = DateTime.UtcNow.AddSeconds(seconds);
        while (!done())
        {
            Assert.True(DateTime.UtcNow < deadline, $"timed out waiting for {what}");
            await Task.Delay(100);
        }
    }

    public static async Task<JsonNode> OkAsync(this Task<HttpResponseMessage> call, int status = 200)
    {
        using var response = await call;
        var body = await response.Content.ReadAsStringAsync();
        Assert.True((int)response.StatusCode == status, $"expected {status}, got {(int)response.StatusCode}: {body}");
        return body.Length == 0 ? new JsonObject() : JsonNode.Parse(body)!;
    }

    public static Task<JsonNode> PostOkAsync(this HttpClient client, string url, object body, int status = 200) => client.PostAsJsonAsync(url, body).OkAsync(status);

    /// <summary>The ticket of the platform that the help desk's ticket became.</summary>
    public static async Task<JsonNode> LocalTicketAsync(HttpClient admin, HttpClient staff, string system, long externalId)
    {
        var link = await UntilAsync(admin, $"/api/admin/bridge/{system}/tickets/{externalId}", _ => true, $"{system} ticket {externalId} on the platform");
        return await staff.GetFromJsonAsync<JsonNode>($"/api/tickets/{(long)link["ticketId"]!}") ?? throw new InvalidOperationException("no ticket");
    }
}
