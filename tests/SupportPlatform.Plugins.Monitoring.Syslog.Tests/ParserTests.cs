using System.Text;
using SupportPlatform.Plugins.Monitoring.Syslog;

namespace SupportPlatform.Plugins.Monitoring.Syslog.Tests;

public sealed class ParserTests
{
    private static readonly DateTimeOffset Received = new(2026, 1, 2, 3, 4, 5, TimeSpan.Zero);

    private static SyslogMessage Parse(string text) => SyslogMessage.Parse(Encoding.UTF8.GetBytes(text), "192.0.2.1", Received);

    [Fact]
    public void Rfc5424_WithStructuredDataAndBom()
    {
        var m = Parse("<38>1 2026-01-02T01:02:03.456+02:00 web01 sshd 4242 ID47 [exampleSDID@32473 iut=\"3\" eventSource=\"App \\\"x\\\" ]\"][more a=\"b\"] \uFEFFFailed password for root from 203.0.113.9 port 22 ssh2\n");
        Assert.Equal(4, m.Facility);
        Assert.Equal(6, m.Severity);
        Assert.Equal(new DateTimeOffset(2026, 1, 1, 23, 2, 3, 456, TimeSpan.Zero), m.Timestamp.ToUniversalTime());
        Assert.Equal("web01", m.HostName);
        Assert.Equal("sshd", m.AppName);
        Assert.Equal("Failed password for root from 203.0.113.9 port 22 ssh2", m.Text);
    }

    [Fact]
    public void Rfc5424_NilFields_FallBackToSenderAndReceiveTime()
    {
        var m = Parse("<13>1 - - - - - - hello there");
        Assert.Equal("192.0.2.1", m.HostName);
        Assert.Equal("", m.AppName);
        Assert.Equal(Received, m.Timestamp);
        Assert.Equal("hello there", m.Text);
    }

    [Fact]
    public void Rfc3164_WithHostAndTag()
    {
        var m = Parse("<86>Dec 31 23:59:58 fw01 sshd[811]: Invalid user admin from 198.51.100.4");
        Assert.Equal(10, m.Facility);
        Assert.Equal(6, m.Severity);
        Assert.Equal("fw01", m.HostName);
        Assert.Equal("sshd", m.AppName);
        Assert.Equal("Invalid user admin from 198.51.100.4", m.Text);
        // No year in the format: the nearest one to the receive time (2 Jan 2026) is the previous year.
        Assert.Equal(new DateTimeOffset(2025, 12, 31, 23, 59, 58, TimeSpan.Zero), m.Timestamp);
    }

    [Fact]
    public void Rfc3164_SingleDigitDay_AndNoHostName()
    {
        var m = Parse("<34>Jan  2 03:00:00 su: 'su root' failed for bob on /dev/pts/8");
        Assert.Equal("192.0.2.1", m.HostName);
        Assert.Equal("su", m.AppName);
        Assert.Equal(new DateTimeOffset(2026, 1, 2, 3, 0, 0, TimeSpan.Zero), m.Timestamp);
        Assert.Equal("'su root' failed for bob on /dev/pts/8", m.Text);
    }

    [Theory]
    [InlineData("no pri at all", "no pri at all")]
    [InlineData("<999>bad pri", "<999>bad pri")]
    [InlineData("<>", "<>")]
    [InlineData("", "")]
    public void Malformed_IsKeptWholeAsText(string line, string text)
    {
        var m = Parse(line);
        Assert.Equal(text, m.Text);
        Assert.Equal("192.0.2.1", m.HostName);
        Assert.Equal(Received, m.Timestamp);
    }

    [Theory]
    [InlineData("<13>1 ")]
    [InlineData("<13>1 2026-13-45T99:99:99Z")]
    [InlineData("<13>1 - host app - - [unterminated sd=\"x")]
    [InlineData("<13>Feb 30 10:00:00 host tag: impossible date")]
    [InlineData("<13>Xyz 99 99:99:99 host")]
    public void Truncated_OrInvalidParts_NeverThrow(string line)
    {
        var m = Parse(line);
        Assert.NotNull(m.Text);
        Assert.False(string.IsNullOrEmpty(m.HostName));
    }
}
