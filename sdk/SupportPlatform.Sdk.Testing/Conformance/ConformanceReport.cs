using System.Text;

namespace SupportPlatform.Sdk.Testing.Conformance;

/// <summary>The outcome of one conformance check.</summary>
/// <param name="Capability">The capability checked (<c>webhook</c>, <c>health-check</c>...).</param>
/// <param name="Check">What was checked, as a sentence.</param>
/// <param name="Passed">Whether the plugin behaved as the host needs.</param>
/// <param name="Detail">What happened (on failure: what was wrong and what to do).</param>
public sealed record ConformanceResult(string Capability, string Check, bool Passed, string Detail);

/// <summary>All the checks of one conformance run. Call <see cref="ThrowIfFailed"/> from any test framework.</summary>
public sealed class ConformanceReport
{
    private readonly List<ConformanceResult> results = [];

    /// <summary>Every check, in the order run.</summary>
    public IReadOnlyList<ConformanceResult> Results => results;

    /// <summary>The checks that failed.</summary>
    public IReadOnlyList<ConformanceResult> Failures => [.. results.Where(r => !r.Passed)];

    /// <summary>Whether every check passed (and at least one ran).</summary>
    public bool Passed => results.Count > 0 && results.All(r => r.Passed);

    /// <summary>Adds the results of another report.</summary>
    /// <param name="other">The other report.</param>
    /// <returns>This report.</returns>
    public ConformanceReport Add(ConformanceReport other)
    {
        ArgumentNullException.ThrowIfNull(other);
        results.AddRange(other.results);
        return this;
    }

    /// <summary>Records one check.</summary>
    /// <param name="capability">The capability.</param>
    /// <param name="check">What was checked.</param>
    /// <param name="passed">Whether it passed.</param>
    /// <param name="detail">What happened.</param>
    public void Record(string capability, string check, bool passed, string detail) =>
        results.Add(new ConformanceResult(capability, check, passed, detail));

    /// <summary>Throws <see cref="ConformanceException"/> listing every failed check, or when no check ran.</summary>
    public void ThrowIfFailed()
    {
        if (results.Count == 0)
        {
            throw new ConformanceException("No conformance check ran: give the checks something to test.");
        }

        if (!Passed)
        {
            throw new ConformanceException(ToString());
        }
    }

    /// <inheritdoc />
    public override string ToString()
    {
        var text = new StringBuilder();
        text.Append(results.Count(r => r.Passed)).Append(" of ").Append(results.Count).AppendLine(" conformance checks passed.");
        foreach (var r in results)
        {
            text.Append(r.Passed ? "  ok   " : "  FAIL ").Append('[').Append(r.Capability).Append("] ").Append(r.Check);
            text.Append(r.Passed ? "" : ": " + r.Detail).AppendLine();
        }

        return text.ToString();
    }
}

/// <summary>A plugin failed conformance checks; the message lists each.</summary>
public sealed class ConformanceException : Exception
{
    /// <summary>Creates the exception.</summary>
    public ConformanceException()
    {
    }

    /// <summary>Creates the exception.</summary>
    /// <param name="message">The report.</param>
    public ConformanceException(string message) : base(message)
    {
    }

    /// <summary>Creates the exception.</summary>
    /// <param name="message">The report.</param>
    /// <param name="innerException">The cause.</param>
    public ConformanceException(string message, Exception innerException) : base(message, innerException)
    {
    }
}
