using System.Text.Json;
using System.Text.Json.Serialization;

namespace SupportPlatform.Tickets.Persistence;

/// <summary>How ticket events are written as JSON in the read model and over the API: camelCase, enums as kebab-case strings.</summary>
internal static class TicketJson
{
    public static readonly JsonSerializerOptions Options = Create();

    public static JsonSerializerOptions Create()
    {
        var options = new JsonSerializerOptions(JsonSerializerDefaults.Web);
        options.Converters.Add(new JsonStringEnumConverter(JsonNamingPolicy.KebabCaseLower));
        return options;
    }

    public static string Name<TEnum>(TEnum value)
        where TEnum : struct, Enum => JsonNamingPolicy.KebabCaseLower.ConvertName(value.ToString());

    /// <summary>Whether two values (e.g. contract terms holding lists) are equal by content: their JSON is the same.</summary>
    public static bool Same<T>(T a, T b) => JsonSerializer.Serialize(a, Options) == JsonSerializer.Serialize(b, Options);
}
