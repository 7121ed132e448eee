using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Cryptography.X509Certificates;
using SupportPlatform.Sdk.Monitoring;

namespace SupportPlatform.Plugins.Monitoring.Probes;

/// <summary>The outcome of one probe run.</summary>
internal sealed record ProbeResult(AlertState State, string Summary, string? Details = null)
{
    public Dictionary<string, double> Metrics { get; init; } = [];
}

/// <summary>Runs one probe of each kind. Every failure becomes a result with the reason, never an exception.</summary>
internal sealed class Prober(HttpClient http, TimeProvider time)
{
    public async Task<ProbeResult> RunAsync(ProbeDefinition probe, CancellationToken cancellationToken)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(probe.Timeout);
        try
        {
            return probe.Kind switch
            {
                ProbeKind.Http => await HttpAsync(probe, timeout.Token).ConfigureAwait(false),
                ProbeKind.Tcp => await TcpAsync(probe, timeout.Token).ConfigureAwait(false),
                ProbeKind.Tls => await TlsAsync(probe, timeout.Token).ConfigureAwait(false),
                _ => await DnsAsync(probe, timeout.Token).ConfigureAwait(false),
            };
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return new ProbeResult(AlertState.Critical, $"{probe.Check}: no answer within {probe.Timeout.TotalSeconds:0} s");
        }
        catch (Exception exception) when (exception is HttpRequestException or SocketException or IOException or System.Security.Authentication.AuthenticationException)
        {
            return new ProbeResult(AlertState.Critical, $"{probe.Check}: {Reason(exception)}");
        }
    }

    private static string Reason(Exception exception) =>
        exception is HttpRequestException { InnerException: { } inner } ? Reason(inner) : exception.Message;

    private async Task<ProbeResult> HttpAsync(ProbeDefinition probe, CancellationToken cancellationToken)
    {
        var watch = Stopwatch.StartNew();
        using var response = await http.GetAsync(probe.Target, HttpCompletionOption.ResponseContentRead, cancellationToken).ConfigureAwait(false);
        var body = await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false);
        var elapsed = watch.Elapsed;
        var status = (int)response.StatusCode;
        var metrics = new Dictionary<string, double> { ["latency_ms"] = Math.Round(elapsed.TotalMilliseconds, 1), ["status"] = status };
        if (status < probe.ExpectStatus.From || status > probe.ExpectStatus.To)
        {
            var expected = probe.ExpectStatus.From == probe.ExpectStatus.To ? $"{probe.ExpectStatus.From}" : $"{probe.ExpectStatus.From}-{probe.ExpectStatus.To}";
            return new ProbeResult(AlertState.Critical, $"{probe.Check}: HTTP {status} (expected {expected})", Excerpt(body)) { Metrics = metrics };
        }

        if (probe.ExpectText is { } text && !body.Contains(text, StringComparison.Ordinal))
        {
            return new ProbeResult(AlertState.Critical, $"{probe.Check}: the page does not contain '{text}'", Excerpt(body)) { Metrics = metrics };
        }

        if (probe.WarnLatency is { } slow && elapsed > slow)
        {
            return new ProbeResult(AlertState.Warning, $"{probe.Check}: slow, {elapsed.TotalMilliseconds:0} ms (warning above {slow.TotalMilliseconds:0} ms)") { Metrics = metrics };
        }

        return new ProbeResult(AlertState.Ok, $"{probe.Check}: HTTP {status} in {elapsed.TotalMilliseconds:0} ms") { Metrics = metrics };
    }

    private static async Task<ProbeResult> TcpAsync(ProbeDefinition probe, CancellationToken cancellationToken)
    {
        ProbeDefinition.TryHostPort(probe.Target, out var host, out var port);
        var watch = Stopwatch.StartNew();
        using var client = new TcpClient();
        await client.ConnectAsync(host, port, cancellationToken).ConfigureAwait(false);
        return new ProbeResult(AlertState.Ok, $"{probe.Check}: port {port} open, connected in {watch.Elapsed.TotalMilliseconds:0} ms")
        {
            Metrics = { ["connect_ms"] = Math.Round(watch.Elapsed.TotalMilliseconds, 1) },
        };
    }

    private async Task<ProbeResult> TlsAsync(ProbeDefinition probe, CancellationToken cancellationToken)
    {
        ProbeDefinition.TryHostPort(probe.Target, out var host, out var port);
        using var client = new TcpClient();
        await client.ConnectAsync(host, port, cancellationToken).ConfigureAwait(false);
        var errors = SslPolicyErrors.None;
        X509Certificate2? certificate = null;
        await using var tls = new SslStream(client.GetStream(), leaveInnerStreamOpen: false);
        await tls.AuthenticateAsClientAsync(new SslClientAuthenticationOptions
        {
            TargetHost = host,
            // The probe judges the certificate itself (below) so that it can say what is wrong instead of failing the handshake.
            RemoteCertificateValidationCallback = (_, cert, _, policyErrors) =>
            {
                errors = policyErrors;
                certificate = cert is null ? null : new X509Certificate2(cert);
                return true;
            },
        }, cancellationToken).ConfigureAwait(false);
        using var owned = certificate;
        if (certificate is null)
        {
            return new ProbeResult(AlertState.Critical, $"{probe.Check}: the server sent no certificate");
        }

        var now = time.GetUtcNow();
        var daysLeft = (certificate.NotAfter.ToUniversalTime() - now.UtcDateTime).TotalDays;
        var expires = certificate.NotAfter.ToUniversalTime().ToString("yyyy-MM-dd HH:mm 'UTC'", CultureInfo.InvariantCulture);
        var details = $"Subject: {certificate.Subject}\nIssuer: {certificate.Issuer}\nValid until: {expires}\nPolicy errors: {errors}";
        var metrics = new Dictionary<string, double> { ["days_left"] = Math.Round(daysLeft, 2) };
        if (daysLeft <= 0)
        {
            return new ProbeResult(AlertState.Critical, $"{probe.Check}: the certificate expired on {expires}", details) { Metrics = metrics };
        }

        if ((errors & SslPolicyErrors.RemoteCertificateNameMismatch) != 0)
        {
            return new ProbeResult(AlertState.Critical, $"{probe.Check}: the certificate is not valid for {host}", details) { Metrics = metrics };
        }

        if ((errors & SslPolicyErrors.RemoteCertificateChainErrors) != 0 && !probe.AllowUntrusted)
        {
            return new ProbeResult(AlertState.Critical, $"{probe.Check}: the certificate is not trusted (its chain does not reach a trusted root)", details) { Metrics = metrics };
        }

        var days = (int)Math.Floor(daysLeft);
        return daysLeft <= probe.CriticalDays
            ? new ProbeResult(AlertState.Critical, $"{probe.Check}: the certificate expires in {days} day(s), on {expires}", details) { Metrics = metrics }
            : daysLeft <= probe.WarnDays
                ? new ProbeResult(AlertState.Warning, $"{probe.Check}: the certificate expires in {days} day(s), on {expires}", details) { Metrics = metrics }
                : new ProbeResult(AlertState.Ok, $"{probe.Check}: certificate valid for {days} more day(s)", details) { Metrics = metrics };
    }

    private static async Task<ProbeResult> DnsAsync(ProbeDefinition probe, CancellationToken cancellationToken)
    {
        var watch = Stopwatch.StartNew();
        IPAddress[] addresses;
        try
        {
            addresses = await Dns.GetHostAddressesAsync(probe.Target, cancellationToken).ConfigureAwait(false);
        }
        catch (SocketException exception)
        {
            return new ProbeResult(AlertState.Critical, $"{probe.Check}: {probe.Target} does not resolve ({exception.SocketErrorCode})");
        }

        var list = string.Join(", ", addresses.Select(a => a.ToString()));
        var metrics = new Dictionary<string, double> { ["resolve_ms"] = Math.Round(watch.Elapsed.TotalMilliseconds, 1) };
        if (addresses.Length == 0)
        {
            return new ProbeResult(AlertState.Critical, $"{probe.Check}: {probe.Target} resolves to no address") { Metrics = metrics };
        }

        if (probe.ExpectAddress is { } expected && !addresses.Any(a => a.ToString() == expected))
        {
            return new ProbeResult(AlertState.Critical, $"{probe.Check}: {probe.Target} resolves to {list}, not {expected}") { Metrics = metrics };
        }

        return new ProbeResult(AlertState.Ok, $"{probe.Check}: {probe.Target} resolves to {list}") { Metrics = metrics };
    }

    private static string? Excerpt(string body) => body.Length == 0 ? null : body.Length <= 2000 ? body : body[..2000] + "…";
}
