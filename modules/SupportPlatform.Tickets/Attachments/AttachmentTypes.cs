using System.Collections.Frozen;

namespace SupportPlatform.Tickets.Attachments;

/// <summary>
/// The kinds of file a ticket accepts, each checked against the file's first bytes, so a file cannot pass as something
/// it is not. Anything a browser could run (HTML, SVG, XML, scripts) or a machine could execute is refused.
/// </summary>
internal static class AttachmentTypes
{
    private const int TextSniffBytes = 8192;

    private static readonly byte[] Png = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A];
    private static readonly byte[] Jpeg = [0xFF, 0xD8, 0xFF];
    private static readonly byte[] Gif = "GIF8"u8.ToArray();
    private static readonly byte[] Pdf = "%PDF-"u8.ToArray();
    private static readonly byte[] Zip = [0x50, 0x4B, 0x03, 0x04];
    private static readonly byte[] Ole = [0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1];

    private enum Signature { Png, Jpeg, Gif, WebP, Pdf, Zip, Ole, Text }

    private static readonly FrozenDictionary<string, Signature> Allowed = new Dictionary<string, Signature>(StringComparer.OrdinalIgnoreCase)
    {
        ["image/png"] = Signature.Png,
        ["image/jpeg"] = Signature.Jpeg,
        ["image/gif"] = Signature.Gif,
        ["image/webp"] = Signature.WebP,
        ["application/pdf"] = Signature.Pdf,
        ["application/zip"] = Signature.Zip,
        ["application/x-zip-compressed"] = Signature.Zip,
        ["application/vnd.openxmlformats-officedocument.wordprocessingml.document"] = Signature.Zip,
        ["application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"] = Signature.Zip,
        ["application/vnd.openxmlformats-officedocument.presentationml.presentation"] = Signature.Zip,
        ["application/vnd.oasis.opendocument.text"] = Signature.Zip,
        ["application/vnd.oasis.opendocument.spreadsheet"] = Signature.Zip,
        ["application/msword"] = Signature.Ole,
        ["application/vnd.ms-excel"] = Signature.Ole,
        ["application/vnd.ms-outlook"] = Signature.Ole,
        ["text/plain"] = Signature.Text,
        ["text/csv"] = Signature.Text,
        ["application/json"] = Signature.Text,
        ["message/rfc822"] = Signature.Text,
    }.ToFrozenDictionary(StringComparer.OrdinalIgnoreCase);

    /// <summary>What browsers send for a type they do not know: the extension decides then.</summary>
    private static readonly FrozenDictionary<string, string> ByExtension = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase)
    {
        [".png"] = "image/png", [".jpg"] = "image/jpeg", [".jpeg"] = "image/jpeg", [".gif"] = "image/gif", [".webp"] = "image/webp",
        [".pdf"] = "application/pdf", [".zip"] = "application/zip",
        [".docx"] = "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        [".xlsx"] = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        [".pptx"] = "application/vnd.openxmlformats-officedocument.presentationml.presentation",
        [".odt"] = "application/vnd.oasis.opendocument.text", [".ods"] = "application/vnd.oasis.opendocument.spreadsheet",
        [".doc"] = "application/msword", [".xls"] = "application/vnd.ms-excel", [".msg"] = "application/vnd.ms-outlook",
        [".txt"] = "text/plain", [".log"] = "text/plain", [".csv"] = "text/csv", [".json"] = "application/json", [".eml"] = "message/rfc822",
    }.ToFrozenDictionary(StringComparer.OrdinalIgnoreCase);

    public static string AllowedList => "images (PNG, JPEG, GIF, WebP), PDF, ZIP, Office and OpenDocument files, Outlook messages, plain text, CSV, JSON and .eml mail";

    /// <summary>
    /// The content type to store for a file, or an error saying why it is refused. <paramref name="head"/> holds the
    /// file's first bytes (at least 8 KiB when the file is that long).
    /// </summary>
    public static (string? ContentType, string? Error) Check(string fileName, string? declaredType, ReadOnlySpan<byte> head)
    {
        var type = (declaredType ?? "").Split(';')[0].Trim().ToLowerInvariant();
        if (type is "" or "application/octet-stream" or "binary/octet-stream")
        {
            if (!ByExtension.TryGetValue(Path.GetExtension(fileName), out var inferred))
            {
                return (null, $"'{fileName}' has no known file type; accepted are {AllowedList}.");
            }

            type = inferred;
        }

        if (!Allowed.TryGetValue(type, out var signature))
        {
            return (null, $"'{fileName}' is {type}, which tickets do not accept; accepted are {AllowedList}.");
        }

        var matches = signature switch
        {
            Signature.Png => head.StartsWith(Png),
            Signature.Jpeg => head.StartsWith(Jpeg),
            Signature.Gif => head.StartsWith(Gif),
            Signature.WebP => head.Length >= 12 && head[..4].SequenceEqual("RIFF"u8) && head[8..12].SequenceEqual("WEBP"u8),
            Signature.Pdf => head.StartsWith(Pdf),
            Signature.Zip => head.StartsWith(Zip),
            Signature.Ole => head.StartsWith(Ole),
            Signature.Text => !head[..Math.Min(head.Length, TextSniffBytes)].Contains((byte)0),
            _ => false,
        };
        return matches ? (type, null) : (null, $"'{fileName}' is declared as {type}, but its content is not that kind of file.");
    }
}
