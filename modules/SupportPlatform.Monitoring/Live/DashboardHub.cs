using Microsoft.AspNetCore.SignalR;
using SupportPlatform.Core.Security;

namespace SupportPlatform.Monitoring.Live;

/// <summary>
/// <c>/hubs/monitoring</c>: pushes <c>systemsChanged</c> to the monitoring dashboards. Clients only listen. A client user
/// joins their own account's group and so never receives another account's systems; staff join the staff group, which
/// receives every account's. Everyone joins <see cref="EveryoneGroup"/>, which only ever receives <c>resync</c> (no data:
/// "reload the dashboard").
/// </summary>
internal sealed class DashboardHub : Hub
{
    public const string StaffGroup = "staff";
    public const string EveryoneGroup = "everyone";

    public static string AccountGroup(string accountId) => "account:" + accountId;

    public override async Task OnConnectedAsync()
    {
        var user = Context.User;
        string group;
        if (user?.IsStaff() == true)
        {
            group = StaffGroup;
        }
        else if (user?.ClientAccountId() is { Length: > 0 } account)
        {
            group = AccountGroup(account);
        }
        else
        {
            // The endpoint requires a signed-in user; one that is neither staff nor a client of an account sees nothing.
            throw new HubException("Only staff and client users of an account receive monitoring updates.");
        }

        await Groups.AddToGroupAsync(Context.ConnectionId, group);
        await Groups.AddToGroupAsync(Context.ConnectionId, EveryoneGroup);
    }
}
