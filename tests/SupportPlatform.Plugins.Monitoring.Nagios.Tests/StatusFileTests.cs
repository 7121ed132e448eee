namespace SupportPlatform.Plugins.Monitoring.Nagios.Tests;

/// <summary>The status.dat reader on a fixture file: comments, blocks it does not know, escaped line breaks, '=' in values, soft and pending states, and files it must refuse.</summary>
public sealed class StatusFileTests
{
    private static IReadOnlyList<NagiosStatusEntry> Read(string text) => NagiosStatusFile.Parse(new StringReader(text));

    [Fact]
    public void Fixture_HostsAndServicesRead_OtherBlocksAndCommentsSkipped_ValuesUnescaped()
    {
        using var reader = File.OpenText(Path.Combine(AppContext.BaseDirectory, "Fixtures", "status-edge-cases.dat"));
        var entries = NagiosStatusFile.Parse(reader);

        Assert.Equal(new[] { "db01.example/", "db01.example/PostgreSQL replication", "db01.example/Disk /var", "web01.example/HTTP" }, entries.Select(e => $"{e.Host}/{e.Service}"));
        var host = entries[0];
        Assert.Equal((1, true, true, "41", "12"), (host.State, host.Checked, host.Hard, host.ProblemId, host.LastProblemId));
        Assert.Equal(DateTimeOffset.FromUnixTimeSeconds(1796626800), host.LastStateChange);
        Assert.Null(host.LongOutput);

        var replication = entries[1];
        Assert.Equal("POSTGRES_REPLICATION CRITICAL: lag=900s a=b", replication.Output);
        Assert.Equal("slave_io_running=No\nslave_sql_running=Yes\npath C:\\data", replication.LongOutput);
        Assert.Equal(("42", 2), (replication.ProblemId, replication.State));

        Assert.False(entries[2].Hard);
        Assert.Equal(0, entries[2].LastHardState);
        Assert.False(entries[3].Checked);
        // Never changed state: the program start stands in, so every reading of one Nagios run gives the same time.
        Assert.Equal(DateTimeOffset.FromUnixTimeSeconds(1796620000), entries[3].LastStateChange);
    }

    [Fact]
    public void CutOffOrMalformed_RefusedNamingTheLine()
    {
        var cut = Assert.Throws<FormatException>(() => Read("hoststatus {\n\thost_name=a\n\tcurrent_state=1\n"));
        Assert.Contains("ends inside a 'hoststatus' block", cut.Message, StringComparison.Ordinal);

        var stray = Assert.Throws<FormatException>(() => Read("info {\n}\ncurrent_state=1\n"));
        Assert.Contains("line 3", stray.Message, StringComparison.Ordinal);

        var noValue = Assert.Throws<FormatException>(() => Read("servicestatus {\n\thost_name=a\n\tjust words\n\t}\n"));
        Assert.Contains("line 3: expected key=value inside 'servicestatus'", noValue.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void EntriesWithoutHostOrServiceName_Skipped_EmptyFileIsEmpty()
    {
        Assert.Empty(Read(""));
        Assert.Null(Assert.Single(Read("servicestatus {\n\thost_name=a\n\tservice_description=b\n\tlast_state_change=0\n\t}\n")).LastStateChange);
        Assert.Empty(Read("servicestatus {\n\thost_name=a\n\tcurrent_state=2\n\t}\nhoststatus {\n\tcurrent_state=1\n\t}\n"));
    }
}
