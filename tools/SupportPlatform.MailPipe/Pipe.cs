using System.Net.Http.Headers;

namespace SupportPlatform.MailPipe;

/// <summary>
/// Hands one message from standard input to <c>POST {url}/api/mail/inbound/{source}</c> with an API token. The exit
/// code tells the MTA what to do with the message: 0 (delivered: the platform stored it), 75 (EX_TEMPFAIL: keep it
/// and retry later) for any failure, 64 (EX_USAGE) for a wrong command line.
/// </summary>
internal static class Pipe
{
    public const int Ok = 0;
    public const int Usage = 64;
    public const int TempFail = 75;

    private const string UsageText = """
        usage: supportplatform-mailpipe --url https://support.example.com [--source pipe] [--sender ADDRESS] [--timeout SECONDS]
        The API token comes from SP_MAILPIPE_TOKEN or the file named by --token-file (an agent token is enough).
        Example /etc/aliases line:  support: "|/usr/local/bin/supportplatform-mailpipe --url http://127.0.0.1:5080 --token-file /etc/supportplatform/mailpipe.token"
        """;

    public static async Task<int> RunAsync(string[] args, Stream input, TextWriter error, Func<string, string?> environment)
    {
        string? url = null, tokenFile = null, sender = null;
        var source = "pipe";
        var timeout = TimeSpan.FromSeconds(120);
        for (var i = 0; i < args.Length; i++)
        {
            var value = i + 1 < args.Length ? args[i + 1] : null;
            switch (args[i])
            {
                case "--url" when value is not null: url = value; i++; break;
                case "--source" when value is not null: source = value; i++; break;
                case "--token-file" when value is not null: tokenFile = value; i++; break;
                case "--sender" or "-f" when value is not null: sender = value; i++; break;
                case "--timeout" when int.TryParse(value, out var seconds) && seconds > 0: timeout = TimeSpan.FromSeconds(seconds); i++; break;
                default:
                    await error.WriteLineAsync($"mailpipe: unknown or incomplete argument '{args[i]}'.\n{UsageText}");
                    return Usage;
            }
        }

        if (url is null || !Uri.TryCreate(url, UriKind.Absolute, out var baseUri))
        {
            await error.WriteLineAsync($"mailpipe: --url is required (the platform's address).\n{UsageText}");
            return Usage;
        }

        string? token;
        try
        {
            token = tokenFile is not null ? (await File.ReadAllTextAsync(tokenFile)).Trim() : environment("SP_MAILPIPE_TOKEN")?.Trim();
        }
        catch (IOException ex)
        {
            await error.WriteLineAsync($"mailpipe: cannot read the token file: {ex.Message}");
            return TempFail;
        }

        if (string.IsNullOrEmpty(token))
        {
            await error.WriteLineAsync($"mailpipe: no API token (set SP_MAILPIPE_TOKEN or --token-file).\n{UsageText}");
            return TempFail;
        }

        byte[] message;
        using (var buffer = new MemoryStream())
        {
            await input.CopyToAsync(buffer);
            message = buffer.ToArray();
        }

        if (message.Length == 0)
        {
            await error.WriteLineAsync("mailpipe: no message on standard input.");
            return TempFail;
        }

        try
        {
            using var http = new HttpClient { BaseAddress = baseUri, Timeout = timeout };
            using var request = new HttpRequestMessage(HttpMethod.Post, $"api/mail/inbound/{Uri.EscapeDataString(source)}")
            {
                Content = new ByteArrayContent(message),
            };
            request.Content.Headers.ContentType = new MediaTypeHeaderValue("message/rfc822");
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
            if (sender is not null)
            {
                request.Headers.TryAddWithoutValidation("X-Envelope-From", sender);
            }

            using var response = await http.SendAsync(request);
            var body = await response.Content.ReadAsStringAsync();
            if (response.IsSuccessStatusCode)
            {
                return Ok;
            }

            await error.WriteLineAsync($"mailpipe: the platform answered {(int)response.StatusCode}: {body}");
            return TempFail;
        }
        catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException or IOException)
        {
            await error.WriteLineAsync($"mailpipe: {url} not reachable: {ex.Message}");
            return TempFail;
        }
    }
}
