using SupportPlatform.Testing;
using System.Diagnostics;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using SupportPlatform.LiveQueue.Contracts;
using SupportPlatform.LiveQueue.Tests.Infrastructure;
using SupportPlatform.Testing.Host;

namespace SupportPlatform.LiveQueue.Tests;

/// <summary>A client that stops reading, against the host on real sockets (Kestrel), where back-pressure is real.</summary>
public sealed class SlowClientTests
{
    // Long enough that a healthy client finishing well inside it is clear even on a loaded 2-core machine (5 s was not).
    private static readonly TimeSpan SendTimeout = TimeSpan.FromSeconds(8);

    [Fact]
    public async Task FrozenClient_OthersGetEveryChangeWithoutWaiting_AndTheFrozenOneIsDisconnected()
    {
        using var platform = new PlatformFactory(extra: new Dictionary<string, string?>
        {
            ["SupportPlatform:LiveQueue:SendTimeout"] = SendTimeout.ToString(),
            ["SupportPlatform:LiveQueue:SendBufferBytes"] = "16384",
        });
        platform.UseKestrel(0);
        platform.StartServer();
        var address = new Uri(platform.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First());
        var token = await platform.Users.StaffTokenAsync("agent");
        await using var healthy = await LiveClient.ConnectAsync(address, token);
        await healthy.SubscribeQueue(null);
        using var frozen = await FrozenHubClient.ConnectAsync(address, token);
        var publisher = platform.Services.GetRequiredService<ILiveQueuePublisher>();

        // About 10 MB: far more than the socket buffers and the server's per-connection buffer hold for the frozen client.
        const int Count = 300;
        var padding = new string('x', 32 * 1024);
        var clock = Stopwatch.StartNew();
        for (var i = 0; i < Count; i++)
        {
            publisher.Publish(LiveChangeKind.Call, null, $"{i}:{padding}");
        }

        for (var i = 0; i < Count; i++)
        {
            var expected = $"{i}:";
            await healthy.NextQueueChange(c => c.GetProperty("detail").GetString()!.StartsWith(expected, StringComparison.Ordinal));
        }

        var healthyDone = clock.Elapsed;
        // Reading would unfreeze it: first give the server time to give up on it (send timeout, then the transport's close).
        var rest = SendTimeout * 3 - clock.Elapsed;
        await Task.Delay(rest > TimeSpan.Zero ? rest : TimeSpan.Zero);
        var closed = await frozen.WaitClosedAsync(SendTimeout * 2);

        Assert.True(healthyDone < SendTimeout * 0.8, $"the healthy client needed {healthyDone.TotalMilliseconds:0} ms: it waited for the frozen one");
        Assert.True(closed, $"the frozen client was not disconnected ({frozen.Drained} bytes had been sent to it)");
    }
}
