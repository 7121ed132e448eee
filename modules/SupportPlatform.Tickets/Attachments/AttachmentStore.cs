using System.Globalization;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Hosting;
using SupportPlatform.Tickets.Contracts;

namespace SupportPlatform.Tickets.Attachments;

/// <summary>
/// Where ticket attachments are stored and how big they may be (section <c>SupportPlatform:Attachments</c>): <c>Path</c>
/// (default <c>&lt;DataPath&gt;/attachments</c>, one folder per ticket), <c>MaxFileBytes</c> (default 26214400, 25 MiB) and
/// <c>MaxFiles</c> in one upload (default 10, at most 100).
/// </summary>
internal sealed record AttachmentOptions(string Path, long MaxFileBytes, int MaxFiles)
{
    public const string Section = "SupportPlatform:Attachments";
    public const long DefaultMaxFileBytes = 25L * 1024 * 1024;
    public const int DefaultMaxFiles = 10;

    /// <summary>Reads the settings; a bad value stops the start with a message that names the key.</summary>
    public static AttachmentOptions Read(IConfiguration configuration, IHostEnvironment environment)
    {
        // The same rule as the host's data folder: a relative path is taken from the folder the host runs in.
        var dataPath = System.IO.Path.GetFullPath(configuration["SupportPlatform:DataPath"] is { Length: > 0 } data ? data : "data", environment.ContentRootPath);
        var section = configuration.GetSection(Section);
        var path = section["Path"] is { Length: > 0 } configured
            ? System.IO.Path.GetFullPath(configured, environment.ContentRootPath)
            : System.IO.Path.Combine(dataPath, "attachments");
        return new AttachmentOptions(path, Number(section, "MaxFileBytes", DefaultMaxFileBytes, 1, 1L << 32), (int)Number(section, "MaxFiles", DefaultMaxFiles, 1, 100));
    }

    private static long Number(IConfigurationSection section, string key, long fallback, long min, long max)
    {
        var text = section[key];
        if (string.IsNullOrWhiteSpace(text))
        {
            return fallback;
        }

        return long.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var value) && value >= min && value <= max
            ? value
            : throw new InvalidOperationException($"{section.Path}:{key} is '{text}': expected a whole number from {min} to {max}.");
    }
}

/// <summary>
/// Attachment bytes on disk: <c>{path}/{ticket}/{id}</c>, where the id is random (never the client's file name, so no
/// name can reach outside the folder). A file is written and flushed before the ticket records it, so a recorded
/// attachment always has its bytes; a crash in between leaves at most an unreferenced file.
/// </summary>
internal sealed class AttachmentStore(AttachmentOptions options)
{
    public AttachmentOptions Options => options;

    public static bool IsValidId(string id) => id.Length == 32 && id.All(char.IsAsciiHexDigitLower);

    /// <summary>Stores one uploaded file after checking its size and type; returns the reference or the reason it was refused.</summary>
    public async Task<(AttachmentRef? Attachment, string? Error)> SaveAsync(long ticketId, IFormFile file, CancellationToken cancellationToken)
    {
        var name = CleanName(file.FileName);
        if (file.Length == 0)
        {
            return (null, $"'{name}' is empty.");
        }

        if (file.Length > options.MaxFileBytes)
        {
            return (null, $"'{name}' is {file.Length} bytes; the limit is {options.MaxFileBytes} bytes per file.");
        }

        await using var input = file.OpenReadStream();
        var head = new byte[8192];
        var read = await input.ReadAtLeastAsync(head, head.Length, throwOnEndOfStream: false, cancellationToken);
        var (type, error) = AttachmentTypes.Check(name, file.ContentType, head.AsSpan(0, read));
        if (type is null)
        {
            return (null, error);
        }

        var id = Guid.NewGuid().ToString("N");
        var folder = Path.Combine(options.Path, ticketId.ToString(CultureInfo.InvariantCulture));
        Directory.CreateDirectory(folder);
        var final = Path.Combine(folder, id);
        var partial = final + ".part";
        await using (var output = new FileStream(partial, FileMode.CreateNew, FileAccess.Write, FileShare.None, 81920, FileOptions.Asynchronous))
        {
            await output.WriteAsync(head.AsMemory(0, read), cancellationToken);
            await input.CopyToAsync(output, cancellationToken);
            await output.FlushAsync(cancellationToken);
            output.Flush(flushToDisk: true);
        }

        File.Move(partial, final);
        return (new AttachmentRef(id, name, type, file.Length), null);
    }

    /// <summary>Stores a file handed over by another module (see <see cref="ITicketAttachments"/>) under the caller's id.</summary>
    public async Task<AttachmentSaveResult> SaveAsync(long ticketId, string id, string fileName, string? contentType, Stream input, CancellationToken cancellationToken)
    {
        if (!IsValidId(id))
        {
            throw new ArgumentException("An attachment id is 32 lower-case hex digits.", nameof(id));
        }

        var name = CleanName(fileName);
        var head = new byte[8192];
        var read = await input.ReadAtLeastAsync(head, head.Length, throwOnEndOfStream: false, cancellationToken);
        if (read == 0)
        {
            return new AttachmentSaveResult(null, $"'{name}' is empty.");
        }

        var (type, error) = AttachmentTypes.Check(name, contentType ?? "application/octet-stream", head.AsSpan(0, read));
        if (type is null)
        {
            return new AttachmentSaveResult(null, error);
        }

        var folder = Path.Combine(options.Path, ticketId.ToString(CultureInfo.InvariantCulture));
        Directory.CreateDirectory(folder);
        var final = Path.Combine(folder, id);
        var partial = final + ".part";
        long size;
        await using (var output = new FileStream(partial, FileMode.Create, FileAccess.Write, FileShare.None, 81920, FileOptions.Asynchronous))
        {
            await output.WriteAsync(head.AsMemory(0, read), cancellationToken);
            await input.CopyToAsync(output, cancellationToken);
            await output.FlushAsync(cancellationToken);
            output.Flush(flushToDisk: true);
            size = output.Length;
        }

        if (size > options.MaxFileBytes)
        {
            File.Delete(partial);
            return new AttachmentSaveResult(null, $"'{name}' is {size} bytes; the limit is {options.MaxFileBytes} bytes per file.");
        }

        File.Move(partial, final, overwrite: true);
        return new AttachmentSaveResult(new AttachmentRef(id, name, type, size), null);
    }

    /// <summary>Removes files that were stored but never recorded (the ticket refused the comment).</summary>
    public void Delete(long ticketId, IEnumerable<AttachmentRef> attachments)
    {
        foreach (var attachment in attachments)
        {
            File.Delete(PathOf(ticketId, attachment.Id));
        }
    }

    public string PathOf(long ticketId, string id) =>
        Path.Combine(options.Path, ticketId.ToString(CultureInfo.InvariantCulture), id);

    /// <summary>The file name as shown and offered for download: no folders, no control characters, at most 200 characters.</summary>
    private static string CleanName(string? fileName)
    {
        var name = Path.GetFileName((fileName ?? "").Replace('\\', '/'));
        name = new string(name.Where(c => !char.IsControl(c)).ToArray()).Trim();
        if (name.Length == 0)
        {
            name = "attachment";
        }

        return name.Length <= 200 ? name : name[..100] + "…" + name[^99..];
    }
}

/// <summary>The attachment store as other modules see it.</summary>
internal sealed class TicketAttachments(AttachmentStore store) : ITicketAttachments
{
    public long MaxFileBytes => store.Options.MaxFileBytes;

    public int MaxFiles => store.Options.MaxFiles;

    public Task<AttachmentSaveResult> SaveAsync(long ticketId, string id, string fileName, string? contentType, Stream content, CancellationToken cancellationToken = default) =>
        store.SaveAsync(ticketId, id, fileName, contentType, content, cancellationToken);
}
