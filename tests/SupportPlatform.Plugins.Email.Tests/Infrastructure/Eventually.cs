namespace SupportPlatform.Plugins.Email.Tests.Infrastructure;

internal static class Eventually
{
    /// <summary>Waits for a condition that background work makes true; fails naming <paramref name="what"/> after <paramref name="seconds"/>.</summary>
    public static async Task TrueAsync(Func<Task<bool>> condition, string what, double seconds = 15, Func<string>? diagnostics = null)
    {
        var deadline = DateTime.UtcNow.AddSeconds(seconds);
        while (!await condition())
        {
            if (DateTime.UtcNow > deadline)
            {
                Assert.Fail($"Timed out after {seconds} s waiting until {what}.{(diagnostics is null ? string.Empty : "\n" + diagnostics())}");
            }

            await Task.Delay(50);
        }
    }

    public static Task TrueAsync(Func<bool> condition, string what, double seconds = 15, Func<string>? diagnostics = null) =>
        TrueAsync(() => Task.FromResult(condition()), what, seconds, diagnostics);
}
