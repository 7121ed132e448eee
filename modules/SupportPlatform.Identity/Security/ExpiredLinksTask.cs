using SupportPlatform.Core;
using SupportPlatform.Identity.Persistence;

namespace SupportPlatform.Identity.Security;

/// <summary>Housekeeping: deletes sign-in links that expired more than a day ago.</summary>
internal sealed class ExpiredLinksTask(LinkStore links, TimeProvider clock) : IHousekeepingTask
{
    public string Name => "expired sign-in links";

    public async Task<string> RunAsync(CancellationToken cancellationToken) =>
        $"{await links.PurgeAsync(clock.GetUtcNow() - TimeSpan.FromDays(1), cancellationToken)} expired sign-in links deleted";
}
