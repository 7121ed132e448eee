namespace SupportPlatform.Web.Tests;

/// <summary>
/// Creates the users the tests sign in as, once identity is installed. The identity contract fixes sign-in, /api/me and
/// the roles and claims, but not how users are created: THIS IS THE ONE PLACE TO FILL IN WHEN THE IDENTITY BRANCH IS
/// MERGED (create staff users with their role and client users with their account, each with <see cref="TestUser.Email"/>
/// and <see cref="TestUser.Password"/>, idempotently). Until then the open API needs no users and this is never called.
/// </summary>
internal static class TestUsers
{
    public static Task EnsureAsync(Uri baseAddress, TestUser user) =>
        throw new InvalidOperationException(
            $"The server has sign-in (GET /api/me answers 401), but TestUsers.EnsureAsync does not know yet how to create user '{user.Id}' "
            + "with the identity module's API. Fill it in (tests/SupportPlatform.Web.Tests/TestUsers.cs).");
}
