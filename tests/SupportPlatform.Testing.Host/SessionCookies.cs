namespace SupportPlatform.Testing.Host;

/// <summary>
/// Keeps the cookies a test host sets and sends them back, ignoring their expiry: the host decides whether a cookie
/// is still valid by its own (possibly fake) clock, and a cookie container would judge it by the real one, so a test
/// whose fake clock is in the past would lose its sign-in. A cookie set with an empty value is removed.
/// </summary>
public sealed class SessionCookies : DelegatingHandler
{
    private readonly Dictionary<string, string> cookies = new(StringComparer.Ordinal);
    private readonly Lock gate = new();

    /// <inheritdoc />
    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        lock (gate)
        {
            if (cookies.Count > 0)
            {
                request.Headers.Remove("Cookie");
                request.Headers.Add("Cookie", string.Join("; ", cookies.Select(c => $"{c.Key}={c.Value}")));
            }
        }

        var response = await base.SendAsync(request, cancellationToken);
        if (response.Headers.TryGetValues("Set-Cookie", out var values))
        {
            lock (gate)
            {
                foreach (var header in values)
                {
                    var pair = header.Split(';', 2)[0];
                    var equals = pair.IndexOf('=', StringComparison.Ordinal);
                    if (equals <= 0)
                    {
                        continue;
                    }

                    var name = pair[..equals].Trim();
                    var value = pair[(equals + 1)..].Trim();
                    if (value.Length == 0)
                    {
                        cookies.Remove(name);
                    }
                    else
                    {
                        cookies[name] = value;
                    }
                }
            }
        }

        return response;
    }
}
