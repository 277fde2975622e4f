using System.Globalization;
using System.Text.RegularExpressions;

namespace Trace.Jit.Tests;

/// <summary>
/// Random edits of printed IR for the fuzz test: characters and tokens deleted, inserted, duplicated or
/// replaced, digits changed, numbers made huge, text truncated, lines swapped, deleted or borrowed from other
/// graphs, brackets nested deeply, dtypes swapped and value references rewired.
/// </summary>
internal static partial class IrMutator
{
    private const string Alphabet = "%():,[]<>=\"\\-.+0123456789e \nafxTFi_";
    private static readonly string[] HugeNumbers =
        ["99999999999999999999", "2147483648", "-2147483649", "4294967296", "9223372036854775808", "-1", "0", "-0", "1e400", "1e-400", "65536", "nan", "-inf"];
    private static readonly string[] DTypes = ["Float(", "Double(", "Long(", "Int(", "Bool("];

    [GeneratedRegex("""%[^\s,()\[\]<>:=%"]+|"(?:\\.|[^"\\])*"|[A-Za-z_][A-Za-z0-9_]*(?:::[A-Za-z0-9_]+)*|-?\d[\w.+-]*|\S""")]
    private static partial Regex Tokens();

    [GeneratedRegex(@"%[^\s,()\[\]<>:=%""]+")]
    private static partial Regex Names();

    [GeneratedRegex(@"-?\d[\w.+-]*")]
    private static partial Regex Numbers();

    /// <summary>One to three edits of <paramref name="text"/>; <paramref name="what"/> lists them.</summary>
    public static string Mutate(string text, Random rng, IReadOnlyList<string> otherLines, out string what)
    {
        int edits = rng.Next(4) == 0 ? rng.Next(2, 4) : 1;
        var done = new List<string>();
        for (int k = 0; k < edits && text.Length > 0; k++)
        {
            var (next, name) = MutateOnce(text, rng, otherLines);
            text = next;
            done.Add(name);
        }
        what = string.Join(", ", done);
        return text;
    }

    private static (string, string) MutateOnce(string s, Random rng, IReadOnlyList<string> otherLines)
    {
        int p = rng.Next(s.Length);
        // The edits that keep the syntax (digits, numbers, dtypes, references) are drawn twice as often: they reach the verifier and the executors.
        int kind = rng.Next(19);
        switch (kind < 15 ? kind : new[] { 6, 7, 12, 13 }[kind - 15])
        {
            case 0: return (s.Remove(p, 1), $"delete char {p}");
            case 1: return (s.Insert(p, Alphabet[rng.Next(Alphabet.Length)].ToString()), $"insert char at {p}");
            case 2:
            {
                int n = Math.Min(rng.Next(1, 12), s.Length - p);
                return (s.Insert(p, s.Substring(p, n)), $"duplicate {n} chars at {p}");
            }
            case 3: return Token(s, rng, t => "", "delete token");
            case 4: return Token(s, rng, t => t.Value + " " + t.Value, "duplicate token");
            case 5:
            {
                var all = Tokens().Matches(s);
                var other = all[rng.Next(all.Count)].Value;
                return Token(s, rng, _ => other, $"replace token by '{other}'");
            }
            case 6:
            {
                var digits = Enumerable.Range(0, s.Length).Where(i => char.IsAsciiDigit(s[i])).ToList();
                if (digits.Count == 0) return (s, "no digit");
                int i = digits[rng.Next(digits.Count)];
                return (s[..i] + (char)('0' + rng.Next(10)) + s[(i + 1)..], $"change digit {i}");
            }
            case 7:
            {
                var numbers = Numbers().Matches(s);
                if (numbers.Count == 0) return (s, "no number");
                var m = numbers[rng.Next(numbers.Count)];
                var huge = HugeNumbers[rng.Next(HugeNumbers.Length)];
                return (s[..m.Index] + huge + s[(m.Index + m.Length)..], $"number {m.Value} -> {huge}");
            }
            case 8: return (s[..p], $"truncate at {p}");
            case 9:
            {
                var lines = s.Split('\n');
                int a = rng.Next(lines.Length), b = rng.Next(lines.Length);
                (lines[a], lines[b]) = (lines[b], lines[a]);
                return (string.Join('\n', lines), $"swap lines {a} and {b}");
            }
            case 10:
            {
                var lines = s.Split('\n').ToList();
                int a = rng.Next(lines.Count);
                bool delete = rng.Next(2) == 0;
                if (delete) lines.RemoveAt(a);
                else lines.Insert(a, lines[a]);
                return (string.Join('\n', lines), $"{(delete ? "delete" : "duplicate")} line {a}");
            }
            case 11:
            {
                char open = "([<"[rng.Next(3)];
                int depth = new[] { 1, 2, 100, 10_000 }[rng.Next(4)];
                var nested = new string(open, depth);
                if (rng.Next(2) == 0) nested += "%0" + new string(open switch { '(' => ')', '[' => ']', _ => '>' }, depth);
                return (s.Insert(p, nested), $"nest {depth} '{open}' at {p}");
            }
            case 12:
            {
                var from = DTypes[rng.Next(DTypes.Length)];
                int i = s.IndexOf(from, rng.Next(s.Length), StringComparison.Ordinal);
                if (i < 0) i = s.IndexOf(from, StringComparison.Ordinal);
                if (i < 0) return (s, $"no {from}");
                var to = DTypes[rng.Next(DTypes.Length)];
                return (s[..i] + to + s[(i + from.Length)..], $"dtype {from} -> {to} at {i}");
            }
            case 13:
            {
                var names = Names().Matches(s);
                if (names.Count < 2) return (s, "no names");
                var m = names[rng.Next(names.Count)];
                var other = names[rng.Next(names.Count)].Value;
                return (s[..m.Index] + other + s[(m.Index + m.Length)..], $"rewire {m.Value} -> {other} at {m.Index}");
            }
            default:
            {
                var lines = s.Split('\n').ToList();
                int a = rng.Next(lines.Count);
                var line = otherLines[rng.Next(otherLines.Count)];
                lines.Insert(a, line);
                return (string.Join('\n', lines), string.Create(CultureInfo.InvariantCulture, $"insert foreign line at {a}"));
            }
        }
    }

    private static (string, string) Token(string s, Random rng, Func<Match, string> replace, string name)
    {
        var all = Tokens().Matches(s);
        if (all.Count == 0) return (s, "no token");
        var m = all[rng.Next(all.Count)];
        return (s[..m.Index] + replace(m) + s[(m.Index + m.Length)..], $"{name} '{m.Value}' at {m.Index}");
    }
}
