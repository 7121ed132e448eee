using System.Text.Json;
using System.Text.Json.Serialization;
using System.Threading.Channels;
using Microsoft.AspNetCore.Http.Connections;
using Microsoft.AspNetCore.SignalR.Client;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;

namespace SupportPlatform.LiveQueue.Tests.Infrastructure;

/// <summary>
/// A real .NET SignalR client on <c>/hubs/live</c> (WebSockets), recording every message as raw JSON so tests check the
/// wire contract, not a client-side model of it.
/// </summary>
public sealed class LiveClient : IAsyncDisposable
{
    public static readonly TimeSpan Wait = TimeSpan.FromSeconds(15);

    private readonly Channel<JsonElement> queue = Channel.CreateUnbounded<JsonElement>();
    private readonly Channel<JsonElement> ticket = Channel.CreateUnbounded<JsonElement>();
    private readonly Channel<JsonElement> presence = Channel.CreateUnbounded<JsonElement>();

    private LiveClient(HubConnection connection)
    {
        Connection = connection;
        connection.On<JsonElement>("queueChanged", e => queue.Writer.TryWrite(e.Clone()));
        connection.On<JsonElement>("ticketChanged", e => ticket.Writer.TryWrite(e.Clone()));
        connection.On<JsonElement>("presence", e => presence.Writer.TryWrite(e.Clone()));
    }

    public HubConnection Connection { get; }

    /// <summary>Through the in-memory test server, signed in with API token <paramref name="token"/> (none: anonymous).</summary>
    public static Task<LiveClient> ConnectAsync(TestServer server, string? token) =>
        StartAsync(Build(new Uri(server.BaseAddress, "/hubs/live"), token, options => options.WebSocketFactory = async (context, cancellationToken) =>
        {
            // A custom factory gets no help from the client: it sends the token itself, as the client does on real sockets.
            var client = server.CreateWebSocketClient();
            if (context.Options.AccessTokenProvider is { } provider && await provider() is { Length: > 0 } bearer)
            {
                client.ConfigureRequest = request => request.Headers.Authorization = "Bearer " + bearer;
            }

            return await client.ConnectAsync(context.Uri, cancellationToken);
        }));

    /// <summary>Through real sockets, to a host listening on <paramref name="baseAddress"/>, signed in with <paramref name="token"/>.</summary>
    public static Task<LiveClient> ConnectAsync(Uri baseAddress, string? token) => StartAsync(Build(new Uri(baseAddress, "/hubs/live"), token, _ => { }));

    public async Task<QueueCatchUpJson> SubscribeQueue(long? lastSeq)
    {
        var answer = await Connection.InvokeAsync<JsonElement>("SubscribeQueue", lastSeq);
        return new QueueCatchUpJson(
            answer.GetProperty("changes").EnumerateArray().Select(c => c.Clone()).ToList(),
            answer.GetProperty("reset").GetBoolean(),
            answer.GetProperty("lastSeq").GetInt64());
    }

    /// <summary>The next queueChanged that matches (earlier ones that do not are skipped).</summary>
    public Task<JsonElement> NextQueueChange(Func<JsonElement, bool> match) => Next(queue, match, "queueChanged");

    public Task<JsonElement> NextTicketChange(Func<JsonElement, bool> match) => Next(ticket, match, "ticketChanged");

    public Task<JsonElement> NextPresence(Func<JsonElement, bool> match) => Next(presence, match, "presence");

    /// <summary>queueChanged messages about <paramref name="ticketId"/> received so far and within a short quiet period.</summary>
    public async Task<List<JsonElement>> Drain(long ticketId, TimeSpan quiet)
    {
        var result = new List<JsonElement>();
        while (true)
        {
            using var cts = new CancellationTokenSource(quiet);
            try
            {
                var change = await queue.Reader.ReadAsync(cts.Token);
                if (TicketId(change) == ticketId)
                {
                    result.Add(change);
                }
            }
            catch (OperationCanceledException)
            {
                return result;
            }
        }
    }

    public static long? TicketId(JsonElement change) =>
        change.GetProperty("ticket").ValueKind == JsonValueKind.Null ? null : change.GetProperty("ticket").GetProperty("id").GetInt64();

    public async ValueTask DisposeAsync() => await Connection.DisposeAsync();

    private static HubConnection Build(Uri url, string? token, Action<Microsoft.AspNetCore.Http.Connections.Client.HttpConnectionOptions> configure) =>
        new HubConnectionBuilder()
            .WithUrl(url, options =>
            {
                options.Transports = HttpTransportType.WebSockets;
                options.SkipNegotiation = true;
                if (token is not null)
                {
                    options.AccessTokenProvider = () => Task.FromResult<string?>(token);
                }

                configure(options);
            })
            .AddJsonProtocol(json => json.PayloadSerializerOptions.Converters.Add(new JsonStringEnumConverter(JsonNamingPolicy.KebabCaseLower)))
            .Build();

    private static async Task<LiveClient> StartAsync(HubConnection connection)
    {
        var client = new LiveClient(connection);
        await connection.StartAsync();
        return client;
    }

    private static async Task<JsonElement> Next(Channel<JsonElement> channel, Func<JsonElement, bool> match, string what)
    {
        using var cts = new CancellationTokenSource(Wait);
        try
        {
            while (true)
            {
                var message = await channel.Reader.ReadAsync(cts.Token);
                if (match(message))
                {
                    return message;
                }
            }
        }
        catch (OperationCanceledException)
        {
            throw new TimeoutException($"no matching {what} message within {Wait.TotalSeconds} s");
        }
    }
}

public sealed record QueueCatchUpJson(IReadOnlyList<JsonElement> Changes, bool Reset, long LastSeq);
