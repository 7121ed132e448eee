namespace SupportPlatform.Operations.Contracts;

/// <summary>What <c>GET /api/system/info</c> answers.</summary>
public sealed record SystemInfo(string Product, string Version, string Silo, IReadOnlyList<string> ClusterMembers);
