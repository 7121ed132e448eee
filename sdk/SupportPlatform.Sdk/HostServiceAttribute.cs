namespace SupportPlatform.Sdk;

/// <summary>
/// Marks an SDK interface that the host implements and hands to plugins: a plugin takes it as a constructor
/// parameter of any service it registers (for example an IMAP poller takes <c>IInboundMailSink</c>).
/// </summary>
/// <remarks>
/// The host adds every such interface that one of its modules implements to each plugin's own service collection
/// before <see cref="IPlugin.ConfigureServices"/> runs. When the host has no implementation (the module is not
/// installed), the interface is simply not there and a plugin that requires it fails to load with a message that
/// names it.
/// </remarks>
[AttributeUsage(AttributeTargets.Interface, AllowMultiple = false, Inherited = false)]
public sealed class HostServiceAttribute : Attribute
{
}
