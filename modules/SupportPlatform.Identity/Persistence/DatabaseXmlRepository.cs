using System.Xml.Linq;
using Dapper;
using Microsoft.AspNetCore.DataProtection.Repositories;
using SupportPlatform.Storage.Contracts;

namespace SupportPlatform.Identity.Persistence;

/// <summary>
/// The Data Protection key ring in the platform's database (<c>sp_data_protection_keys</c>): every node of a cluster
/// reads the same keys, so an auth cookie or antiforgery token issued by one node is accepted by another, also after a
/// restart. The interface is synchronous; the framework calls it rarely (key ring loads and refreshes).
/// </summary>
internal sealed class DatabaseXmlRepository(IDatabase database, TimeProvider clock) : IXmlRepository
{
    public IReadOnlyCollection<XElement> GetAllElements() =>
        Task.Run(async () =>
        {
            await using var connection = await database.OpenConnectionAsync();
            var rows = await connection.QueryAsync<string>("SELECT xml FROM sp_data_protection_keys ORDER BY created_at_ms, name");
            return rows.Select(XElement.Parse).ToList();
        }).GetAwaiter().GetResult();

    public void StoreElement(XElement element, string friendlyName) =>
        Task.Run(async () =>
        {
            await using var connection = await database.OpenConnectionAsync();
            await connection.ExecuteAsync(
                "INSERT INTO sp_data_protection_keys (name, xml, created_at_ms) VALUES (@name, @xml, @now) ON CONFLICT (name) DO NOTHING",
                new
                {
                    name = string.IsNullOrWhiteSpace(friendlyName) ? Guid.NewGuid().ToString() : friendlyName,
                    xml = element.ToString(SaveOptions.DisableFormatting),
                    now = clock.GetUtcNow().ToUnixTimeMilliseconds(),
                });
        }).GetAwaiter().GetResult();
}
