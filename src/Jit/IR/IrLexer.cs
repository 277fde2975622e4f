using System.Text;

namespace Trace.Jit;

/// <summary>The kinds of <see cref="IrToken"/>.</summary>
internal enum IrTokenKind
{
    /// <summary>A value reference or declaration, <c>%fc1.weight</c> (text without the '%').</summary>
    Name,
    /// <summary>A word: an op kind (<c>aten::add</c>), a type (<c>Float</c>), a keyword (<c>graph</c>, <c>return</c>, <c>with</c>), <c>nan</c>, <c>inf</c>.</summary>
    Word,
    /// <summary>A number as written (<c>-7</c>, <c>1.</c>, <c>1e-05</c>, <c>-inf</c>); converted where its meaning is known.</summary>
    Number,
    /// <summary>A string literal (text unescaped, without the quotes).</summary>
    String,
    /// <summary>One of <c>( ) [ ] &lt; &gt; , : =</c>, or an operator of a symbolic size (<c>* + -</c>: <c>2*s0+1</c>).</summary>
    Punct,
    /// <summary>The end of the text.</summary>
    End,
}

/// <summary>One token and where it starts (1-based line and column).</summary>
internal readonly record struct IrToken(IrTokenKind Kind, string Text, int Line, int Column)
{
    /// <summary>The token as an error message quotes it.</summary>
    public string Describe() => Kind switch
    {
        IrTokenKind.End => "end of input",
        IrTokenKind.Name => $"'%{Shorten(Text)}'",
        IrTokenKind.String => $"string \"{Shorten(Text)}\"",
        _ => $"'{Shorten(Text)}'",
    };

    private static string Shorten(string s) => s.Length <= 40 ? s : s[..40] + "…";
}

/// <summary>
/// Splits IR text into tokens with positions. Whitespace (newlines included) only separates tokens. It never
/// recurses, so no input can exhaust the stack; malformed characters, numbers and strings raise
/// <see cref="IrParseException"/> at their position.
/// </summary>
internal static class IrLexer
{
    private const string Punctuation = "()[]<>,:=";

    /// <summary>All tokens of <paramref name="text"/>, ending with one <see cref="IrTokenKind.End"/>.</summary>
    public static List<IrToken> Tokenize(string text)
    {
        var tokens = new List<IrToken>();
        int i = 0, line = 1, lineStart = 0;
        while (true)
        {
            while (i < text.Length && char.IsWhiteSpace(text[i]))
            {
                if (text[i] == '\n')
                {
                    line++;
                    lineStart = i + 1;
                }
                i++;
            }
            int column = i - lineStart + 1;
            if (i == text.Length)
            {
                tokens.Add(new IrToken(IrTokenKind.End, "", line, column));
                return tokens;
            }
            char c = text[i];
            int start = i;
            if (c == '%')
            {
                i++;
                while (i < text.Length && IsNameChar(text[i])) i++;
                if (i == start + 1) throw new IrParseException(line, column, "expected a value name after '%'");
                tokens.Add(new IrToken(IrTokenKind.Name, text[(start + 1)..i], line, column));
            }
            else if (c == '"')
            {
                var (value, end, newlines, lastNewline) = ReadString(text, i, line, column);
                tokens.Add(new IrToken(IrTokenKind.String, value, line, column));
                i = end;
                if (newlines > 0)
                {
                    line += newlines;
                    lineStart = lastNewline + 1;
                }
            }
            else if (char.IsAsciiDigit(c) || (c == '-' && i + 1 < text.Length && (char.IsAsciiDigit(text[i + 1]) || text[i + 1] == 'i')))
            {
                i++;
                while (i < text.Length && (char.IsAsciiLetterOrDigit(text[i]) || text[i] is '.' or '_' || (text[i] is '+' or '-' && text[i - 1] is 'e' or 'E'))) i++;
                var number = text[start..i];
                if (!IsNumber(number)) throw new IrParseException(line, column, $"malformed number '{Shorten(number)}'");
                tokens.Add(new IrToken(IrTokenKind.Number, number, line, column));
            }
            else if (char.IsAsciiLetter(c) || c == '_')
            {
                i++;
                while (i < text.Length)
                {
                    if (char.IsAsciiLetterOrDigit(text[i]) || text[i] == '_') i++;
                    else if (text[i] == ':' && i + 1 < text.Length && text[i + 1] == ':') i += 2;   // aten::add
                    else break;
                }
                tokens.Add(new IrToken(IrTokenKind.Word, text[start..i], line, column));
            }
            else if (Punctuation.Contains(c) || c is '*' or '+' || (c == '-' && i + 1 < text.Length && text[i + 1] == 's'))   // 2*s0+1, -s0
            {
                tokens.Add(new IrToken(IrTokenKind.Punct, c.ToString(), line, column));
                i++;
            }
            else throw new IrParseException(line, column, $"unexpected character '{Printable(c)}'");
        }
    }

    /// <summary>True when <paramref name="name"/> can be printed as a value name (<c>%name</c>) and parsed back.</summary>
    public static bool IsName(string name) => name.Length > 0 && name.All(IsNameChar);

    /// <summary>Characters of a value name: anything but whitespace, control characters and the IR's punctuation.</summary>
    private static bool IsNameChar(char c) => !char.IsWhiteSpace(c) && !char.IsControl(c) && !Punctuation.Contains(c) && c is not ('%' or '"');

    /// <summary>Integer (<c>-7</c>), decimal (<c>1.</c>, <c>0.5</c>) or exponent form (<c>1e-05</c>, <c>2.5e+20</c>), or <c>-inf</c>.</summary>
    private static bool IsNumber(string s)
    {
        if (s == "-inf") return true;
        int i = s[0] == '-' ? 1 : 0;
        int digits = Digits(s, ref i);
        if (digits == 0) return false;
        if (i < s.Length && s[i] == '.')
        {
            i++;
            Digits(s, ref i);
        }
        if (i < s.Length && s[i] is 'e' or 'E')
        {
            i++;
            if (i < s.Length && s[i] is '+' or '-') i++;
            if (Digits(s, ref i) == 0) return false;
        }
        return i == s.Length;
    }

    private static int Digits(string s, ref int i)
    {
        int start = i;
        while (i < s.Length && char.IsAsciiDigit(s[i])) i++;
        return i - start;
    }

    /// <summary>A string literal from the opening quote at <paramref name="open"/>: only <c>\"</c> and <c>\\</c> are escapes.</summary>
    private static (string Value, int End, int Newlines, int LastNewline) ReadString(string text, int open, int line, int column)
    {
        var sb = new StringBuilder();
        int newlines = 0, lastNewline = -1;
        for (int i = open + 1; i < text.Length; i++)
        {
            char c = text[i];
            if (c == '"') return (sb.ToString(), i + 1, newlines, lastNewline);
            if (c == '\\')
            {
                if (i + 1 >= text.Length || text[i + 1] is not ('"' or '\\'))
                    throw new IrParseException(line, column, "a string may only escape '\"' and '\\' with a backslash");
                c = text[++i];
            }
            else if (c == '\n')
            {
                newlines++;
                lastNewline = i;
            }
            sb.Append(c);
        }
        throw new IrParseException(line, column, "unterminated string (no closing '\"')");
    }

    private static string Printable(char c) => char.IsControl(c) || char.IsWhiteSpace(c) ? $"\\u{(int)c:x4}" : c.ToString();

    private static string Shorten(string s) => s.Length <= 40 ? s : s[..40] + "…";
}
