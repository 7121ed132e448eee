using Microsoft.Extensions.DependencyInjection;
using Orleans.Serialization;
using SupportPlatform.Storage.Orleans;
using SupportPlatform.Storage.Tests.Grains.Drafts;
using Xunit;

namespace SupportPlatform.Storage.Tests;

/// <summary>
/// Stored grain state survives renaming its types. Golden/ticket-draft.v1.b64 holds the bytes the grain storage
/// serializer (<see cref="GrainStorageSerializerFactory"/>, the one the silo's "Default" provider uses) wrote for:
/// <code>
/// new TicketDraftState
/// {
///     Title = "Printer on floor 3 is offline", Revision = 7,
///     Notes = [new TextNote { Author = "alice", Text = "Restarted the spooler." }, new CallNote { Author = "bob", DurationSeconds = 420 }],
///     Pinned = new TextNote { Author = "carol", Text = "Customer is a VIP." },
/// }
/// </code>
/// How it was made: a throwaway test serialized that object with <c>serializer.Serialize(state)</c> and wrote
/// <c>Convert.ToBase64String</c> of the bytes to the file; the types (then named TicketDraftState, DraftNote, TextNote,
/// CallNote in namespace SupportPlatform.Storage.Tests.Grains) were then renamed and moved, keeping their [Alias] and [Id]s,
/// and the throwaway test was deleted. Do not regenerate the file: it stands for data already in customers' databases.
/// </summary>
public sealed class VersionTolerantStateTests
{
    [Fact]
    public void Deserialize_GoldenBytesOfRenamedStateAndPolymorphicTypes_ReadsSameValues()
    {
        using var services = new ServiceCollection()
            .AddSerializer(b => b.AddAssembly(typeof(VersionTolerantStateTests).Assembly))
            .BuildServiceProvider();
        var serializer = GrainStorageSerializerFactory.Create(services);

        var state = serializer.Deserialize<DraftState>(new BinaryData(ReadGolden("ticket-draft.v1.b64")));
        Assert.NotNull(state);

        Assert.Equal("Printer on floor 3 is offline", state.Title);
        Assert.Equal(7, state.Revision);
        Assert.Null(state.Queue);
        Assert.Collection(
            state.Notes,
            n =>
            {
                var text = Assert.IsType<PlainTextNote>(n);
                Assert.Equal("alice", text.Author);
                Assert.Equal("Restarted the spooler.", text.Text);
            },
            n =>
            {
                var call = Assert.IsType<PhoneCallNote>(n);
                Assert.Equal("bob", call.Author);
                Assert.Equal(420, call.DurationSeconds);
            });
        var pinned = Assert.IsType<PlainTextNote>(state.Pinned);
        Assert.Equal("carol", pinned.Author);
        Assert.Equal("Customer is a VIP.", pinned.Text);
    }

    [Fact]
    public void Serialize_StateWithPolymorphicField_WritesAliasesNotClrTypeNames()
    {
        using var services = new ServiceCollection()
            .AddSerializer(b => b.AddAssembly(typeof(VersionTolerantStateTests).Assembly))
            .BuildServiceProvider();
        var serializer = GrainStorageSerializerFactory.Create(services);

        var bytes = serializer.Serialize(new DraftState { Pinned = new PhoneCallNote { Author = "dave", DurationSeconds = 1 } }).ToArray();
        var text = System.Text.Encoding.UTF8.GetString(bytes);

        Assert.Contains("sp-test.call-note", text, StringComparison.Ordinal);
        Assert.DoesNotContain(nameof(PhoneCallNote), text, StringComparison.Ordinal);
        Assert.DoesNotContain(nameof(DraftState), text, StringComparison.Ordinal);
    }

    private static byte[] ReadGolden(string name)
    {
        using var stream = typeof(VersionTolerantStateTests).Assembly.GetManifestResourceStream($"Golden/{name}")
            ?? throw new InvalidOperationException($"Golden file {name} is not embedded.");
        using var reader = new StreamReader(stream);
        return Convert.FromBase64String(reader.ReadToEnd().Trim());
    }
}
