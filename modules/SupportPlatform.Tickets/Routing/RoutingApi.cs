using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using SupportPlatform.Core.Security;
using SupportPlatform.Tickets.Contracts;

namespace SupportPlatform.Tickets.Routing;

/// <summary>
/// The agent directory (<c>/api/agents</c>), rule lists (<c>/api/routing</c>) and vendors (<c>/api/vendors</c>): staff read
/// them, senior engineers and admins change them.
/// </summary>
internal static class RoutingApi
{
    public static void MapRoutingApi(this IEndpointRouteBuilder endpoints)
    {
        var agents = endpoints.MapGroup("/api/agents").WithTags("Routing");
        agents.MapPut("/{id}", PutAgent).WithName("PutAgent").RequireAuthorization(PlatformPolicies.Senior)
            .WithSummary("Creates or replaces an agent of the directory: display name, groups, skills, on shift (default true), active (default true).");
        agents.MapGet("/", async (RoutingStore store, CancellationToken ct) => TypedResults.Ok(await store.ListAgentsAsync(cancellationToken: ct)))
            .WithName("ListAgents").RequireAuthorization(PlatformPolicies.Staff).WithSummary("Every agent of the directory.");
        agents.MapGet("/{id}", async (string id, RoutingStore store, CancellationToken ct) =>
                await store.GetAgentAsync(id, ct) is { } agent ? Results.Ok(agent) : NotFound($"Agent '{id}' does not exist; create it with PUT /api/agents/{id}."))
            .WithName("GetAgent").RequireAuthorization(PlatformPolicies.Staff).WithSummary("One agent.");

        var routing = endpoints.MapGroup("/api/routing").WithTags("Routing");
        routing.MapGet("/rules", async (RoutingStore store, CancellationToken ct) =>
                TypedResults.Ok(await store.GetRulesAsync<RoutingRule>(RoutingStore.RoutingRules, ct)))
            .WithName("GetRoutingRules").RequireAuthorization(PlatformPolicies.Staff).WithSummary("The ordered routing rules applied to new tickets.");
        routing.MapPut("/rules", async (List<RoutingRule>? rules, RoutingStore store, CancellationToken ct) =>
            {
                var errors = RoutingValidation.RoutingRules(rules);
                if (errors.Count > 0)
                {
                    return Invalid(errors);
                }

                var clean = rules!.Select(RoutingValidation.Clean).ToList();
                await store.PutRulesAsync(RoutingStore.RoutingRules, clean, ct);
                return Results.Ok(clean);
            })
            .WithName("PutRoutingRules").RequireAuthorization(PlatformPolicies.Senior).WithSummary("Replaces the ordered routing rules; the first rule matching a new ticket picks its group and agent.");
        routing.MapGet("/escalations", async (RoutingStore store, CancellationToken ct) =>
                TypedResults.Ok(await store.GetRulesAsync<EscalationRule>(RoutingStore.EscalationRules, ct)))
            .WithName("GetEscalationRules").RequireAuthorization(PlatformPolicies.Staff).WithSummary("The ordered escalation rules applied on SLA warnings and breaches.");
        routing.MapPut("/escalations", async (List<EscalationRule>? rules, RoutingStore store, CancellationToken ct) =>
            {
                var errors = RoutingValidation.EscalationRules(rules);
                if (errors.Count > 0)
                {
                    return Invalid(errors);
                }

                var clean = rules!.Select(RoutingValidation.Clean).ToList();
                await store.PutRulesAsync(RoutingStore.EscalationRules, clean, ct);
                return Results.Ok(clean);
            })
            .WithName("PutEscalationRules").RequireAuthorization(PlatformPolicies.Senior).WithSummary("Replaces the ordered escalation rules (per priority and optionally account, on SLA warning and/or breach, to a group).");

        var vendors = endpoints.MapGroup("/api/vendors").WithTags("Routing");
        vendors.MapPut("/{id}", PutVendor).WithName("PutVendor").RequireAuthorization(PlatformPolicies.Senior).WithSummary("Creates or replaces a vendor: name, contact email address, notes.");
        vendors.MapGet("/", async (RoutingStore store, CancellationToken ct) => TypedResults.Ok(await store.ListVendorsAsync(ct)))
            .WithName("ListVendors").RequireAuthorization(PlatformPolicies.Staff).WithSummary("Every vendor.");
        vendors.MapGet("/outbox", async (long? ticketId, RoutingStore store, CancellationToken ct) => TypedResults.Ok(await store.OutboxAsync(ticketId, ct)))
            .WithName("ListVendorOutbox").RequireAuthorization(PlatformPolicies.Staff).WithSummary("Messages to vendors recorded by escalations, with their status (pending until the email module sends them).");
        vendors.MapGet("/{id}", async (string id, RoutingStore store, CancellationToken ct) =>
                await store.GetVendorAsync(id, ct) is { } vendor ? Results.Ok(vendor) : NotFound($"Vendor '{id}' does not exist; create it with PUT /api/vendors/{id}."))
            .WithName("GetVendor").RequireAuthorization(PlatformPolicies.Staff).WithSummary("One vendor.");
    }

    private static async Task<IResult> PutAgent(string id, AgentRequest request, RoutingStore store, CancellationToken ct)
    {
        var agent = new Agent(id, request.DisplayName!, request.Groups!, request.Skills ?? [], request.OnShift ?? true, request.Active ?? true);
        var errors = RoutingValidation.Agent(id, agent);
        if (errors.Count > 0)
        {
            return Invalid(errors);
        }

        agent = RoutingValidation.Clean(id, agent);
        await store.PutAgentAsync(agent, ct);
        return Results.Ok(agent);
    }

    private static async Task<IResult> PutVendor(string id, VendorRequest request, RoutingStore store, CancellationToken ct)
    {
        var vendor = new Vendor(id, request.Name!, request.ContactEmail!, string.IsNullOrWhiteSpace(request.Notes) ? null : request.Notes.Trim());
        var errors = RoutingValidation.Vendor(id, vendor);
        if (errors.Count > 0)
        {
            return Invalid(errors);
        }

        vendor = vendor with { Name = vendor.Name.Trim(), ContactEmail = vendor.ContactEmail.Trim() };
        await store.PutVendorAsync(vendor, ct);
        return Results.Ok(vendor);
    }

    private static IResult Invalid(Dictionary<string, string[]> errors) =>
        TypedResults.ValidationProblem(errors, detail: string.Join(" ", errors.SelectMany(e => e.Value.Select(m => $"{e.Key}: {m}"))));

    private static IResult NotFound(string detail) =>
        TypedResults.Problem(detail: detail, statusCode: StatusCodes.Status404NotFound, type: "https://supportplatform.dev/problems/not-found",
            extensions: new Dictionary<string, object?> { ["code"] = "not-found" });
}

internal sealed record AgentRequest(string? DisplayName, IReadOnlyList<string>? Groups, IReadOnlyList<string>? Skills, bool? OnShift, bool? Active);

internal sealed record VendorRequest(string? Name, string? ContactEmail, string? Notes);
