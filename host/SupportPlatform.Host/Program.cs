var builder = WebApplication.CreateBuilder(args);
var app = builder.Build();
app.MapGet("/", () => "SupportPlatform");
app.Run();

/// <summary>Entry point, public so functional tests can host it with WebApplicationFactory.</summary>
public partial class Program;
