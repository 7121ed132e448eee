using System.Buffers;
using System.Collections.Concurrent;
using System.Net;
using System.Text.Json.Nodes;
using MimeKit;
using SmtpServer;
using SmtpServer.ComponentModel;
using SmtpServer.Mail;
using SmtpServer.Protocol;
using SmtpServer.Storage;
using SupportPlatform.Sdk.Notifications;

namespace SupportPlatform.Notifications.Tests;

/// <summary>A real SMTP server on a loopback port (the SmtpServer library), keeping every message it accepts.</summary>
public sealed class SmtpSink : IAsyncDisposable
{
    private readonly CancellationTokenSource stop = new();
    private readonly Task running;

    public SmtpSink()
    {
        Port = Testing.Host.PlatformFactory.FreePort();
        var options = new SmtpServerOptionsBuilder().ServerName("localhost").Endpoint(e => e.Port(Port).Endpoint(new IPEndPoint(IPAddress.Loopback, Port))).Build();
        var services = new ServiceProvider();
        services.Add(new Store(this));
        running = new SmtpServer.SmtpServer(options, services).StartAsync(stop.Token);
    }

    public int Port { get; }

    public ConcurrentQueue<MimeMessage> Received { get; } = new();

    public async Task<MimeMessage> WaitForAsync(Func<MimeMessage, bool> match)
    {
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (DateTime.UtcNow < deadline)
        {
            if (Received.FirstOrDefault(match) is { } found)
            {
                return found;
            }

            await Task.Delay(50);
        }

        throw new TimeoutException("No matching mail arrived; received: " + string.Join(" | ", Received.Select(m => m.Subject)));
    }

    public async ValueTask DisposeAsync()
    {
        await stop.CancelAsync();
        try
        {
            await running;
        }
        catch (OperationCanceledException)
        {
        }

        stop.Dispose();
    }

    private sealed class Store(SmtpSink sink) : MessageStore
    {
        public override async Task<SmtpResponse> SaveAsync(ISessionContext context, IMessageTransaction transaction, ReadOnlySequence<byte> buffer, CancellationToken cancellationToken)
        {
            using var stream = new MemoryStream(buffer.ToArray());
            sink.Received.Enqueue(await MimeMessage.LoadAsync(stream, cancellationToken));
            return SmtpResponse.Ok;
        }
    }
}

/// <summary>A loopback HTTP receiver standing in for Slack's and Teams' incoming webhooks; answers 500 on /broken.</summary>
public sealed class WebhookReceiver : IDisposable
{
    private readonly HttpListener listener = new();
    private readonly Task loop;

    public WebhookReceiver()
    {
        Port = Testing.Host.PlatformFactory.FreePort();
        listener.Prefixes.Add($"http://127.0.0.1:{Port}/");
        listener.Start();
        loop = Task.Run(RunAsync);
    }

    public int Port { get; }

    public string Url(string path) => $"http://127.0.0.1:{Port}/{path}";

    public ConcurrentQueue<(string Path, string ContentType, JsonNode Body)> Received { get; } = new();

    public async Task<JsonNode> WaitForAsync(string path, Func<JsonNode, bool> match)
    {
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (DateTime.UtcNow < deadline)
        {
            if (Received.FirstOrDefault(r => r.Path == path && match(r.Body)) is { Body: { } found })
            {
                return found;
            }

            await Task.Delay(50);
        }

        throw new TimeoutException($"No matching post to /{path}; received: " + string.Join(" | ", Received.Select(r => r.Path + " " + r.Body.ToJsonString())));
    }

    public void Dispose()
    {
        listener.Stop();
        listener.Close();
        try
        {
            loop.Wait(TimeSpan.FromSeconds(5));
        }
        catch (AggregateException)
        {
        }
    }

    private async Task RunAsync()
    {
        while (listener.IsListening)
        {
            HttpListenerContext context;
            try
            {
                context = await listener.GetContextAsync();
            }
            catch (Exception ex) when (ex is HttpListenerException or ObjectDisposedException or InvalidOperationException)
            {
                return;
            }

            using var reader = new StreamReader(context.Request.InputStream);
            var text = await reader.ReadToEndAsync();
            var path = context.Request.Url!.AbsolutePath.Trim('/');
            Received.Enqueue((path, context.Request.ContentType ?? "", JsonNode.Parse(text)!));
            context.Response.StatusCode = path == "broken" ? 500 : 200;
            await context.Response.OutputStream.WriteAsync("ok"u8.ToArray());
            context.Response.Close();
        }
    }
}

/// <summary>An SMS channel as a telephony plugin provides one: numbers ending in 0000 are refused by the "provider".</summary>
public sealed class FakeSms : INotificationChannel
{
    public ConcurrentQueue<NotificationMessage> Sent { get; } = new();

    public ConcurrentQueue<NotificationMessage> Refused { get; } = new();

    public string Channel => NotificationChannels.Sms;

    public Task<NotificationSendResult> SendAsync(NotificationMessage message, CancellationToken cancellationToken)
    {
        if (message.Address?.EndsWith("0000", StringComparison.Ordinal) == true)
        {
            Refused.Enqueue(message);
            return Task.FromResult(NotificationSendResult.Failed("21610: the number is unreachable"));
        }

        Sent.Enqueue(message);
        return Task.FromResult(NotificationSendResult.Ok("SM" + Sent.Count));
    }
}
