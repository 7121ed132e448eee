using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using MailKit.Net.Imap;
using MailKit.Security;
using MimeKit;

namespace SupportPlatform.Testing;

/// <summary>
/// A real Dovecot IMAP server of its own for a test: started on free loopback ports with its own configuration,
/// maildir storage under a temp folder and passwd-file users; mail is delivered into it over LMTP.
/// </summary>
/// <remarks>
/// <para>Needs the Debian packages <c>dovecot-imapd</c> and <c>dovecot-lmtpd</c> (<c>scripts/test</c> installs them).
/// The system Dovecot (if any) is not touched: this one has its own base folder, ports and config.</para>
/// <para>Runs as root (CI: the mail processes then run as <c>nobody</c>) or as any other user (every Dovecot
/// process runs as that user). <c>ssl = no</c> unless <see cref="DovecotOptions.Tls"/> asks for an IMAPS listener
/// with a self-signed certificate (then STARTTLS is offered on the plain port too). Plain-text logins are allowed on
/// the plain port either way.</para>
/// </remarks>
public sealed class DovecotServer : IAsyncDisposable
{
    /// <summary>The password of the users the options name without one.</summary>
    public const string DefaultPassword = "secret";

    private const string Binary = "/usr/sbin/dovecot";
    private const string NotFoundMessage =
        "Dovecot not found at /usr/sbin/dovecot: run scripts/test, which installs the Debian packages dovecot-imapd and dovecot-lmtpd";

    private readonly string _folder;
    private readonly Process _process;
    private readonly string _usersFile;
    private readonly (int Uid, int Gid) _mailOwner;
    private bool _disposed;

    private DovecotServer(string folder, Process process, string usersFile, (int Uid, int Gid) mailOwner, int imapPort, int imapsPort, int lmtpPort, X509Certificate2? certificate)
    {
        _folder = folder;
        _process = process;
        _usersFile = usersFile;
        _mailOwner = mailOwner;
        ImapPort = imapPort;
        ImapsPort = imapsPort;
        LmtpPort = lmtpPort;
        Certificate = certificate;
    }

    /// <summary>The address every listener is on.</summary>
    public string Host => "127.0.0.1";

    /// <summary>IMAP without TLS on connect (STARTTLS offered when <see cref="DovecotOptions.Tls"/>).</summary>
    public int ImapPort { get; }

    /// <summary>IMAP over TLS on connect, or 0 without <see cref="DovecotOptions.Tls"/>.</summary>
    public int ImapsPort { get; }

    /// <summary>LMTP, for delivering mail.</summary>
    public int LmtpPort { get; }

    /// <summary>The self-signed certificate of the TLS listeners, or <see langword="null"/>.</summary>
    public X509Certificate2? Certificate { get; }

    /// <summary>The folder holding config, logs and mail.</summary>
    public string Folder => _folder;

    /// <summary>Dovecot's log so far (for failure messages).</summary>
    public string ReadLog()
    {
        var path = Path.Combine(Folder, "dovecot.log");
        return File.Exists(path) ? File.ReadAllText(path) : string.Empty;
    }

    /// <summary>Starts a server and waits until IMAP and LMTP answer.</summary>
    public static async Task<DovecotServer> StartAsync(DovecotOptions? options = null)
    {
        options ??= new DovecotOptions();
        if (!File.Exists(Binary))
        {
            throw new InvalidOperationException(NotFoundMessage);
        }

        var root = LocalSystem.IsRoot();
        // Mail processes never run as root: as root, mail belongs to nobody; otherwise to the current user. The folder
        // lives under /tmp so that nobody can reach it (root's own TMPDIR may not be traversable).
        var mailOwner = root ? (65534, 65534) : (GetId("-u"), GetId("-g"));
        var parent = root ? "/tmp" : Path.GetTempPath();
        CleanUpOrphans(parent);
        var folder = CreateFolder(parent);
        File.WriteAllText(Path.Combine(folder, "owner.pid"), Environment.ProcessId.ToString(CultureInfo.InvariantCulture));
        foreach (var sub in new[] { "run", "state", "mail" })
        {
            Directory.CreateDirectory(Path.Combine(folder, sub));
        }

        if (root && !OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(folder, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute
                | UnixFileMode.GroupExecute | UnixFileMode.OtherExecute);
            Chown(Path.Combine(folder, "mail"), mailOwner);
        }

        var usersFile = Path.Combine(folder, "users");
        File.WriteAllText(usersFile, string.Empty);
        X509Certificate2? certificate = null;
        int imapPort = LocalSystem.FreeLoopbackPort(), lmtpPort = LocalSystem.FreeLoopbackPort(), imapsPort = options.Tls ? LocalSystem.FreeLoopbackPort() : 0;
        string tlsSettings = "ssl = no\n";
        if (options.Tls)
        {
            certificate = CreateCertificate();
            File.WriteAllText(Path.Combine(folder, "cert.pem"), certificate.ExportCertificatePem());
            using (var key = certificate.GetRSAPrivateKey()!)
            {
                File.WriteAllText(Path.Combine(folder, "key.pem"), key.ExportPkcs8PrivateKeyPem());
            }

            tlsSettings = $"""
                ssl = yes
                ssl_cert = <{folder}/cert.pem
                ssl_key = <{folder}/key.pem
                ssl_min_protocol = TLSv1.2

                """;
        }

        var config = BuildConfig(folder, usersFile, root, imapPort, imapsPort, lmtpPort, tlsSettings, options);
        var configPath = Path.Combine(folder, "dovecot.conf");
        File.WriteAllText(configPath, config);

        var start = new ProcessStartInfo(Binary)
        {
            UseShellExecute = false,
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        start.ArgumentList.Add("-F");
        start.ArgumentList.Add("-c");
        start.ArgumentList.Add(configPath);
        var process = Process.Start(start) ?? throw new InvalidOperationException("Could not start dovecot.");
        var stderr = new StringBuilder();
        process.ErrorDataReceived += (_, e) =>
        {
            lock (stderr)
            {
                stderr.AppendLine(e.Data);
            }
        };
        process.OutputDataReceived += (_, _) => { };
        process.BeginErrorReadLine();
        process.BeginOutputReadLine();
        var server = new DovecotServer(folder, process, usersFile, mailOwner, imapPort, imapsPort, lmtpPort, certificate);
        AppDomain.CurrentDomain.ProcessExit += (_, _) => server.Kill();
        try
        {
            foreach (var user in options.Users)
            {
                server.AddUser(user, DefaultPassword);
            }

            await server.WaitUntilReadyAsync(() => { lock (stderr) { return stderr.ToString(); } }).ConfigureAwait(false);
            return server;
        }
        catch
        {
            await server.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>Adds a user (or changes its password); Dovecot re-reads the passwd-file when it changes.</summary>
    public void AddUser(string user, string password)
    {
        if (user.Contains(':', StringComparison.Ordinal) || password.Contains(':', StringComparison.Ordinal) || password.Contains('\n', StringComparison.Ordinal))
        {
            throw new ArgumentException("Users and passwords of the test server may not contain ':' or line breaks.");
        }

        var lines = File.ReadAllLines(_usersFile).Where(l => !l.StartsWith(user + ":", StringComparison.Ordinal)).ToList();
        var home = Path.Combine(Folder, "mail", user);
        lines.Add(string.Create(CultureInfo.InvariantCulture, $"{user}:{{PLAIN}}{password}:{_mailOwner.Uid}:{_mailOwner.Gid}::{home}"));
        // Dovecot notices a change by the file's mtime, in whole seconds: write a new file and give it a new mtime.
        var temp = _usersFile + ".tmp";
        File.WriteAllLines(temp, lines);
        File.SetLastWriteTimeUtc(temp, DateTime.UtcNow.AddSeconds(lines.Count));
        File.Move(temp, _usersFile, overwrite: true);
    }

    /// <summary>Delivers a message to <paramref name="recipients"/> over LMTP (the way an MTA hands mail to Dovecot).</summary>
    public async Task DeliverAsync(MimeMessage message, params string[] recipients)
    {
        using var content = new MemoryStream();
        await message.WriteToAsync(FormatOptions.Default, content).ConfigureAwait(false);
        var sender = message.From.Mailboxes.FirstOrDefault()?.Address ?? "sender@example.org";
        await DeliverAsync(content.ToArray(), sender, recipients).ConfigureAwait(false);
    }

    /// <summary>Delivers raw message bytes over LMTP (RFC 2033); throws when Dovecot refuses it for any recipient.</summary>
    public Task DeliverAsync(byte[] content, string sender, params string[] recipients) =>
        DeliverManyAsync([content], sender, recipients);

    /// <summary>Delivers several messages in one LMTP session (one transaction each), for bulk loads.</summary>
    public async Task DeliverManyAsync(IEnumerable<byte[]> messages, string sender, params string[] recipients)
    {
        // MailKit 4 has no LMTP client; the protocol is SMTP with LHLO and one reply per recipient after DATA.
        using var client = new TcpClient();
        await client.ConnectAsync(IPAddress.Loopback, LmtpPort).ConfigureAwait(false);
        var stream = client.GetStream();
        using var reader = new StreamReader(stream, Encoding.ASCII, false, 1024, leaveOpen: true);
        async Task<string> ReplyAsync(string expected)
        {
            string line;
            var all = new StringBuilder();
            do
            {
                line = await reader.ReadLineAsync().ConfigureAwait(false) ?? throw new IOException("LMTP: connection closed.\n" + all);
                all.AppendLine(line);
            }
            while (line.Length > 3 && line[3] == '-');
            if (!line.StartsWith(expected, StringComparison.Ordinal))
            {
                throw new InvalidOperationException($"LMTP: expected {expected}, got: {all}");
            }

            return line;
        }

        async Task SendAsync(string line) => await stream.WriteAsync(Encoding.ASCII.GetBytes(line + "\r\n")).ConfigureAwait(false);

        await ReplyAsync("220").ConfigureAwait(false);
        await SendAsync("LHLO tests.local").ConfigureAwait(false);
        await ReplyAsync("250").ConfigureAwait(false);
        foreach (var content in messages)
        {
            await SendAsync($"MAIL FROM:<{sender}>").ConfigureAwait(false);
            await ReplyAsync("250").ConfigureAwait(false);
            foreach (var recipient in recipients)
            {
                await SendAsync($"RCPT TO:<{recipient}>").ConfigureAwait(false);
                await ReplyAsync("250").ConfigureAwait(false);
            }

            await SendAsync("DATA").ConfigureAwait(false);
            await ReplyAsync("354").ConfigureAwait(false);
            await stream.WriteAsync(DotStuff(content)).ConfigureAwait(false);
            await SendAsync(".").ConfigureAwait(false);
            foreach (var _ in recipients)
            {
                await ReplyAsync("250").ConfigureAwait(false);
            }
        }

        await SendAsync("QUIT").ConfigureAwait(false);
    }

    /// <summary>CRLF line ends, a leading '.' doubled, ending with CRLF.</summary>
    private static byte[] DotStuff(byte[] content)
    {
        var output = new MemoryStream(content.Length + 64);
        var lineStart = true;
        for (var i = 0; i < content.Length; i++)
        {
            var b = content[i];
            if (lineStart && b == (byte)'.')
            {
                output.WriteByte((byte)'.');
            }

            if (b == (byte)'\n' && (i == 0 || content[i - 1] != (byte)'\r'))
            {
                output.WriteByte((byte)'\r');
            }

            output.WriteByte(b);
            lineStart = b == (byte)'\n';
        }

        if (!lineStart)
        {
            output.Write("\r\n"u8);
        }

        return output.ToArray();
    }

    /// <summary>A small text message with the given subject (and a unique Message-ID).</summary>
    public static MimeMessage CreateMessage(string subject, string body = "Hello.", string from = "client@example.org", string to = "support@test.local")
    {
        var message = new MimeMessage();
        message.From.Add(MailboxAddress.Parse(from));
        message.To.Add(MailboxAddress.Parse(to));
        message.Subject = subject;
        message.MessageId = MimeKit.Utils.MimeUtils.GenerateMessageId("example.org");
        message.Body = new TextPart("plain") { Text = body };
        return message;
    }

    /// <summary>An IMAP client signed in as <paramref name="user"/> on the plain port (for test assertions).</summary>
    public async Task<ImapClient> ConnectAsync(string user, string password = DefaultPassword)
    {
        var client = new ImapClient();
        await client.ConnectAsync(Host, ImapPort, SecureSocketOptions.None).ConfigureAwait(false);
        await client.AuthenticateAsync(user, password).ConfigureAwait(false);
        return client;
    }

    /// <summary>The Message-IDs in a user's folder (empty when the folder does not exist).</summary>
    public async Task<IReadOnlyList<string>> ListMessageIdsAsync(string user, string folderName)
    {
        using var client = await ConnectAsync(user).ConfigureAwait(false);
        MailKit.IMailFolder folder;
        try
        {
            folder = await client.GetFolderAsync(folderName).ConfigureAwait(false);
        }
        catch (MailKit.FolderNotFoundException)
        {
            return [];
        }

        await folder.OpenAsync(MailKit.FolderAccess.ReadOnly).ConfigureAwait(false);
        var ids = new List<string>();
        if (folder.Count > 0)
        {
            foreach (var summary in await folder.FetchAsync(0, -1, new MailKit.FetchRequest(MailKit.MessageSummaryItems.Envelope)).ConfigureAwait(false))
            {
                ids.Add(summary.Envelope?.MessageId ?? string.Empty);
            }
        }

        await client.DisconnectAsync(true).ConfigureAwait(false);
        return ids;
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        if (!_process.HasExited)
        {
            // SIGTERM: the master stops its children and exits.
            _ = Kill(_process.Id, SigTerm);
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
            try
            {
                await _process.WaitForExitAsync(timeout.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                _process.Kill(entireProcessTree: true);
            }
        }

        _process.Dispose();
        Certificate?.Dispose();
        try
        {
            Directory.Delete(_folder, recursive: true);
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }
    }

    private void Kill()
    {
        try
        {
            if (!_process.HasExited)
            {
                _ = Kill(_process.Id, SigTerm);
            }
        }
        catch (InvalidOperationException)
        {
        }
    }

    private async Task WaitUntilReadyAsync(Func<string> stderr)
    {
        var deadline = DateTime.UtcNow.AddSeconds(20);
        while (true)
        {
            if (_process.HasExited)
            {
                throw new InvalidOperationException($"dovecot exited with code {_process.ExitCode}:\n{stderr()}\n{ReadLog()}");
            }

            if (await AnswersAsync(ImapPort, "* OK").ConfigureAwait(false) && await AnswersAsync(LmtpPort, "220").ConfigureAwait(false))
            {
                return;
            }

            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"dovecot did not answer on 127.0.0.1:{ImapPort} (IMAP) and :{LmtpPort} (LMTP) within 20 s:\n{stderr()}\n{ReadLog()}");
            }

            await Task.Delay(50).ConfigureAwait(false);
        }
    }

    private static async Task<bool> AnswersAsync(int port, string greeting)
    {
        try
        {
            using var client = new TcpClient();
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(2));
            await client.ConnectAsync(IPAddress.Loopback, port, timeout.Token).ConfigureAwait(false);
            var buffer = new byte[256];
            var read = await client.GetStream().ReadAsync(buffer, timeout.Token).ConfigureAwait(false);
            return Encoding.ASCII.GetString(buffer, 0, read).StartsWith(greeting, StringComparison.Ordinal);
        }
        catch (Exception ex) when (ex is SocketException or IOException or OperationCanceledException)
        {
            return false;
        }
    }

    private static string BuildConfig(string folder, string usersFile, bool root, int imapPort, int imapsPort, int lmtpPort, string tlsSettings, DovecotOptions options)
    {
        var config = new StringBuilder();
        config.Append(CultureInfo.InvariantCulture, $"""
            # Written by the SupportPlatform tests (DovecotServer): a throwaway server on loopback.
            base_dir = {folder}/run
            state_dir = {folder}/state
            log_path = {folder}/dovecot.log
            protocols = imap lmtp
            listen = 127.0.0.1
            {tlsSettings}disable_plaintext_auth = no
            auth_mechanisms = plain login
            mail_location = maildir:~/Maildir
            first_valid_uid = 1
            namespace inbox {"{"}
              inbox = yes
              separator = /
            {"}"}
            passdb {"{"}
              driver = passwd-file
              mechanisms = plain login
              args = scheme=PLAIN username_format=%u {usersFile}
            {"}"}
            userdb {"{"}
              driver = passwd-file
              args = username_format=%u {usersFile}
            {"}"}
            service imap-login {"{"}
              inet_listener imap {"{"}
                address = 127.0.0.1
                port = {imapPort}
              {"}"}
              inet_listener imaps {"{"}
                address = 127.0.0.1
                port = {imapsPort}
              {"}"}
            {"}"}
            service lmtp {"{"}
              inet_listener lmtp {"{"}
                address = 127.0.0.1
                port = {lmtpPort}
              {"}"}
            {"}"}

            """);
        if (options.WithoutIdle)
        {
            // What a server without IDLE advertises after login (Dovecot's own list, IDLE left out).
            config.AppendLine("imap_capability = IMAP4rev1 SASL-IR LOGIN-REFERRALS ID ENABLE SORT THREAD=REFERENCES MULTIAPPEND UNSELECT CHILDREN NAMESPACE UIDPLUS LIST-EXTENDED I18NLEVEL=1 CONDSTORE QRESYNC ESEARCH ESORT SEARCHRES WITHIN CONTEXT=SEARCH LIST-STATUS BINARY MOVE LITERAL+");
        }

        if (!root)
        {
            // Not root: every process runs as the current user, and nothing can chroot.
            var user = IdText("-un");
            config.Append(CultureInfo.InvariantCulture, $$"""
                default_internal_user = {{user}}
                default_internal_group = {{IdText("-gn")}}
                default_login_user = {{user}}
                service imap-login {
                  chroot =
                }
                service anvil {
                  chroot =
                }

                """);
        }

        if (options.OAuth2IntrospectionUrl is not null)
        {
            // XOAUTH2: Dovecot posts the bearer token to the introspection URL and expects {"active": true, "username": ...}.
            var oauthFile = Path.Combine(folder, "dovecot-oauth2.conf.ext");
            File.WriteAllText(oauthFile, $"introspection_mode = post\nintrospection_url = {options.OAuth2IntrospectionUrl}\nusername_attribute = username\nactive_attribute = active\nactive_value = true\n");
            config.Append(CultureInfo.InvariantCulture, $$"""
                auth_mechanisms = plain login xoauth2
                passdb {
                  driver = oauth2
                  mechanisms = xoauth2
                  args = {{oauthFile}}
                }

                """);
        }

        foreach (var line in options.ExtraSettings)
        {
            config.AppendLine(line);
        }

        return config.ToString();
    }

    private static X509Certificate2 CreateCertificate()
    {
        using var key = RSA.Create(2048);
        var request = new CertificateRequest("CN=localhost", key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        var names = new SubjectAlternativeNameBuilder();
        names.AddDnsName("localhost");
        names.AddIpAddress(IPAddress.Loopback);
        request.CertificateExtensions.Add(names.Build());
        return request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(30));
    }

    private static string CreateFolder(string parent)
    {
        var path = Path.Combine(parent, "sp-dovecot-" + Guid.NewGuid().ToString("N")[..12]);
        Directory.CreateDirectory(path);
        return path;
    }

    /// <summary>Stops servers left behind by test processes that were killed (their owner pid is gone).</summary>
    private static void CleanUpOrphans(string parent)
    {
        foreach (var folder in Directory.GetDirectories(parent, "sp-dovecot-*"))
        {
            try
            {
                var ownerFile = Path.Combine(folder, "owner.pid");
                if (!File.Exists(ownerFile) || !int.TryParse(File.ReadAllText(ownerFile), out var owner) || LocalSystem.IsAlive(owner))
                {
                    continue;
                }

                var pidFile = Path.Combine(folder, "run", "master.pid");
                if (File.Exists(pidFile) && int.TryParse(File.ReadAllText(pidFile).Trim(), out var master) && master > 0)
                {
                    _ = Kill(master, SigTerm);
                }

                Directory.Delete(folder, recursive: true);
            }
            catch (IOException)
            {
            }
            catch (UnauthorizedAccessException)
            {
            }
        }
    }

    private static int GetId(string flag) => int.Parse(IdText(flag), CultureInfo.InvariantCulture);

    private static string IdText(string flag)
    {
        using var process = Process.Start(new ProcessStartInfo("id", flag) { RedirectStandardOutput = true, UseShellExecute = false })!;
        var text = process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        return text.Trim();
    }

    private static void Chown(string path, (int Uid, int Gid) owner)
    {
        if (ChownNative(path, owner.Uid, owner.Gid) != 0)
        {
            throw new InvalidOperationException($"chown {owner.Uid}:{owner.Gid} {path} failed.");
        }
    }

    private const int SigTerm = 15;

    [System.Runtime.InteropServices.DllImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static extern int Kill(int pid, int signal);

    [System.Runtime.InteropServices.DllImport("libc", EntryPoint = "chown", SetLastError = true)]
    private static extern int ChownNative([System.Runtime.InteropServices.MarshalAs(System.Runtime.InteropServices.UnmanagedType.LPUTF8Str)] string path, int owner, int group);
}

/// <summary>How to start a <see cref="DovecotServer"/>.</summary>
public sealed class DovecotOptions
{
    /// <summary>Users created at start, each with <see cref="DovecotServer.DefaultPassword"/>.</summary>
    public IReadOnlyList<string> Users { get; init; } = ["support@test.local"];

    /// <summary>Adds an IMAPS listener (and STARTTLS) with a self-signed certificate.</summary>
    public bool Tls { get; init; }

    /// <summary>Leaves IDLE out of the capabilities, to play a server that lacks it.</summary>
    public bool WithoutIdle { get; init; }

    /// <summary>Accepts XOAUTH2 logins whose token this OAuth2 introspection endpoint (RFC 7662, POST) calls active.</summary>
    public Uri? OAuth2IntrospectionUrl { get; init; }

    /// <summary>Further dovecot.conf lines, appended as they are.</summary>
    public IReadOnlyList<string> ExtraSettings { get; init; } = [];
}
