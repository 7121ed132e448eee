namespace SupportPlatform.Core;

/// <summary>How urgent a ticket, alert or piece of work is. Shared by tickets, SLA policies, routing and monitoring.</summary>
public enum Priority
{
    /// <summary>Service down or security incident; usually served 24/7.</summary>
    Critical = 0,

    /// <summary>Major impairment with no workaround.</summary>
    High = 1,

    /// <summary>The default.</summary>
    Normal = 2,

    /// <summary>Questions, cosmetic issues, requests with no deadline pressure.</summary>
    Low = 3,
}
