using System.Collections;
using System.Reflection;

namespace SupportPlatform.Templates.Contracts;

/// <summary>
/// Builds an instance of a model type with every member filled (strings named after their member, one element in
/// every list), so a template previewed or validated against it reaches every member and loop body, and a kind's
/// sample model has the shape of the real one by construction (it is built by the same code from a sample of the real
/// input type). Hand-written: no library builds records through their primary constructors with meaningful text.
/// </summary>
public static class SampleValues
{
    private const int MaxDepth = 6;

    /// <summary>A sample <typeparamref name="T"/>.</summary>
    public static T Create<T>() => (T)Create(typeof(T), typeof(T).Name, 0)!;

    /// <summary>A sample of <paramref name="type"/>; <paramref name="name"/> (a member name) picks fitting text.</summary>
    public static object? Create(Type type, string name, int depth)
    {
        var underlying = Nullable.GetUnderlyingType(type);
        if (underlying is not null)
        {
            return Create(underlying, name, depth);
        }

        if (type == typeof(string))
        {
            return Text(name);
        }

        if (type == typeof(bool))
        {
            return true;
        }

        if (type.IsEnum)
        {
            var values = Enum.GetValues(type);
            return values.Length > 0 ? values.GetValue(0) : Activator.CreateInstance(type);
        }

        if (type == typeof(int) || type == typeof(long) || type == typeof(short))
        {
            return Convert.ChangeType(3, type, System.Globalization.CultureInfo.InvariantCulture);
        }

        if (type == typeof(double) || type == typeof(float) || type == typeof(decimal))
        {
            return Convert.ChangeType(97.5, type, System.Globalization.CultureInfo.InvariantCulture);
        }

        if (type == typeof(DateTimeOffset))
        {
            return new DateTimeOffset(2026, 11, 2, 9, 30, 0, TimeSpan.Zero);
        }

        if (type == typeof(DateTime))
        {
            return new DateTime(2026, 11, 2, 9, 30, 0, DateTimeKind.Utc);
        }

        if (type == typeof(DateOnly))
        {
            return new DateOnly(2026, 11, 2);
        }

        if (type == typeof(TimeOnly))
        {
            return new TimeOnly(9, 30);
        }

        if (type == typeof(TimeSpan))
        {
            return TimeSpan.FromMinutes(90);
        }

        if (type == typeof(Guid))
        {
            return Guid.Parse("6f1d2c1e-0000-4000-8000-000000000001");
        }

        if (type == typeof(byte[]))
        {
            return new byte[] { 137, 80, 78, 71 };
        }

        if (type == typeof(object))
        {
            return Text(name);
        }

        if (depth >= MaxDepth)
        {
            return null;
        }

        if (type.IsArray)
        {
            var element = type.GetElementType()!;
            var array = Array.CreateInstance(element, 1);
            array.SetValue(Create(element, name, depth + 1), 0);
            return array;
        }

        if (type.IsGenericType && DictionaryOf(type) is { } kv)
        {
            var dictionary = (IDictionary)Activator.CreateInstance(typeof(Dictionary<,>).MakeGenericType(kv.Key, kv.Value))!;
            dictionary.Add(Create(kv.Key, name, depth + 1)!, Create(kv.Value, name, depth + 1));
            return dictionary;
        }

        if (type.IsGenericType && ElementOf(type) is { } item)
        {
            var list = (IList)Activator.CreateInstance(typeof(List<>).MakeGenericType(item))!;
            list.Add(Create(item, name, depth + 1));
            return list;
        }

        if (type.IsAbstract || type.IsInterface)
        {
            return null;
        }

        // Public constructors only (a record's copy constructor is protected; it would need an instance to copy).
        var constructor = type.GetConstructors(BindingFlags.Public | BindingFlags.Instance)
            .Where(c => !(c.GetParameters() is [var only] && only.ParameterType == type))
            .OrderByDescending(c => c.GetParameters().Length).FirstOrDefault();
        if (constructor is null)
        {
            return type.IsValueType ? Activator.CreateInstance(type) : null;
        }

        var parameters = constructor.GetParameters();
        var instance = constructor.Invoke([.. parameters.Select(p => Create(p.ParameterType, p.Name ?? name, depth + 1))]);
        foreach (var property in type.GetProperties(BindingFlags.Public | BindingFlags.Instance))
        {
            // Members outside the constructor (init-only or settable) get a value too: all of them after a parameterless
            // constructor (required members), else those still without one.
            if (property.SetMethod is { } setter && property.GetIndexParameters().Length == 0 && (parameters.Length == 0 || property.GetValue(instance) is null))
            {
                setter.Invoke(instance, [Create(property.PropertyType, property.Name, depth + 1)]);
            }
        }

        return instance;
    }

    private static string Text(string name)
    {
        var n = name.ToLowerInvariant();
        return n switch
        {
            _ when n.Contains("zone", StringComparison.Ordinal) => "Europe/London",
            _ when n.Contains("email", StringComparison.Ordinal) || n.Contains("address", StringComparison.Ordinal) && !n.Contains("street", StringComparison.Ordinal) => "jane@client.example",
            _ when n.Contains("url", StringComparison.Ordinal) || n.Contains("link", StringComparison.Ordinal) => "https://support.msp.example/portal",
            _ when n.Contains("currency", StringComparison.Ordinal) => "EUR",
            _ when n.Contains("country", StringComparison.Ordinal) => "GB",
            _ when n.Contains("period", StringComparison.Ordinal) => "2026-11",
            _ when n.Contains("kind", StringComparison.Ordinal) => "monthly",
            _ => $"Sample {name}",
        };
    }

    private static KeyValuePair<Type, Type>? DictionaryOf(Type type)
    {
        var definition = type.GetGenericTypeDefinition();
        if (definition == typeof(IReadOnlyDictionary<,>) || definition == typeof(IDictionary<,>) || definition == typeof(Dictionary<,>))
        {
            var args = type.GetGenericArguments();
            return new(args[0], args[1]);
        }

        return null;
    }

    private static Type? ElementOf(Type type)
    {
        var definition = type.GetGenericTypeDefinition();
        return definition == typeof(IReadOnlyList<>) || definition == typeof(IList<>) || definition == typeof(List<>)
            || definition == typeof(IEnumerable<>) || definition == typeof(IReadOnlyCollection<>) || definition == typeof(ICollection<>)
            ? type.GetGenericArguments()[0]
            : null;
    }
}
