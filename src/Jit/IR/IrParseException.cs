using System.Globalization;

namespace Trace.Jit;

/// <summary>
/// The one error <see cref="Parser"/> raises for malformed IR text, at a 1-based line and column:
/// <c>IR parse error at 3:17: expected ')', found ','</c>.
/// </summary>
public sealed class IrParseException : FormatException
{
    /// <summary>Creates the error for <paramref name="detail"/> at <paramref name="line"/>:<paramref name="column"/>.</summary>
    public IrParseException(int line, int column, string detail)
        : base(string.Create(CultureInfo.InvariantCulture, $"IR parse error at {line}:{column}: {detail}."))
    {
        Line = line;
        Column = column;
        Detail = detail;
    }

    /// <summary>The line of the offending text, from 1.</summary>
    public int Line { get; }

    /// <summary>The column of the offending text within its line, from 1.</summary>
    public int Column { get; }

    /// <summary>What is wrong, without the position.</summary>
    public string Detail { get; }
}
