using SupportPlatform.Storage.Contracts;
using Xunit;

namespace SupportPlatform.Storage.Tests;

public sealed class DatabaseSettingsTests
{
    [Fact]
    public void ToString_ConnectionStringWithPassword_DoesNotRevealIt()
    {
        var settings = new DatabaseSettings(DatabaseProvider.PostgreSql, "Host=db;Username=sp;Password=s3cret-pw");

        var text = settings.ToString();

        Assert.DoesNotContain("s3cret-pw", text, StringComparison.Ordinal);
        Assert.Contains("PostgreSql", text, StringComparison.Ordinal);
    }

    [Fact]
    public void Normalize_PostgreSqlWithoutTimezone_ForcesUtcSessionTimezone()
    {
        var normalized = SupportPlatform.Storage.Data.ConnectionStrings.Normalize(
            new DatabaseSettings(DatabaseProvider.PostgreSql, "Host=db;Username=sp;Database=sp"));

        Assert.Equal("UTC", new Npgsql.NpgsqlConnectionStringBuilder(normalized).Timezone);
    }
}
