using System.Globalization;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using SupportPlatform.Sdk;
using SupportPlatform.Sdk.Notifications;

namespace SupportPlatform.Plugins.Notifications.ChatWebhook;

/// <summary>The plugin's entry point: reads <c>Plugins:chat-webhook</c> and registers the chat notification channel.</summary>
public sealed class ChatWebhookPlugin : IPlugin
{
    /// <inheritdoc />
    public void ConfigureServices(IServiceCollection services, PluginContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        services.AddSingleton(ChatWebhookOptions.Read(context.Configuration));
        services.AddSingleton(new DeliveredIds(context.DataFolder));
        services.AddSingleton<INotificationChannel, ChatWebhookChannel>();
    }
}

/// <summary>One incoming webhook.</summary>
internal sealed record ChatTarget(string Name, Uri Url, string Format);

/// <summary>The plugin's settings.</summary>
internal sealed record ChatWebhookOptions(IReadOnlyDictionary<string, ChatTarget> Targets, string DefaultTarget, TimeSpan Timeout)
{
    public static ChatWebhookOptions Read(IConfiguration configuration)
    {
        var targets = new Dictionary<string, ChatTarget>(StringComparer.OrdinalIgnoreCase);
        foreach (var section in configuration.GetSection("targets").GetChildren())
        {
            var urlText = section["url"];
            if (!Uri.TryCreate(urlText, UriKind.Absolute, out var url) || (url.Scheme != Uri.UriSchemeHttps && url.Scheme != Uri.UriSchemeHttp))
            {
                throw new InvalidOperationException($"Plugins:chat-webhook:targets:{section.Key}:url is '{urlText}': set the incoming webhook's http(s) address.");
            }

            var format = (section["format"] ?? "slack").Trim().ToLowerInvariant();
            if (format is not ("slack" or "teams"))
            {
                throw new InvalidOperationException($"Plugins:chat-webhook:targets:{section.Key}:format is '{section["format"]}': use slack or teams.");
            }

            targets[section.Key] = new ChatTarget(section.Key, url, format);
        }

        if (targets.Count == 0)
        {
            throw new InvalidOperationException("Plugins:chat-webhook:targets is empty: add at least one target with a url (targets:<name>:url).");
        }

        var defaultTarget = configuration["defaultTarget"] is { Length: > 0 } d ? d : targets.Keys.First();
        if (!targets.ContainsKey(defaultTarget))
        {
            throw new InvalidOperationException($"Plugins:chat-webhook:defaultTarget is '{defaultTarget}', which is not one of the targets ({string.Join(", ", targets.Keys)}).");
        }

        var seconds = 10;
        if (configuration["timeoutSeconds"] is { Length: > 0 } text && (!int.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out seconds) || seconds is < 1 or > 120))
        {
            throw new InvalidOperationException($"Plugins:chat-webhook:timeoutSeconds is '{text}': set a whole number of seconds from 1 to 120.");
        }

        return new ChatWebhookOptions(targets, defaultTarget, TimeSpan.FromSeconds(seconds));
    }
}
