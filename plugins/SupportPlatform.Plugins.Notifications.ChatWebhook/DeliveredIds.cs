namespace SupportPlatform.Plugins.Notifications.ChatWebhook;

/// <summary>
/// The delivery ids this plugin has already posted, so a delivery sent again (the host crashed after the post but before
/// recording it, or an attempt timed out after the chat tool took it) is answered "delivered" without a second post:
/// incoming webhooks take no idempotency key. Kept in memory and appended to <c>delivered-ids.txt</c> in the plugin's
/// data folder, so a restart remembers them; the newest <see cref="Keep"/> are kept (a retry comes within days).
/// </summary>
internal sealed class DeliveredIds
{
    public const int Keep = 10_000;
    private const string FileName = "delivered-ids.txt";

    private readonly object gate = new();
    private readonly string path;
    private readonly Queue<string> order = new();
    private readonly HashSet<string> ids = new(StringComparer.Ordinal);
    private int linesInFile;

    public DeliveredIds(string dataFolder)
    {
        Directory.CreateDirectory(dataFolder);
        path = Path.Combine(dataFolder, FileName);
        if (File.Exists(path))
        {
            foreach (var line in File.ReadLines(path))
            {
                linesInFile++;
                if (line.Length > 0)
                {
                    Remember(line);
                }
            }
        }
    }

    public bool Contains(string id)
    {
        lock (gate)
        {
            return ids.Contains(id);
        }
    }

    /// <summary>Records a delivered id, on disk before it returns.</summary>
    public void Add(string id)
    {
        // One line per id: a line break inside an id would split it.
        var line = id.ReplaceLineEndings(" ");
        lock (gate)
        {
            if (!Remember(line))
            {
                return;
            }

            if (linesInFile >= 2 * Keep)
            {
                // Rewrite with the newest only, through a temporary file so a crash leaves the old list whole.
                File.WriteAllLines(path + ".tmp", order);
                File.Move(path + ".tmp", path, overwrite: true);
                linesInFile = order.Count;
            }
            else
            {
                using var stream = new FileStream(path, FileMode.Append, FileAccess.Write, FileShare.Read);
                using var writer = new StreamWriter(stream);
                writer.WriteLine(line);
                writer.Flush();
                stream.Flush(flushToDisk: true);
                linesInFile++;
            }
        }
    }

    private bool Remember(string id)
    {
        if (!ids.Add(id))
        {
            return false;
        }

        order.Enqueue(id);
        while (order.Count > Keep)
        {
            ids.Remove(order.Dequeue());
        }

        return true;
    }
}
