using System.Globalization;

namespace Trace.Optim;

/// <summary>Formats a double as Python's <c>repr</c> does (<c>nan</c>, <c>inf</c>, <c>1.0</c>, <c>1e-08</c>), so that messages read like PyTorch's.</summary>
internal static class PyFloat
{
    /// <summary>The shortest text that round-trips, in Python's layout: fixed for 1e-4 ≤ |v| &lt; 1e16, scientific otherwise.</summary>
    public static string Repr(double v)
    {
        if (double.IsNaN(v)) return "nan";
        if (double.IsInfinity(v)) return v > 0 ? "inf" : "-inf";
        string sign = double.IsNegative(v) ? "-" : "";
        var r = Math.Abs(v).ToString("R", CultureInfo.InvariantCulture);
        int e = r.IndexOf('E');
        int exp = e < 0 ? 0 : int.Parse(r.AsSpan(e + 1), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture);
        var mantissa = e < 0 ? r : r[..e];
        int dot = mantissa.IndexOf('.');
        int point = (dot < 0 ? mantissa.Length : dot) + exp;   // value = 0.digits × 10^point
        var digits = mantissa.Replace(".", "");
        int lead = digits.Length - digits.TrimStart('0').Length;
        digits = digits.TrimStart('0').TrimEnd('0');
        point -= lead;
        if (digits.Length == 0) return sign + "0.0";
        int x = point - 1;                                      // the exponent of scientific notation
        if (x < -4 || x >= 16)
            return sign + digits[0] + (digits.Length > 1 ? "." + digits[1..] : "") + "e" + (x < 0 ? "-" : "+") + Math.Abs(x).ToString("00", CultureInfo.InvariantCulture);
        if (point <= 0) return sign + "0." + new string('0', -point) + digits;
        if (point >= digits.Length) return sign + digits + new string('0', point - digits.Length) + ".0";
        return sign + digits[..point] + "." + digits[point..];
    }
}
