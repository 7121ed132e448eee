using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using SupportPlatform.Core;
using SupportPlatform.Core.Mail;
using SupportPlatform.Email.Inbound;
using SupportPlatform.Email.Notifications;
using SupportPlatform.Email.Outbox;
using SupportPlatform.Sdk.Mail;
using SupportPlatform.Tickets.Contracts;

namespace SupportPlatform.Email;

/// <summary>Email: the outbox of outgoing mail with its SMTP delivery, requester notifications about tickets, and inbound mail (the host's <see cref="IInboundMailSink"/>).</summary>
public sealed class EmailModule : IModule
{
    /// <inheritdoc />
    public string Name => "Email";

    /// <inheritdoc />
    public void AddServices(IServiceCollection services, IConfiguration configuration, IHostEnvironment environment)
    {
        services.AddOptions<EmailOptions>().Bind(configuration.GetSection(EmailOptions.SectionName)).ValidateOnStart();
        services.AddSingleton<IValidateOptions<EmailOptions>, EmailOptionsValidator>();
        services.AddSingleton<MailSignal>();
        services.AddSingleton<IOutboundMail, MailOutbox>();
        services.AddSingleton<MailDispatcher>();
        services.AddHostedService(sp => sp.GetRequiredService<MailDispatcher>());
        services.AddSingleton<TemplateRenderer>();
        services.AddSingleton<SupportPlatform.Templates.Contracts.ITemplateKind, MailTemplateKind>();
        services.AddSingleton<ITicketCommitParticipant, RequesterNotifier>();
        services.AddSingleton<OutboxQueries>();
        services.AddHealthChecks().AddCheck<MailHealthCheck>("mail", tags: ["ready"]);

        services.AddOptions<InboundOptions>().Bind(configuration.GetSection(InboundOptions.SectionName)).ValidateOnStart();
        services.AddSingleton<IValidateOptions<InboundOptions>, InboundOptionsValidator>();
        services.AddSingleton<InboundStore>();
        services.AddSingleton<InboundFinisher>();
        services.AddSingleton<InboundProcessor>();
        services.AddSingleton<IInboundMailSink, InboundMailSink>();
        services.AddHostedService<InboundRecovery>();
    }

    /// <inheritdoc />
    public void MapEndpoints(IEndpointRouteBuilder endpoints)
    {
        var group = endpoints.MapGroup("/api/admin/mail").WithTags("Email");
        group.MapGet("/outbox", async (string? status, int? page, int? pageSize, OutboxQueries queries, CancellationToken ct) =>
            {
                if (status is not null and not ("pending" or "sent" or "failed"))
                {
                    return Results.Problem(statusCode: StatusCodes.Status400BadRequest, title: "invalid-status",
                        detail: $"'{status}' is not an outbox status; use pending, sent or failed.");
                }

                if (page is < 1 || pageSize is < 1 or > 200)
                {
                    return Results.Problem(statusCode: StatusCodes.Status400BadRequest, title: "invalid-paging",
                        detail: "page starts at 1 and pageSize is between 1 and 200.");
                }

                return Results.Ok(await queries.ListAsync(status, page ?? 1, pageSize ?? 50, ct));
            })
            .WithName("ListOutboundMail")
            .WithSummary("Outgoing mail, newest first, optionally by status (pending, sent, failed), with attempts and the last error.");
        group.MapPost("/outbox/{id}/retry", async (string id, OutboxQueries queries, MailSignal signal, CancellationToken ct) =>
            {
                if (!await queries.RetryAsync(id, ct))
                {
                    return Results.Problem(statusCode: StatusCodes.Status404NotFound, title: "not-found",
                        detail: $"There is no failed or pending message '{id}' in the outbox.");
                }

                signal.Wake();
                return Results.Accepted();
            })
            .WithName("RetryOutboundMail")
            .WithSummary("Sends a failed or waiting message again now.");
        group.MapGet("/templates", () => Results.Ok(TemplateRenderer.Shipped))
            .WithName("ListMailTemplates")
            .WithSummary("The shipped mail templates; a file of the same name in <data>/templates replaces one.");
        endpoints.MapInboundMailApi();
    }
}
