using Microsoft.Extensions.Configuration;

namespace SupportPlatform.Plugins.Monitoring.Alertmanager;

/// <summary>The plugin's settings (<c>Plugins:alertmanager:*</c>), checked at load with messages that name the key.</summary>
internal sealed record AlertmanagerSettings(string BearerToken, Uri? ApiUrl, IReadOnlyList<string> SystemLabels, string SecurityLabel)
{
    public static AlertmanagerSettings Read(IConfiguration configuration)
    {
        var token = configuration["bearerToken"];
        if (string.IsNullOrWhiteSpace(token) || token.Length < 16)
        {
            throw new InvalidOperationException("Plugins:alertmanager:bearerToken must be set to a secret of at least 16 characters (the credentials of the webhook_config's http_config.authorization).");
        }

        Uri? api = null;
        if (configuration["apiUrl"] is { Length: > 0 } url
            && !(Uri.TryCreate(url.EndsWith('/') ? url : url + "/", UriKind.Absolute, out api) && api.Scheme is "http" or "https"))
        {
            throw new InvalidOperationException($"Plugins:alertmanager:apiUrl is '{url}': set the absolute http(s) address of Alertmanager, e.g. http://alertmanager:9093.");
        }

        var labels = configuration.GetSection("systemLabels").GetChildren().Select(c => c.Value).OfType<string>().Where(v => v.Length > 0).ToList();
        return new AlertmanagerSettings(token, api, labels.Count > 0 ? labels : ["host", "instance", "job"], configuration["securityLabel"] is { Length: > 0 } s ? s : "category");
    }
}
