namespace SupportPlatform.Storage.Tests.Grains.Drafts;

// These types were written to Golden/ticket-draft.v1.b64 under other names and in another namespace:
//   SupportPlatform.Storage.Tests.Grains.TicketDraftState -> DraftState
//   SupportPlatform.Storage.Tests.Grains.DraftNote        -> NoteEntry
//   SupportPlatform.Storage.Tests.Grains.TextNote         -> PlainTextNote
//   SupportPlatform.Storage.Tests.Grains.CallNote         -> PhoneCallNote
// The [Alias] and [Id] values are unchanged: they, not the CLR names, are what the stored bytes refer to.
// Never change an [Alias] or reuse an [Id] of a type that is stored.

[GenerateSerializer, Alias("sp-test.ticket-draft")]
public sealed class DraftState
{
    [Id(0)] public string Title { get; set; } = "";

    [Id(1)] public List<NoteEntry> Notes { get; set; } = [];

    [Id(2)] public NoteEntry? Pinned { get; set; }

    [Id(3)] public int Revision { get; set; }

    /// <summary>Added after the golden bytes were written: old data reads as the default.</summary>
    [Id(4)] public string? Queue { get; set; }
}

[GenerateSerializer, Alias("sp-test.draft-note")]
public abstract class NoteEntry
{
    [Id(0)] public string Author { get; set; } = "";
}

[GenerateSerializer, Alias("sp-test.text-note")]
public sealed class PlainTextNote : NoteEntry
{
    [Id(0)] public string Text { get; set; } = "";
}

[GenerateSerializer, Alias("sp-test.call-note")]
public sealed class PhoneCallNote : NoteEntry
{
    [Id(0)] public int DurationSeconds { get; set; }
}
