using System.Net;
using System.Text;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.AspNetCore.Routing;
using Microsoft.AspNetCore.Routing.Patterns;
using Microsoft.Extensions.DependencyInjection;
using SupportPlatform.Core.Security;

namespace SupportPlatform.Faults.Tests;

/// <summary>
/// The role half of the authorization matrix (the endpoint walk in SupportPlatform.Identity.Tests covers no credentials
/// and another account's client user): every endpoint of the host that requires the senior or admin policy, read from
/// its EndpointDataSource so endpoints added later are walked too, answers exactly 403 to an agent's token and 401 to a
/// forged token, whatever the method.
/// </summary>
public sealed class AgentWalkTests(FuzzHost host) : IClassFixture<FuzzHost>
{
    [Fact]
    public async Task EveryEndpointAboveAgent_AgentGets403_ForgedTokenGets401()
    {
        using var agent = host.Factory.CreateClient(new WebApplicationFactoryClientOptions { AllowAutoRedirect = false, HandleCookies = false });
        agent.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", await host.Factory.Users.StaffTokenAsync("agent"));
        using var forged = host.Factory.CreateClient(new WebApplicationFactoryClientOptions { AllowAutoRedirect = false, HandleCookies = false });
        forged.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", "spt_" + new string('A', 43));
        var failures = new List<string>();
        var walked = 0;
        var source = host.Factory.Services.GetRequiredService<EndpointDataSource>();
        foreach (var endpoint in source.Endpoints.OfType<RouteEndpoint>())
        {
            var policies = endpoint.Metadata.GetOrderedMetadata<IAuthorizeData>().Select(a => a.Policy).ToHashSet();
            if (!policies.Contains(PlatformPolicies.Senior) && !policies.Contains(PlatformPolicies.Admin))
            {
                continue;
            }

            var raw = "/" + (endpoint.RoutePattern.RawText ?? "").Trim('/');
            foreach (var method in endpoint.Metadata.GetMetadata<HttpMethodMetadata>()?.HttpMethods ?? ["GET"])
            {
                walked++;
                var url = Url(endpoint.RoutePattern);
                foreach (var (client, expected) in new[] { (agent, HttpStatusCode.Forbidden), (forged, HttpStatusCode.Unauthorized) })
                {
                    using var request = new HttpRequestMessage(new HttpMethod(method), url);
                    if (method is "POST" or "PUT" or "PATCH")
                    {
                        request.Content = new StringContent("{}", Encoding.UTF8, "application/json");
                    }

                    using var response = await client.SendAsync(request);
                    if (response.StatusCode != expected)
                    {
                        failures.Add($"{method} {raw} ({url}) answered {(int)response.StatusCode} to {(expected == HttpStatusCode.Forbidden ? "an agent" : "a forged token")}, expected {(int)expected}");
                    }
                }
            }
        }

        Assert.True(walked > 20, $"only {walked} senior/admin endpoints found");
        Assert.True(failures.Count == 0, string.Join(Environment.NewLine, failures));
    }

    private static string Url(RoutePattern pattern)
    {
        var url = new StringBuilder();
        foreach (var segment in pattern.PathSegments)
        {
            url.Append('/');
            foreach (var part in segment.Parts)
            {
                url.Append(part switch
                {
                    RoutePatternLiteralPart literal => literal.Content,
                    RoutePatternSeparatorPart separator => separator.Content,
                    // A value the route's constraint accepts, so the request reaches authorization rather than a 404.
                    RoutePatternParameterPart parameter => parameter.ParameterPolicies.Any(p => p.Content is "long" or "int") ? "1" : "probe",
                    _ => "",
                });
            }
        }

        return url.Length == 0 ? "/" : url.ToString();
    }
}
