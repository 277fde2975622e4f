using System.Globalization;

namespace Trace.Jit;

/// <summary>Reads the text <see cref="Printer"/> writes; <c>Print(Parse(text)) == text</c>.</summary>
public static class Parser
{
    /// <summary>
    /// Parses a graph. <paramref name="tensorConstants"/> supplies the values of <c>&lt;Tensor:i&gt;</c>
    /// constants; <paramref name="template"/>, when the text was printed from a graph, restores node replay
    /// functions that text cannot hold.
    /// </summary>
    public static Graph Parse(string text, IReadOnlyList<Tensor>? tensorConstants = null, Graph? template = null)
    {
        // Fusion-group bodies follow the main graph as "with prim::FusionGroup_i = graph(...)" blocks.
        var blocks = text.Replace("\r\n", "\n").Split("\nwith ");
        var g = ParseOne(blocks[0], tensorConstants, template);
        var bodies = new Dictionary<string, Graph>();
        foreach (var block in blocks.Skip(1))
        {
            int eq = block.IndexOf(" = ", StringComparison.Ordinal);
            if (eq < 0) throw new FormatException("IR parse error: expected 'with <kind>_<i> = graph(...)'.");
            bodies[block[..eq]] = ParseOne(block[(eq + 3)..], null, null);
        }
        foreach (var n in g.Nodes.Where(n => n.Subgraph is null && n.PendingGroup is not null))
        {
            if (!bodies.TryGetValue(n.PendingGroup!, out var body))
                throw new FormatException($"IR parse error: {n.PendingGroup} has no 'with {n.PendingGroup} = graph(...)' block.");
            n.Subgraph = body;
            n.PendingGroup = null;
        }
        return g;
    }

    private static Graph ParseOne(string text, IReadOnlyList<Tensor>? tensorConstants, Graph? template)
    {
        var g = new Graph();
        if (tensorConstants is not null) g.TensorConstants.AddRange(tensorConstants);
        var env = new Dictionary<string, Value>();
        var lines = text.Replace("\r\n", "\n").Split('\n');
        int li = 0;
        // Header: graph(%a : T,\n %b : T):
        var header = new System.Text.StringBuilder();
        while (li < lines.Length)
        {
            header.Append(lines[li].Trim());
            if (lines[li++].TrimEnd().EndsWith("):", StringComparison.Ordinal)) break;
        }
        var h = header.ToString();
        if (!h.StartsWith("graph(", StringComparison.Ordinal)) throw Error(1, "expected 'graph('");
        var inner = h["graph(".Length..^2];
        foreach (var decl in SplitTopLevel(inner, ','))
        {
            if (decl.Length == 0) continue;
            var (name, type) = ParseDecl(decl, 1);
            env[name] = AtLine(1, () => g.AddNamedInput(name, type));
        }
        int nodeIndex = 0;
        for (; li < lines.Length; li++)
        {
            var line = lines[li].Trim();
            if (line.Length == 0) continue;
            if (line.StartsWith("return (", StringComparison.Ordinal))
            {
                foreach (var r in SplitTopLevel(line["return (".Length..^1], ','))
                    if (r.Length > 0) g.Outputs.Add(Lookup(env, r, li + 1));
                continue;
            }
            int ln = li + 1;
            var n = AtLine(ln, () => ParseNode(g, env, line, ln));
            if (template is not null && nodeIndex < template.Nodes.Count)
            {
                n.Replay = template.Nodes[nodeIndex].Replay;
                n.Compiled = template.Nodes[nodeIndex].Compiled;
            }
            nodeIndex++;
        }
        return g;
    }

    private static Node ParseNode(Graph g, Dictionary<string, Value> env, string line, int ln)
    {
        int eq = FindTopLevel(line, " = ");
        var outputs = new List<(string, JitType)>();
        string rhs = line;
        if (eq >= 0)
        {
            foreach (var decl in SplitTopLevel(line[..eq], ','))
                outputs.Add(ParseDecl(decl, ln));
            rhs = line[(eq + 3)..];
        }
        int paren = FindTopLevel(rhs, "(");
        if (paren < 0) throw Error(ln, "expected '(...)' after the op name");
        int bracket = rhs.IndexOf('[');
        string kind;
        object? attr = null;
        bool hasAttr = false;
        if (bracket >= 0 && bracket < paren)
        {
            kind = rhs[..bracket];
            int close = MatchingBracket(rhs, bracket);
            var attrText = rhs[(bracket + 1)..close];
            if (!attrText.StartsWith("value=", StringComparison.Ordinal)) throw Error(ln, $"unknown attribute '{attrText}'");
            attr = ParseAttribute(attrText["value=".Length..], outputs.Count == 1 ? outputs[0].Item2 : null, ln);
            hasAttr = true;
            paren = close + 1;
        }
        else kind = rhs[..paren];
        if (rhs[paren] != '(' || rhs[^1] != ')') throw Error(ln, "expected '(...)' after the op name");
        var args = SplitTopLevel(rhs[(paren + 1)..^1], ',').Where(a => a.Length > 0).Select(a => Lookup(env, a, ln)).ToList();
        string? group = null;
        int us = kind.LastIndexOf('_');
        if (kind.StartsWith("prim::FusionGroup_", StringComparison.Ordinal) && us > 0 && kind[(us + 1)..].All(char.IsDigit))
        {
            group = kind;
            kind = kind[..us];
        }
        var n = g.AppendNamed(kind, args, outputs);
        n.PendingGroup = group;
        n.Attribute = attr;
        n.HasAttribute = hasAttr;
        foreach (var o in n.Outputs) env[o.Name] = o;
        return n;
    }

    private static object? ParseAttribute(string s, JitType? type, int ln)
    {
        s = s.Trim();
        if (s.StartsWith("<Tensor:", StringComparison.Ordinal)) return new TensorRef(int.Parse(s[8..^1], CultureInfo.InvariantCulture));
        if (s.StartsWith('"')) return s[1..^1].Replace("\\\"", "\"").Replace("\\\\", "\\");
        if (s == "None") return null;
        if (s.StartsWith('['))
        {
            var items = SplitTopLevel(s[1..^1], ',').Where(x => x.Length > 0).ToArray();
            if (type?.ToString() == "int[]") return items.Select(x => long.Parse(x, CultureInfo.InvariantCulture)).ToArray();
            return items.Select(ParseDouble).ToArray();
        }
        var t = type?.ToString();
        if (t == "bool") return s == "1";
        if (t == "int") return long.Parse(s, CultureInfo.InvariantCulture);
        if (t == "float") return ParseDouble(s);
        throw Error(ln, $"cannot read attribute '{s}' for type {t ?? "?"}");
    }

    private static double ParseDouble(string s) => s switch
    {
        "nan" => double.NaN,
        "inf" => double.PositiveInfinity,
        "-inf" => double.NegativeInfinity,
        _ => double.Parse(s.TrimEnd('.'), CultureInfo.InvariantCulture),
    };

    private static (string, JitType) ParseDecl(string decl, int ln)
    {
        int colon = decl.IndexOf(" : ", StringComparison.Ordinal);
        if (!decl.StartsWith('%') || colon < 0) throw Error(ln, $"expected '%name : Type', got '{decl}'");
        return (decl[1..colon], ParseType(decl[(colon + 3)..].Trim(), ln));
    }

    /// <summary>Parses a type's text form.</summary>
    public static JitType ParseType(string s, int line = 0)
    {
        switch (s)
        {
            case "int": return JitType.Int;
            case "float": return JitType.Float;
            case "bool": return JitType.Bool;
            case "str": return JitType.Str;
            case "int[]": return JitType.IntList;
            case "NoneType": return JitType.None;
            case "Tensor": return JitType.AnyTensor;
        }
        int p = s.IndexOf('(');
        if (p < 0 || !s.EndsWith(')')) throw Error(line, $"unknown type '{s}'");
        var dtype = TensorType.ParseDType(s[..p]);
        var shape = new List<int>();
        int[] strides = [];
        bool requiresGrad = false;
        var device = Device.Cpu;
        foreach (var part in SplitTopLevel(s[(p + 1)..^1], ','))
        {
            if (part.StartsWith("strides=", StringComparison.Ordinal))
                strides = SplitTopLevel(part["strides=[".Length..^1], ',').Where(x => x.Length > 0).Select(SymbolicDims.Parse).ToArray();
            else if (part.StartsWith("requires_grad=", StringComparison.Ordinal)) requiresGrad = part.EndsWith('1');
            else if (part.StartsWith("device=", StringComparison.Ordinal)) device = Device.Parse(part["device=".Length..]);
            else shape.Add(SymbolicDims.Parse(part));
        }
        return new TensorType(dtype, shape.ToArray(), strides, requiresGrad, device);
    }

    private static Value Lookup(Dictionary<string, Value> env, string reference, int ln)
    {
        reference = reference.Trim();
        if (!reference.StartsWith('%') || !env.TryGetValue(reference[1..], out var v))
            throw Error(ln, $"use of undefined value {reference}");
        return v;
    }

    private static List<string> SplitTopLevel(string s, char sep)
    {
        var parts = new List<string>();
        int depth = 0, start = 0;
        bool quoted = false;
        for (int i = 0; i < s.Length; i++)
        {
            if (SkipQuoted(s, ref i, ref quoted)) continue;
            char c = s[i];
            if (c is '(' or '[' or '<') depth++;
            else if (c is ')' or ']' or '>') depth--;
            else if (c == sep && depth == 0)
            {
                parts.Add(s[start..i].Trim());
                start = i + 1;
            }
        }
        parts.Add(s[start..].Trim());
        return parts;
    }

    private static int FindTopLevel(string s, string token)
    {
        int depth = 0;
        bool quoted = false;
        for (int i = 0; i <= s.Length - token.Length; i++)
        {
            if (SkipQuoted(s, ref i, ref quoted)) continue;
            char c = s[i];
            if (depth == 0 && string.CompareOrdinal(s, i, token, 0, token.Length) == 0) return i;
            if (c is '(' or '[') depth++;
            else if (c is ')' or ']') depth--;
        }
        return -1;
    }

    private static int MatchingBracket(string s, int open)
    {
        int depth = 0;
        bool quoted = false;
        for (int i = open; i < s.Length; i++)
        {
            if (SkipQuoted(s, ref i, ref quoted)) continue;
            if (s[i] == '[') depth++;
            else if (s[i] == ']' && --depth == 0) return i;
        }
        throw new FormatException("IR: unbalanced '['.");
    }

    /// <summary>True when <c>s[i]</c> belongs to a string literal (advancing past an escaped character).</summary>
    private static bool SkipQuoted(string s, ref int i, ref bool quoted)
    {
        if (quoted)
        {
            if (s[i] == '\\') i++;
            else if (s[i] == '"') quoted = false;
            return true;
        }
        if (s[i] != '"') return false;
        quoted = true;
        return true;
    }

    /// <summary>Runs one line's parse step, turning any failure into a <see cref="FormatException"/> that names the line.</summary>
    private static T AtLine<T>(int line, Func<T> parse)
    {
        try
        {
            return parse();
        }
        catch (Exception e) when (e is FormatException or ArgumentException or IndexOutOfRangeException or OverflowException &&
                                  !e.Message.StartsWith("IR parse error", StringComparison.Ordinal))
        {
            var message = e.Message.StartsWith("IR: ", StringComparison.Ordinal) ? e.Message[4..] : e.Message;
            throw new FormatException($"IR parse error at line {line}: {message.TrimEnd('.')}.", e);
        }
    }

    private static FormatException Error(int line, string message) => new($"IR parse error at line {line}: {message}.");
}
