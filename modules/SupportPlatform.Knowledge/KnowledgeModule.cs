using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using SupportPlatform.Core;
using SupportPlatform.Knowledge.Api;
using SupportPlatform.Knowledge.Articles;
using SupportPlatform.Knowledge.Search;
using SupportPlatform.Knowledge.Tickets;

namespace SupportPlatform.Knowledge;

/// <summary>
/// Knowledge base: articles (Markdown, versions and diffs, review before publishing, visibility per audience), write-ups
/// of resolved tickets with the client's personal data left out, full-text search over articles and tickets on both
/// back-ends, suggestions for agents and for clients typing a subject, feedback, deflections and reports.
/// </summary>
public sealed class KnowledgeModule : IModule
{
    /// <inheritdoc />
    public string Name => "Knowledge";

    /// <inheritdoc />
    public void AddServices(IServiceCollection services, IConfiguration configuration, IHostEnvironment environment)
    {
        services.AddSingleton<MarkdownRenderer>();
        services.AddSingleton<ArticleStore>();
        services.AddSingleton<KnowledgeSearch>();
        services.AddSingleton<KnowledgeReports>();
        services.AddSingleton<ResolutionWriter>();
        services.AddSingleton<SupportPlatform.Tickets.Contracts.ITicketCommitParticipant, TicketTextIndexer>();
    }

    /// <inheritdoc />
    public void MapEndpoints(IEndpointRouteBuilder endpoints) => endpoints.MapKnowledgeApi();
}
