using System.Reflection;
using McMaster.NETCore.Plugins;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using SupportPlatform.Sdk;

namespace SupportPlatform.Plugins.Hosting.Loading;

/// <summary>
/// Loads a plugin's entry assembly into a load context of its own. Our seam over McMaster.NETCore.Plugins, which is in
/// maintenance mode: replacing it (for example by a plain AssemblyLoadContext + AssemblyDependencyResolver) touches
/// only the implementation below.
/// </summary>
internal interface IPluginAssemblyLoader
{
    IPluginAssemblyContext Load(string entryAssemblyPath);
}

internal interface IPluginAssemblyContext : IDisposable
{
    Assembly EntryAssembly { get; }
}

internal sealed class McMasterPluginAssemblyLoader : IPluginAssemblyLoader
{
    /// <summary>
    /// The types whose assemblies (and their dependencies) come from the host, so that a plugin's IPlugin,
    /// IServiceCollection, IConfiguration and ILogger are the host's types (type identity across load contexts).
    /// Nothing else is shared: a plugin may ship other versions of any other library.
    /// </summary>
    internal static readonly Type[] SharedTypes =
    [
        typeof(IPlugin),
        typeof(IServiceCollection),
        typeof(IConfiguration),
        typeof(ILogger),
        typeof(ILoggerFactory),
        typeof(IHttpClientFactory),
    ];

    public IPluginAssemblyContext Load(string entryAssemblyPath)
    {
        var loader = PluginLoader.CreateFromAssemblyFile(entryAssemblyPath, SharedTypes);
        try
        {
            return new Context(loader, loader.LoadDefaultAssembly());
        }
        catch
        {
            loader.Dispose();
            throw;
        }
    }

    private sealed class Context(PluginLoader loader, Assembly entryAssembly) : IPluginAssemblyContext
    {
        public Assembly EntryAssembly { get; } = entryAssembly;

        public void Dispose() => loader.Dispose();
    }
}
