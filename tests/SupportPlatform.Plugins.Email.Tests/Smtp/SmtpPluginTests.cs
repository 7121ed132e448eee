using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using MailKit.Net.Smtp;
using MailKit.Security;
using MimeKit;
using SupportPlatform.Plugins.Email.Smtp;
using SupportPlatform.Plugins.Email.Tests.Infrastructure;
using SupportPlatform.Sdk;
using SupportPlatform.Testing;

namespace SupportPlatform.Plugins.Email.Tests.Smtp;

/// <summary>The SMTP receiver on a loopback port, spoken to by MailKit's SMTP client.</summary>
public sealed class SmtpPluginTests : IAsyncLifetime
{
    private readonly TempDirectory _data = new("sp-smtp-plugin-");
    private readonly List<PluginRunner> _runners = [];
    private readonly int _port = FreePort();

    internal RecordingSink Sink { get; } = new();

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        foreach (var runner in _runners)
        {
            await runner.DisposeAsync();
        }

        _data.Dispose();
    }

    [Fact]
    public async Task Message_250OnlyAfterTheSinkReturned_WithEnvelope()
    {
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        Sink.BeforeReturning = _ => release.Task;
        await StartAsync();
        var message = DovecotServer.CreateMessage("Server down", to: "support@msp.example");

        using var client = await ConnectAsync();
        var sending = client.SendAsync(message, MailboxAddress.Parse("bounces@client.example"), [MailboxAddress.Parse("support@msp.example"), MailboxAddress.Parse("Help@MSP.example")]);

        await Eventually.TrueAsync(() => Sink.Offered.Count == 1, "the sink is offered the message");
        await Task.Delay(300);
        Assert.False(sending.IsCompleted, "The client got its answer before the sink returned.");
        release.SetResult();
        var reply = await sending;

        Assert.Contains("Stored", reply, StringComparison.Ordinal);
        var mail = Assert.Single(Sink.Offered);
        Assert.Equal("smtp", mail.SourceId);
        Assert.Null(mail.SourceKey);
        Assert.Equal("bounces@client.example", mail.EnvelopeFrom);
        Assert.Equal(["support@msp.example", "Help@MSP.example"], mail.EnvelopeRecipients);
        Assert.Equal(message.MessageId, RecordingSink.MessageIdOf(mail));
        Assert.Contains("Subject: Server down", Encoding.UTF8.GetString(mail.Content.Span), StringComparison.Ordinal);
        Assert.InRange(mail.ReceivedAt, DateTimeOffset.UtcNow.AddMinutes(-1), DateTimeOffset.UtcNow);
    }

    [Fact]
    public async Task SinkThrows_451Temporary_ThenTheRetryIsStored()
    {
        Sink.FailWhen = _ => new InvalidOperationException("database is down");
        await StartAsync();
        var message = DovecotServer.CreateMessage("Retry me", to: "support@msp.example");
        using var client = await ConnectAsync();

        var error = await Assert.ThrowsAsync<SmtpCommandException>(() => client.SendAsync(message));

        Assert.Equal(451, (int)error.StatusCode);
        Assert.Equal(SmtpErrorCode.MessageNotAccepted, error.ErrorCode);
        Assert.Empty(Sink.Stored);

        Sink.FailWhen = null;
        await client.SendAsync(message);
        Assert.True(Sink.Stored.ContainsKey(message.MessageId!));
    }

    [Fact]
    public async Task ForeignRecipient_550WithReason_NothingRelayed()
    {
        await StartAsync();
        var message = DovecotServer.CreateMessage("Relay attempt", to: "victim@elsewhere.example");
        using var client = await ConnectAsync();

        var error = await Assert.ThrowsAsync<SmtpCommandException>(() => client.SendAsync(message));

        Assert.Equal(550, (int)error.StatusCode);
        Assert.Equal(SmtpErrorCode.RecipientNotAccepted, error.ErrorCode);
        Assert.Contains("relays nothing", error.Message, StringComparison.Ordinal);
        Assert.Empty(Sink.Offered);
    }

    [Fact]
    public async Task DomainRecipient_AnyAddressOfTheDomainAccepted()
    {
        await StartAsync(new() { ["recipients:0"] = "support@msp.example", ["recipients:1"] = "helpdesk.example" });
        var message = DovecotServer.CreateMessage("Via domain", to: "anyone@helpdesk.example");
        using var client = await ConnectAsync();

        await client.SendAsync(message);

        Assert.Equal(["anyone@helpdesk.example"], Assert.Single(Sink.Offered).EnvelopeRecipients);
    }

    [Fact]
    public async Task LargerThanTheSinkLimit_SizeAdvertised_552Refused()
    {
        Sink.MaxMessageBytes = 10_000;
        await StartAsync();
        using var client = await ConnectAsync();
        Assert.Equal(10_000u, client.MaxSize);
        var big = DovecotServer.CreateMessage("Too big", body: new string('x', 50_000), to: "support@msp.example");

        var error = await Assert.ThrowsAsync<SmtpCommandException>(() => client.SendAsync(big));

        Assert.Equal(552, (int)error.StatusCode);
        Assert.Empty(Sink.Offered);
    }

    [Fact]
    public async Task SizeNotDeclared_LargerThanTheLimitDuringData_552AndNotStored()
    {
        Sink.MaxMessageBytes = 10_000;
        await StartAsync();
        using var session = await RawSmtp.ConnectAsync(_port);

        var answers = await session.SendMailAsync(
            "a@client.example",
            "Subject: big\r\nMessage-ID: <big@client.example>\r\n\r\n" + string.Join("\r\n", Enumerable.Repeat(new string('y', 76), 300)));

        Assert.StartsWith("552", answers[^1], StringComparison.Ordinal);
        Assert.Empty(Sink.Offered);
    }

    [Fact]
    public async Task NullSender_Bounce_EnvelopeFromIsEmpty()
    {
        await StartAsync();
        using var session = await RawSmtp.ConnectAsync(_port);

        var answers = await session.SendMailAsync(string.Empty, "Subject: Undelivered Mail\r\nMessage-ID: <bounce-1@mx.client.example>\r\n\r\nYour message could not be delivered.");

        Assert.StartsWith("250", answers[^1], StringComparison.Ordinal);
        Assert.Equal(string.Empty, Assert.Single(Sink.Offered).EnvelopeFrom);
    }

    [Fact]
    public async Task StartTlsAndAuth_Required_AnonymousRefused_AuthenticatedStored()
    {
        using var folder = new TempDirectory("sp-smtp-cert-");
        using var certificate = CreateCertificate();
        File.WriteAllText(folder.Combine("cert.pem"), certificate.ExportCertificatePem());
        using (var key = certificate.GetRSAPrivateKey()!)
        {
            File.WriteAllText(folder.Combine("key.pem"), key.ExportPkcs8PrivateKeyPem());
        }

        await StartAsync(new()
        {
            ["recipients:0"] = "support@msp.example",
            ["certificate:path"] = folder.Combine("cert.pem"),
            ["certificate:keyPath"] = folder.Combine("key.pem"),
            ["requireAuthentication"] = "true",
            ["users:0:user"] = "forwarder",
            ["users:0:password"] = "s3cret",
        });
        var message = DovecotServer.CreateMessage("Forwarded", to: "support@msp.example");

        using (var anonymous = await ConnectAsync(SecureSocketOptions.StartTls, certificate))
        {
            Assert.True(anonymous.IsSecure);
            // 530 authentication required (MailKit raises it as ServiceNotAuthenticatedException).
            await Assert.ThrowsAsync<MailKit.ServiceNotAuthenticatedException>(() => anonymous.SendAsync(message));
        }

        using var client = await ConnectAsync(SecureSocketOptions.StartTls, certificate);
        await Assert.ThrowsAsync<AuthenticationException>(() => client.AuthenticateAsync("forwarder", "wrong"));
        await client.AuthenticateAsync("forwarder", "s3cret");
        await client.SendAsync(message);

        Assert.True(Sink.Stored.ContainsKey(message.MessageId!));
    }

    [Fact]
    public async Task PortTaken_UnhealthyWithReason()
    {
        using var blocker = new TcpListener(IPAddress.Loopback, _port);
        blocker.Start();

        var runner = Start(new() { ["recipients:0"] = "support@msp.example" });

        await Eventually.TrueAsync(async () => (await runner.HealthAsync()).Status == PluginHealthStatus.Unhealthy, "unhealthy", diagnostics: runner.Logs.ToString);
        Assert.Contains("cannot listen", (await runner.HealthAsync()).Description, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("port=", "Plugins:email-smtp:recipients is empty")]
    [InlineData("recipients:0=not an address", "recipients has 'not an address'")]
    [InlineData("address=localhost", "Plugins:email-smtp:address is 'localhost'")]
    [InlineData("requireAuthentication=true", "requireAuthentication is true but Plugins:email-smtp:users is empty")]
    [InlineData("users:0:user=x", "users:0:password is missing")]
    [InlineData("certificate:path=/nonexistent.pem", "certificate:path is '/nonexistent.pem', which does not exist")]
    public void BadSettings_PluginRefusesToLoad_NamingTheKey(string change, string expected)
    {
        var settings = new Dictionary<string, string?>();
        if (!expected.Contains("recipients is empty", StringComparison.Ordinal))
        {
            settings["recipients:0"] = "support@msp.example";
        }

        var (key, value) = (change.Split('=')[0], change.Split('=', 2)[1]);
        settings[key] = value;

        var error = Assert.Throws<InvalidOperationException>(() => PluginRunner.Start<SmtpPlugin>("email-smtp", settings, Sink, _data.Path));
        Assert.Contains(expected, error.Message, StringComparison.Ordinal);
    }

    /// <summary>SMTP by hand, for what MailKit will not send (no SIZE declared, the null sender).</summary>
    private sealed class RawSmtp : IDisposable
    {
        private readonly TcpClient _tcp;
        private readonly NetworkStream _stream;
        private readonly StreamReader _reader;

        private RawSmtp(TcpClient tcp)
        {
            _tcp = tcp;
            _stream = tcp.GetStream();
            _reader = new StreamReader(_stream, Encoding.ASCII);
        }

        public static async Task<RawSmtp> ConnectAsync(int port)
        {
            var tcp = new TcpClient();
            await tcp.ConnectAsync(IPAddress.Loopback, port);
            var session = new RawSmtp(tcp);
            Assert.StartsWith("220", await session.ReplyAsync(), StringComparison.Ordinal);
            return session;
        }

        /// <summary>HELO, MAIL, RCPT, DATA with <paramref name="content"/>; returns every reply (the last is the one to DATA's end).</summary>
        public async Task<IReadOnlyList<string>> SendMailAsync(string from, string content)
        {
            var replies = new List<string> { await CommandAsync("HELO client.example"), await CommandAsync($"MAIL FROM:<{from}>") };
            Assert.StartsWith("250", replies[^1], StringComparison.Ordinal);
            replies.Add(await CommandAsync("RCPT TO:<support@msp.example>"));
            Assert.StartsWith("250", replies[^1], StringComparison.Ordinal);
            replies.Add(await CommandAsync("DATA"));
            Assert.StartsWith("354", replies[^1], StringComparison.Ordinal);
            replies.Add(await CommandAsync(content + "\r\n."));
            return replies;
        }

        public void Dispose()
        {
            _reader.Dispose();
            _tcp.Dispose();
        }

        private async Task<string> CommandAsync(string text)
        {
            await _stream.WriteAsync(Encoding.ASCII.GetBytes(text + "\r\n"));
            return await ReplyAsync();
        }

        private async Task<string> ReplyAsync()
        {
            string line;
            do
            {
                line = await _reader.ReadLineAsync() ?? throw new IOException("The server closed the connection.");
            }
            while (line.Length > 3 && line[3] == '-');
            return line;
        }
    }

    private PluginRunner Start(Dictionary<string, string?> settings)
    {
        settings["address"] = "127.0.0.1";
        settings["port"] = _port.ToString(CultureInfo.InvariantCulture);
        settings["serverName"] = "mx.msp.example";
        var runner = PluginRunner.Start<SmtpPlugin>("email-smtp", settings, Sink, _data.Path);
        _runners.Add(runner);
        return runner;
    }

    private async Task StartAsync(Dictionary<string, string?>? settings = null)
    {
        var runner = Start(settings ?? new() { ["recipients:0"] = "support@msp.example", ["recipients:1"] = "help@msp.example" });
        await Eventually.TrueAsync(async () => (await runner.HealthAsync()).Status == PluginHealthStatus.Healthy, "the receiver listens", diagnostics: runner.Logs.ToString);
    }

    private async Task<SmtpClient> ConnectAsync(SecureSocketOptions security = SecureSocketOptions.None, X509Certificate2? trusted = null)
    {
        var client = new SmtpClient();
        if (trusted is not null)
        {
            client.ServerCertificateValidationCallback = (_, certificate, _, _) => certificate is not null && certificate.GetCertHashString() == trusted.GetCertHashString();
        }

        await client.ConnectAsync("127.0.0.1", _port, security);
        return client;
    }

    private static X509Certificate2 CreateCertificate()
    {
        using var key = RSA.Create(2048);
        var request = new CertificateRequest("CN=mx.msp.example", key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        return request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(30));
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
