using System.Collections.Concurrent;
using SupportPlatform.Testing.Host;

namespace SupportPlatform.Web.Tests;

/// <summary>
/// Creates the users the tests sign in as, through the identity API the way an administrator would (the test helpers of
/// <see cref="PlatformUsers"/>: the configured first admin creates staff users with their role and client users in
/// their account, each with <see cref="TestUser.Email"/> and <see cref="TestUser.Password"/>). Each user is created once
/// per host; later calls wait for that creation.
/// </summary>
internal static class TestUsers
{
    private static readonly ConcurrentDictionary<Uri, PlatformUsers> Helpers = new();
    private static readonly ConcurrentDictionary<(Uri Host, string UserId), Lazy<Task>> Created = new();

    public static Task EnsureAsync(Uri baseAddress, TestUser user)
    {
        var created = Created.GetOrAdd((baseAddress, user.UserId), key => new Lazy<Task>(() => CreateAsync(key.Host, user)));
        return created.Value;
    }

    private static Task CreateAsync(Uri baseAddress, TestUser user)
    {
        var users = Helpers.GetOrAdd(baseAddress, address => new PlatformUsers(() =>
            new HttpClient(new HttpClientHandler { CookieContainer = new System.Net.CookieContainer(), UseCookies = true }) { BaseAddress = address }));
        return user.Kind == "client"
            ? users.ClientUserTokenAsync(user.AccountId ?? throw new InvalidOperationException($"Client user '{user.Id}' has no account."), user.UserId, user.Name)
            : users.StaffTokenAsync(user.Role, user.UserId, user.Name);
    }
}
