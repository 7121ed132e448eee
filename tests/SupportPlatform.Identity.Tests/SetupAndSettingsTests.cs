using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.AspNetCore.Authentication;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using SupportPlatform.Core;
using SupportPlatform.Identity.Persistence;
using SupportPlatform.Identity.Security;
using SupportPlatform.Testing;
using SupportPlatform.Testing.Host;

namespace SupportPlatform.Identity.Tests;

/// <summary>First admin on a fresh install (configuration or setup token), settings validation, OpenID Connect registration.</summary>
public sealed class SetupAndSettingsTests
{
    private static readonly Dictionary<string, string?> NoBootstrap = new()
    {
        ["SupportPlatform:Identity:BootstrapAdmin:Email"] = "",
        ["SupportPlatform:Identity:BootstrapAdmin:Password"] = "",
    };

    [Fact]
    public async Task Setup_FreshInstallWithoutBootstrap_SetupTokenCreatesFirstAdminOnce()
    {
        await using var host = new PlatformFactory(extra: NoBootstrap);
        using var anonymous = host.Users.Anonymous();
        var token = await host.Services.GetRequiredService<SecretStore>().GetAsync(SecretStore.SetupToken, default);
        Assert.NotNull(token);

        var wrong = await (await anonymous.PostAsJsonAsync("/api/setup", new { token = "sps_wrong", email = "boss@msp.example", password = "first admin password" })).Problem(403);
        var created = await (await anonymous.PostAsJsonAsync("/api/setup", new { token, email = "boss@msp.example", password = "first admin password", name = "The Boss" })).Ok(201);
        var again = await (await anonymous.PostAsJsonAsync("/api/setup", new { token, email = "other@msp.example", password = "first admin password" })).Problem(409);
        using var boss = await host.Users.SignInAsync("boss@msp.example", "first admin password");

        Assert.Equal("invalid-setup-token", wrong.Str("code"));
        Assert.Equal(("admin", "admin"), (created.Str("id"), created.Str("role")));
        Assert.Equal("setup-done", again.Str("code"));
        await (await boss.GetAsync("/api/staff")).Ok(200);
        Assert.Null(await host.Services.GetRequiredService<SecretStore>().GetAsync(SecretStore.SetupToken, default));
    }

    [Fact]
    public async Task Bootstrap_Configured_FirstAdminCanSignInAndIsNotRecreated()
    {
        using var data = new TempDirectory();
        await using (var first = new PlatformFactory(data.Path))
        {
            await first.Users.SignInAsync(PlatformUsers.AdminEmail, PlatformUsers.AdminPassword);
            using var admin = first.CreateClient(await first.Users.AdminTokenAsync());
            await (await admin.PostAsJsonAsync("/api/staff/admin/password", new { password = "changed admin password" })).Ok(204);
        }

        // The configured password applies only to a fresh install: a restart does not reset the changed one.
        await using var second = new PlatformFactory(data.Path);
        var refused = await second.Users.Anonymous().PostAsJsonAsync("/api/auth/signin", new { email = PlatformUsers.AdminEmail, password = PlatformUsers.AdminPassword });
        Assert.Equal(HttpStatusCode.Unauthorized, refused.StatusCode);
        await second.Users.SignInAsync(PlatformUsers.AdminEmail, "changed admin password");
    }

    [Theory]
    [InlineData("BootstrapAdmin:Email", "not-an-email", "SupportPlatform:Identity:BootstrapAdmin:Email is 'not-an-email', which is not valid")]
    [InlineData("BootstrapAdmin:Password", "short", "SupportPlatform:Identity:BootstrapAdmin:Password is not valid: a password needs at least 12 characters")]
    [InlineData("Oidc:Authority", "https://login.example.com", "SupportPlatform:Identity:Oidc:ClientId is missing")]
    [InlineData("Oidc:ClientId", "support", "SupportPlatform:Identity:Oidc:Authority is missing")]
    [InlineData("Lockout:MaxFailures", "0", "SupportPlatform:Identity:Lockout:MaxFailures is '0', which is not valid")]
    [InlineData("TokenKey", "too-short", "SupportPlatform:Identity:TokenKey is 9 characters long")]
    [InlineData("PublicUrl", "support.example.com", "SupportPlatform:Identity:PublicUrl is 'support.example.com', which is not valid")]
    public void Settings_BadValue_ProblemNamesTheKey(string key, string value, string expected)
    {
        var settings = new Dictionary<string, string?> { ["SupportPlatform:Identity:" + key] = value };
        if (key.StartsWith("BootstrapAdmin", StringComparison.Ordinal))
        {
            settings.TryAdd("SupportPlatform:Identity:BootstrapAdmin:Email", "admin@msp.example");
            settings.TryAdd("SupportPlatform:Identity:BootstrapAdmin:Password", "a good long password");
            settings["SupportPlatform:Identity:" + key] = value;
        }

        var ex = Assert.Throws<PlatformSettingsException>(() => IdentitySettings.Load(new ConfigurationBuilder().AddInMemoryCollection(settings).Build()));

        Assert.Contains(ex.Problems, p => p.Contains(expected, StringComparison.Ordinal));
    }

    [Fact]
    public async Task Start_BadBootstrapEmail_Exit78NamingTheKey()
    {
        using var data = new TempDirectory();
        var environment = HostProcess.Environment(data.Path);
        environment["SupportPlatform__Identity__BootstrapAdmin__Email"] = "admin-at-example";

        await using var host = HostProcess.Start(environment);
        var exitCode = await host.WaitForExitAsync(TimeSpan.FromSeconds(60));

        Assert.Equal(78, exitCode);
        Assert.Contains("SupportPlatform:Identity:BootstrapAdmin:Email is 'admin-at-example', which is not valid", host.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Oidc_NotConfigured_NoSchemeNoEndpoint()
    {
        await using var host = new PlatformFactory();

        Assert.Null(await host.Services.GetRequiredService<IAuthenticationSchemeProvider>().GetSchemeAsync(IdentitySchemes.Oidc));
        Assert.Equal(HttpStatusCode.Unauthorized, (await host.Users.Anonymous().GetAsync("/auth/oidc")).StatusCode);
        var methods = await (await host.Users.Anonymous().GetAsync("/api/auth/methods")).Ok();
        Assert.Equal(JsonValueKind.Null, methods.GetProperty("singleSignOn").ValueKind);
    }

    [Fact]
    public async Task Oidc_Configured_SchemeRegisteredWithSettings()
    {
        await using var host = new PlatformFactory(extra: new Dictionary<string, string?>
        {
            ["SupportPlatform:Identity:Oidc:Authority"] = "https://login.example.com/realms/msp",
            ["SupportPlatform:Identity:Oidc:ClientId"] = "supportplatform",
            ["SupportPlatform:Identity:Oidc:ClientSecret"] = "s3cret",
            ["SupportPlatform:Identity:Oidc:DisplayName"] = "MSP login",
        });

        var scheme = await host.Services.GetRequiredService<IAuthenticationSchemeProvider>().GetSchemeAsync(IdentitySchemes.Oidc);
        var options = host.Services.GetRequiredService<Microsoft.Extensions.Options.IOptionsMonitor<Microsoft.AspNetCore.Authentication.OpenIdConnect.OpenIdConnectOptions>>().Get(IdentitySchemes.Oidc);

        Assert.NotNull(scheme);
        Assert.Equal("MSP login", scheme.DisplayName);
        Assert.Equal(("https://login.example.com/realms/msp", "supportplatform", "code", true), (options.Authority, options.ClientId, options.ResponseType, options.UsePkce));
        Assert.Equal(IdentitySchemes.Cookie, options.SignInScheme);
        Assert.Contains("email", options.Scope);
    }

    [Fact]
    public async Task Oidc_ProviderUnreachable_SignInPageSaysSo_No500()
    {
        // Nothing listens on this port: the discovery document cannot be read.
        await using var host = new PlatformFactory(extra: new Dictionary<string, string?>
        {
            ["SupportPlatform:Identity:Oidc:Authority"] = $"http://127.0.0.1:{PlatformFactory.FreePort()}/realms/msp",
            ["SupportPlatform:Identity:Oidc:ClientId"] = "supportplatform",
            ["SupportPlatform:Identity:Oidc:RequireHttpsMetadata"] = "false",
        });
        using var browser = host.CreateClient(new Microsoft.AspNetCore.Mvc.Testing.WebApplicationFactoryClientOptions { AllowAutoRedirect = false });

        var response = await browser.GetAsync("/auth/oidc?returnUrl=/console");

        Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
        Assert.Equal("/signin?error=sso-unavailable", response.Headers.Location?.OriginalString);
    }
}
