using Microsoft.Extensions.DependencyInjection;
using Orleans.Serialization;
using Orleans.Storage;

namespace SupportPlatform.Storage.Orleans;

/// <summary>
/// The grain storage serializer of provider "Default": Orleans' own binary serializer. It is version tolerant through
/// <c>[GenerateSerializer]</c>, <c>[Id]</c> and <c>[Alias]</c> (types are written by alias, not by CLR name), unlike the
/// default Newtonsoft serializer, whose assembly-qualified <c>$type</c> names break on a rename.
/// </summary>
internal static class GrainStorageSerializerFactory
{
    public static IGrainStorageSerializer Create(IServiceProvider services) =>
        new OrleansGrainStorageSerializer(services.GetRequiredService<Serializer>());
}
