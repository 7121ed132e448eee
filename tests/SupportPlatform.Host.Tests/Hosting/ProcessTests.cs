using System.Net.Http.Json;
using SupportPlatform.Operations.Contracts;
using SupportPlatform.Testing;

namespace SupportPlatform.Host.Tests.Hosting;

/// <summary>The host as separate operating-system processes, as an administrator runs it.</summary>
public sealed class ProcessTests
{
    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(120); // generous: a loaded 2-core CI machine starts a cold host process slowly

    [Fact]
    public async Task TwoProcesses_SharingPostgreSql_FormOneClusterWithSingleActivations()
    {
        var postgres = await PostgresServer.Shared.CreateDatabaseAsync("cluster");
        using var dataA = new TempDirectory();
        using var dataB = new TempDirectory();

        // Both start at the same moment on a fresh database: the migration must cope with the race.
        await using var a = HostProcess.Start(HostProcess.Environment(dataA.Path, postgres));
        await using var b = HostProcess.Start(HostProcess.Environment(dataB.Path, postgres));
        await Task.WhenAll(a.WaitReadyAsync(StartTimeout), b.WaitReadyAsync(StartTimeout));

        using var clientA = await a.CreateStaffClientAsync("agent");
        using var clientB = b.Users.WithToken(await a.Users.StaffTokenAsync("agent"));
        await WaitForMembers(clientA, 2);
        await WaitForMembers(clientB, 2);

        var probes = new List<ActivationDescription>();
        for (var i = 0; i < 3; i++)
        {
            probes.Add((await clientA.GetFromJsonAsync<ActivationDescription>("/api/system/activations/shared"))!);
            probes.Add((await clientB.GetFromJsonAsync<ActivationDescription>("/api/system/activations/shared"))!);
        }

        Assert.Single(probes.Select(p => p.ActivationId).Distinct());
        Assert.Single(probes.Select(p => p.Silo).Distinct());
        Assert.Equal(6, probes.Max(p => p.Calls));
    }

    [Fact]
    public async Task Start_BadSetting_ExitsWithMessageNamingTheKey()
    {
        using var data = new TempDirectory();
        var environment = HostProcess.Environment(data.Path);
        environment["SupportPlatform__Cluster__SiloPort"] = "eleven";

        await using var host = HostProcess.Start(environment);
        var exitCode = await host.WaitForExitAsync(StartTimeout);

        Assert.Equal(78, exitCode);
        Assert.Contains("SupportPlatform:Cluster:SiloPort is 'eleven', which is not valid; expected a TCP port number from 1 to 65535", host.Output, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", host.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task BehindTrustedProxy_ClientAddressComesFromForwardedFor()
    {
        using var data = new TempDirectory();
        var environment = HostProcess.Environment(data.Path);
        environment["SupportPlatform__ReverseProxy__TrustedProxies"] = "127.0.0.1, ::1";
        await using var host = HostProcess.Start(environment);
        await host.WaitReadyAsync(StartTimeout);
        using var admin = await host.CreateStaffClientAsync("admin");

        using var viaProxy = new HttpRequestMessage(HttpMethod.Post, new Uri(host.BaseAddress, "/api/auth/signin"))
        {
            Content = JsonContent.Create(new { email = "nobody@proxy.example", password = "wrong password 1" }),
        };
        viaProxy.Headers.Add("X-Forwarded-For", "203.0.113.9");
        using var anonymous = new HttpClient();
        using var refused = await anonymous.SendAsync(viaProxy);
        var audit = await admin.GetFromJsonAsync<System.Text.Json.JsonElement>("/api/admin/audit?action=signin.failed");

        Assert.Equal(System.Net.HttpStatusCode.Unauthorized, refused.StatusCode);
        var entry = Assert.Single(audit.GetProperty("items").EnumerateArray());
        Assert.Equal("203.0.113.9", entry.GetProperty("ip").GetString());
    }

    private static async Task WaitForMembers(HttpClient client, int count)
    {
        var deadline = DateTime.UtcNow.AddSeconds(60);
        SystemInfo? info = null;
        while (DateTime.UtcNow < deadline)
        {
            info = await client.GetFromJsonAsync<SystemInfo>("/api/system/info");
            if (info!.ClusterMembers.Count == count)
            {
                return;
            }

            await Task.Delay(250);
        }

        Assert.Fail($"cluster has {info?.ClusterMembers.Count} members, expected {count}");
    }
}
