using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using SupportPlatform.Plugins.Hosting.Runtime;

namespace SupportPlatform.Plugins.Hosting;

/// <summary>The administration API of the plugins.</summary>
public static class PluginsEndpointRouteBuilderExtensions
{
    /// <summary>
    /// Maps <c>GET /api/admin/plugins</c> (every plugin found, with status and reason) and
    /// <c>GET /api/admin/plugins/{id}</c> (one plugin with its configuration schema; 404 ProblemDetails when unknown).
    /// </summary>
    /// <param name="endpoints">The host's endpoints.</param>
    /// <returns>The route group, to add authorization to it.</returns>
    public static RouteGroupBuilder MapPluginsApi(this IEndpointRouteBuilder endpoints)
    {
        ArgumentNullException.ThrowIfNull(endpoints);
        var group = endpoints.MapGroup("/api/admin/plugins").WithTags("Plugins");

        group.MapGet("/", static (IPluginRegistry registry) => TypedResults.Ok(registry.GetAll().Select(PluginSummary.From).ToList()))
            .WithName("ListPlugins")
            .WithSummary("Lists every plugin found in the plugins folder, with its status and why it is not loaded.");

        group.MapGet("/{id}", static Results<Ok<PluginDetails>, ProblemHttpResult> (string id, IPluginRegistry registry) =>
                registry.Find(id) is { } plugin
                    ? TypedResults.Ok(PluginDetails.From(plugin))
                    : TypedResults.Problem(
                        statusCode: StatusCodes.Status404NotFound,
                        title: "Plugin not found",
                        detail: $"No plugin with id '{id}' was found in the plugins folder. GET /api/admin/plugins lists the plugins this host knows."))
            .ProducesProblem(StatusCodes.Status404NotFound)
            .WithName("GetPlugin")
            .WithSummary("Gets one plugin, with its status and the JSON schema of its configuration.");

        return group;
    }

    /// <summary>
    /// Maps <c>/hooks/{pluginId}/{**path}</c>, every method, to the <c>IWebhookHandler</c> of that plugin. Anonymous
    /// at the host: each plugin authenticates its callers (signature, token or secret header). Unknown or stopped
    /// plugins get 404 ProblemDetails saying why; bodies over <see cref="PluginHostOptions.MaxWebhookBodyBytes"/> get 413.
    /// </summary>
    /// <param name="endpoints">The host's endpoints.</param>
    /// <returns>The endpoint, to add rate limiting or other conventions to it.</returns>
    public static IEndpointConventionBuilder MapPluginWebhooks(this IEndpointRouteBuilder endpoints)
    {
        ArgumentNullException.ThrowIfNull(endpoints);
        return endpoints.Map(HookAddresses.RoutePrefix + "/{pluginId}/{**path}", static async (HttpContext http, string pluginId, string? path) =>
            {
                await WebhookEndpoint.HandleAsync(http, pluginId, path);
                // Only known plugins get their own series: anyone can call /hooks/<anything>.
                var known = http.RequestServices.GetRequiredService<IPluginRegistry>().Find(pluginId) is not null;
                PluginMetrics.Webhook(known ? pluginId : "unknown", http.Response.StatusCode);
            })
            .AllowAnonymous()
            .DisableAntiforgery()
            .ExcludeFromDescription()
            .WithName("PluginWebhook");
    }
}

/// <summary>A plugin in the list of the admin API.</summary>
internal sealed record PluginSummary(
    string Id,
    string? Name,
    string? Version,
    string? SdkVersion,
    IReadOnlyList<string> Capabilities,
    string Folder,
    PluginStatus Status,
    string? Reason,
    DateTimeOffset? LastErrorAt)
{
    public static PluginSummary From(PluginInfo p) =>
        new(p.Id, p.Name, p.Version, p.SdkVersion, p.Capabilities, p.Folder, p.Status, p.Reason, p.LastErrorAt);
}

/// <summary>One plugin in the admin API, with the schema the host renders its settings form from.</summary>
internal sealed record PluginDetails(
    string Id,
    string? Name,
    string? Version,
    string? SdkVersion,
    IReadOnlyList<string> Capabilities,
    string Folder,
    PluginStatus Status,
    string? Reason,
    DateTimeOffset? LastErrorAt,
    JsonElement? ConfigSchema)
{
    public static PluginDetails From(PluginInfo p) =>
        new(p.Id, p.Name, p.Version, p.SdkVersion, p.Capabilities, p.Folder, p.Status, p.Reason, p.LastErrorAt, p.ConfigSchema);
}
