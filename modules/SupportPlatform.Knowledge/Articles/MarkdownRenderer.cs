using Ganss.Xss;
using Markdig;

namespace SupportPlatform.Knowledge.Articles;

/// <summary>
/// Article bodies are Markdown (CommonMark plus tables, task lists and auto-links) rendered with Markdig; raw HTML in
/// the Markdown is not passed through, and the result is sanitised once more (links keep only http, https and mailto),
/// so a body can never put script into a page.
/// </summary>
internal sealed class MarkdownRenderer
{
    private readonly MarkdownPipeline pipeline = new MarkdownPipelineBuilder()
        .UsePipeTables()
        .UseTaskLists()
        .UseAutoLinks()
        .UseEmphasisExtras()
        .DisableHtml()
        .Build();

    private readonly HtmlSanitizer sanitizer = CreateSanitizer();

    public string Render(string markdown) => sanitizer.Sanitize(Markdown.ToHtml(markdown, pipeline));

    private static HtmlSanitizer CreateSanitizer()
    {
        var sanitizer = new HtmlSanitizer();
        sanitizer.AllowedSchemes.Clear();
        sanitizer.AllowedSchemes.Add("http");
        sanitizer.AllowedSchemes.Add("https");
        sanitizer.AllowedSchemes.Add("mailto");
        sanitizer.AllowedAttributes.Remove("style");
        sanitizer.AllowedTags.Remove("form");
        sanitizer.AllowedTags.Remove("input");
        sanitizer.AllowedTags.Add("input"); // task-list check boxes (disabled, rendered by Markdig)
        sanitizer.AllowedAttributes.Add("checked");
        sanitizer.AllowedAttributes.Add("disabled");
        return sanitizer;
    }
}
