using System.Reflection;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using SupportPlatform.Plugins.Hosting.Runtime;
using SupportPlatform.Sdk;
using SupportPlatform.Sdk.Webhooks;

namespace SupportPlatform.Plugins.Hosting.Loading;

/// <summary>
/// Turns a plugins folder into registry entries: one subfolder, one plugin, one load context. Everything is checked
/// before any plugin code runs (manifest, paths, SDK version, duplicate ids, configuration); anything a plugin throws
/// while loading marks that plugin Failed and the next one is loaded.
/// </summary>
internal sealed partial class PluginCatalogLoader(
    IPluginAssemblyLoader assemblyLoader,
    IConfiguration configuration,
    IServiceProvider hostServices,
    TimeProvider timeProvider,
    ILoggerFactory loggerFactory)
{
    private readonly ILogger _logger = loggerFactory.CreateLogger<PluginCatalogLoader>();

    /// <summary>The SDK interfaces marked <see cref="HostServiceAttribute"/>: what the host may hand to plugins.</summary>
    internal static readonly IReadOnlyList<Type> HostServiceContracts = [.. typeof(IPlugin).Assembly.GetExportedTypes()
        .Where(t => t.IsInterface && t.IsDefined(typeof(HostServiceAttribute), inherit: false))];

    /// <summary>The SDK this host provides: the version of the SupportPlatform.Sdk assembly actually loaded.</summary>
    internal static readonly Version HostSdkVersion = PluginFolderCheck.HostSdkVersion;

    public IReadOnlyList<PluginEntry> LoadAll(string pluginsPath, string pluginDataPath)
    {
        var root = Path.GetFullPath(pluginsPath);
        if (!Directory.Exists(root))
        {
            LogNoPluginsFolder(_logger, root, PluginHostOptions.PathConfigurationKey);
            return [];
        }

        var entries = new List<PluginEntry>();
        var seenIds = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        foreach (var folder in Directory.GetDirectories(root).Order(StringComparer.Ordinal))
        {
            PluginEntry entry;
            try
            {
                entry = LoadOne(folder, Path.GetFullPath(pluginDataPath), seenIds);
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                // An unreadable folder (permissions, a symbolic link loop) is that plugin's problem, not the host's.
                entry = Refused(Placeholder(Path.GetFileName(folder), folder), PluginStatus.Invalid,
                    $"The plugin folder could not be read: {ex.Message}");
            }

            if (entry.Info.Status == PluginStatus.Loaded)
            {
                LogLoaded(_logger, entry.Info.Id, entry.Info.Version, folder);
            }
            else
            {
                LogNotLoaded(_logger, entry.Info.Id, entry.Info.Status, entry.Info.Reason, folder);
            }

            entries.Add(entry);
        }

        return entries;
    }

    private PluginEntry LoadOne(string folder, string pluginDataPath, Dictionary<string, string> seenIds)
    {
        var (manifest, manifestProblem) = PluginFolderCheck.ReadManifest(folder);
        if (manifest is null)
        {
            return Refused(Placeholder(Path.GetFileName(folder), folder), PluginStatus.Invalid, manifestProblem!);
        }

        var info = new PluginInfo(manifest.Id, manifest.Name, manifest.Version, manifest.SdkVersion, manifest.Capabilities, folder,
            PluginStatus.Invalid, null, null, manifest.ConfigSchema);

        if (seenIds.TryGetValue(manifest.Id, out var firstFolder))
        {
            return Refused(info, PluginStatus.Invalid,
                $"Another plugin with id '{manifest.Id}' was already found in folder '{Path.GetFileName(firstFolder)}'; remove one of the two folders.");
        }

        seenIds.Add(manifest.Id, folder);

        var section = configuration.GetSection($"Plugins:{manifest.Id}");
        if (bool.TryParse(section["Enabled"], out var enabled) && !enabled)
        {
            return new PluginEntry(info with { Status = PluginStatus.Disabled, Reason = $"Disabled by configuration (Plugins:{manifest.Id}:Enabled=false)." }, null);
        }

        var (status, problem, entryPath) = PluginFolderCheck.CheckFiles(folder, manifest);
        return problem is not null ? Refused(info, status, problem) : Load(info, manifest, entryPath, section, pluginDataPath);
    }

    private PluginEntry Load(PluginInfo info, PluginManifest manifest, string entryPath, IConfigurationSection section, string pluginDataPath)
    {
        IPluginAssemblyContext? assemblyContext = null;
        ServiceProvider? provider = null;
        try
        {
            assemblyContext = assemblyLoader.Load(entryPath);
            if (TouchExportedTypes(assemblyContext.EntryAssembly) is { } binaryBreak)
            {
                assemblyContext.Dispose();
                return Refused(info, PluginStatus.Incompatible, binaryBreak);
            }

            var entryTypes = assemblyContext.EntryAssembly.GetExportedTypes()
                .Where(t => t.IsClass && !t.IsAbstract && typeof(IPlugin).IsAssignableFrom(t))
                .ToList();
            if (entryTypes.Count != 1)
            {
                assemblyContext.Dispose();
                return Refused(info, PluginStatus.Invalid, entryTypes.Count == 0
                    ? $"{manifest.EntryAssembly} has no public non-abstract class implementing {nameof(IPlugin)}. (If it does, the plugin folder probably ships its own {SdkReferenceReader.SdkAssemblyName}.dll: reference the SDK with ExcludeAssets=\"runtime\".)"
                    : $"{manifest.EntryAssembly} has {entryTypes.Count} classes implementing {nameof(IPlugin)} ({string.Join(", ", entryTypes.Select(t => t.FullName))}); a plugin has exactly one.");
            }

            var dataFolder = Path.Combine(pluginDataPath, manifest.Id);
            Directory.CreateDirectory(dataFolder);
            var context = new PluginContext(manifest.Id, info.Folder, dataFolder, section);

            var plugin = (IPlugin)Activator.CreateInstance(entryTypes[0])!;
            var services = CreatePluginServices(context, section);
            plugin.ConfigureServices(services, context);
            provider = services.BuildServiceProvider(new ServiceProviderOptions { ValidateOnBuild = true, ValidateScopes = true });

            // Create the host-run capabilities now, so a constructor that throws fails the plugin at load, not later.
            _ = provider.GetServices<IPluginHealthCheck>().ToList();
            _ = provider.GetServices<IPluginBackgroundService>().ToList();
            var hooks = provider.GetServices<IWebhookHandler>().ToList();
            if (hooks.Count > 1)
            {
                provider.Dispose();
                assemblyContext.Dispose();
                return Refused(info, PluginStatus.Invalid,
                    $"The plugin registers {hooks.Count} {nameof(IWebhookHandler)}s ({string.Join(", ", hooks.Select(h => h.GetType().Name))}); a plugin has at most one, which receives every path under /hooks/{manifest.Id}/.");
            }

            return new PluginEntry(info with { Status = PluginStatus.Loaded }, new LoadedPlugin(assemblyContext, provider));
        }
        catch (Exception ex)
        {
            // The plugin's code threw while loading; keep the host going without it.
            provider?.Dispose();
            assemblyContext?.Dispose();
            var entry = Refused(info, PluginStatus.Failed, $"Loading failed: {PluginRegistry.Describe("the plugin", ex)}");
            LogLoadFailed(_logger, ex, info.Id);
            return entry;
        }
    }

    private ServiceCollection CreatePluginServices(PluginContext context, IConfigurationSection section)
    {
        var services = new ServiceCollection();

        // What a plugin may use from the host; instances it did not create are never disposed by its provider.
        services.AddSingleton(loggerFactory);
        services.AddSingleton(typeof(ILogger<>), typeof(Logger<>));
        services.AddSingleton(timeProvider);
        services.AddSingleton<IConfiguration>(section);
        services.AddSingleton(context);
        if (hostServices.GetService<IHttpClientFactory>() is { } httpClientFactory)
        {
            services.AddSingleton(httpClientFactory);
        }

        services.AddSingleton(hostServices.GetRequiredService<HookAddresses>().ForPlugin(context.PluginId));

        // The SDK interfaces the host implements ([HostService]) and has an implementation of: resolved from the
        // host when the plugin first asks, so a module's service is created once and shared by every plugin.
        var hostHas = hostServices.GetService<IServiceProviderIsService>();
        foreach (var contract in HostServiceContracts)
        {
            if (hostHas?.IsService(contract) == true)
            {
                services.AddSingleton(contract, _ => hostServices.GetRequiredService(contract));
            }
        }

        return services;
    }

    /// <summary>
    /// Loads every exported type and its members' signatures (as Jellyfin does), so that a plugin built against
    /// other versions of its dependencies fails here, at load, rather than in the middle of a call later.
    /// </summary>
    private static string? TouchExportedTypes(Assembly assembly)
    {
        try
        {
            foreach (var type in assembly.GetExportedTypes())
            {
                _ = type.GetInterfaces();
                foreach (var method in type.GetMethods(BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.Instance | BindingFlags.Static | BindingFlags.DeclaredOnly))
                {
                    _ = method.ReturnType;
                    _ = method.GetParameters();
                }
            }

            return null;
        }
        catch (Exception ex) when (ex is ReflectionTypeLoadException or TypeLoadException or FileNotFoundException or FileLoadException or MissingMemberException or BadImageFormatException)
        {
            var detail = ex is ReflectionTypeLoadException rtle
                ? string.Join("; ", rtle.LoaderExceptions.Where(e => e is not null).Select(e => e!.Message).Distinct())
                : ex.Message;
            return $"{assembly.GetName().Name} is binary incompatible with this host or with the assemblies in its folder: {detail} Rebuild the plugin against SDK {HostSdkVersion.Major}.{HostSdkVersion.Minor}.";
        }
    }

    private PluginEntry Refused(PluginInfo info, PluginStatus status, string reason) =>
        new(info with { Status = status, Reason = reason, LastErrorAt = timeProvider.GetUtcNow() }, null);

    private static PluginInfo Placeholder(string folderName, string folder) =>
        new(folderName, null, null, null, [], folder, PluginStatus.Invalid, null, null, null);

    [LoggerMessage(Level = LogLevel.Warning, Message = "The plugins folder '{Folder}' does not exist, so no plugin was loaded (set {ConfigurationKey} to change it).")]
    private static partial void LogNoPluginsFolder(ILogger logger, string folder, string configurationKey);

    [LoggerMessage(Level = LogLevel.Information, Message = "Plugin '{PluginId}' {Version} loaded from '{Folder}'.")]
    private static partial void LogLoaded(ILogger logger, string pluginId, string? version, string folder);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Plugin '{PluginId}' not loaded ({Status}): {Reason} (folder '{Folder}')")]
    private static partial void LogNotLoaded(ILogger logger, string pluginId, PluginStatus status, string? reason, string folder);

    [LoggerMessage(Level = LogLevel.Error, Message = "Plugin '{PluginId}' threw while loading; the host continues without it.")]
    private static partial void LogLoadFailed(ILogger logger, Exception exception, string pluginId);
}
