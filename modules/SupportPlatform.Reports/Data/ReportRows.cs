namespace SupportPlatform.Reports.Data;

// Settable properties: Dapper converts int/bigint per back-end only for properties (SQLite answers Int64 for every int).
internal sealed class TicketRow
{
    public long Id { get; set; }
    public string Account_Id { get; set; } = "";
    public string Channel { get; set; } = "";
    public int Priority { get; set; }
    public string Status { get; set; } = "";
    public string Subject { get; set; } = "";
    public string? Group_Name { get; set; }
    public string? Agent_Id { get; set; }
    public long Created_At_Ms { get; set; }
    public long? First_Response_At_Ms { get; set; }
    public long? Resolved_At_Ms { get; set; }
    public int Breached { get; set; }

    /// <summary>The first response's business time kept in <c>sp_report_business_times</c> (ticks), when still valid.</summary>
    public long? Kept_First_Response { get; set; }

    /// <summary>The resolution's business time kept in <c>sp_report_business_times</c> (ticks), when still valid.</summary>
    public long? Kept_Resolution { get; set; }
}

internal sealed class BreachRow
{
    public long Ticket_Id { get; set; }
    public long At_Ms { get; set; }
    public string Data { get; set; } = "";
    public string Subject { get; set; } = "";
    public int Priority { get; set; }
}

internal sealed class UsageRow
{
    public string Period { get; set; } = "";
    public long Started_At_Ms { get; set; }
    public int Counted_Minutes { get; set; }
}

internal sealed class AllowancePeriodRow
{
    public string Period { get; set; } = "";
    public int Allowance_Minutes { get; set; }
    public int Used_Minutes { get; set; }
    public int Overage_Minutes { get; set; }
}

internal sealed class SystemRow
{
    public string Id { get; set; } = "";
    public string Name { get; set; } = "";
    public long Created_At_Ms { get; set; }
    public string? Rules { get; set; }
}

internal sealed class ChangeRow
{
    public string System_Id { get; set; } = "";
    public long At_Ms { get; set; }
    public string To_State { get; set; } = "";
}

internal sealed class WindowRow
{
    public string System_Id { get; set; } = "";
    public long Starts_At_Ms { get; set; }
    public long Ends_At_Ms { get; set; }
}

internal sealed class MailRow
{
    public long Received_At_Ms { get; set; }

    public long New_Ticket { get; set; }

    public long Answered { get; set; }
}

internal sealed class AlertCountRow
{
    public string System_Id { get; set; } = "";
    public string Name { get; set; } = "";
    public string Host_Name { get; set; } = "";
    public string Check_Name { get; set; } = "";
    public string Category { get; set; } = "";
    public long Alerts { get; set; }
}

internal sealed class CallRow
{
    public string Outcome { get; set; } = "";
    public long? Answered_At_Ms { get; set; }
}

internal sealed class SettingsRow
{
    public string Account_Id { get; set; } = "";
    public int Weekly_Enabled { get; set; }
    public int Weekly_Day { get; set; }
    public int Weekly_Hour { get; set; }
    public int Monthly_Enabled { get; set; }
    public int Monthly_Hour { get; set; }
    public string Recipients { get; set; } = "[]";
    public string Updated_By { get; set; } = "";
    public long Updated_At_Ms { get; set; }
}

internal sealed class RunRow
{
    public string Account_Id { get; set; } = "";
    public string Kind { get; set; } = "";
    public string Period { get; set; } = "";
    public long Period_Start_Ms { get; set; }
    public long Period_End_Ms { get; set; }
    public string Sent_Via { get; set; } = "";
    public string Sent_By { get; set; } = "";
    public string Recipients { get; set; } = "[]";
    public string Subject { get; set; } = "";
    public long Sent_At_Ms { get; set; }
}

internal sealed class NextStepRow
{
    public string Id { get; set; } = "";
    public string Account_Id { get; set; } = "";
    public string Body { get; set; } = "";
    public string Status { get; set; } = "";
    public string? Agreed_In { get; set; }
    public string Created_By { get; set; } = "";
    public long Created_At_Ms { get; set; }
    public long Updated_At_Ms { get; set; }
    public long? Done_At_Ms { get; set; }
}

internal sealed class NoteRow
{
    public string Id { get; set; } = "";
    public string Kind { get; set; } = "";
    public string Period { get; set; } = "";
    public string Body { get; set; } = "";
    public string Author { get; set; } = "";
    public long Created_At_Ms { get; set; }
    public string? Rules { get; set; }
}
