using System.Globalization;

namespace Trace.Ops;

/// <summary>The kind of one op argument, as TorchScript schemas name them.</summary>
public enum ArgKind
{
    /// <summary><c>Tensor</c> (a number in its place becomes a wrapped 0-dim tensor).</summary>
    Tensor,
    /// <summary><c>Tensor[]</c>: one or more tensors (only as a leading argument).</summary>
    TensorList,
    /// <summary><c>int</c>.</summary>
    Int,
    /// <summary><c>int[]</c>.</summary>
    IntList,
    /// <summary><c>float</c>.</summary>
    Float,
    /// <summary><c>bool</c>.</summary>
    Bool,
    /// <summary><c>str</c>.</summary>
    Str,
    /// <summary><c>ScalarType</c>: a dtype code (c10::ScalarType).</summary>
    ScalarType,
}

/// <summary>One argument: its name, kind, whether it may be None (<c>Tensor?</c>), and whether it may be left out (<c>=…</c>).</summary>
public readonly record struct OpArg(string Name, ArgKind Kind, bool Nullable, bool Omittable)
{
    /// <inheritdoc/>
    public override string ToString()
    {
        var kind = Kind switch { ArgKind.TensorList => "Tensor[]", ArgKind.IntList => "int[]", _ => Kind.ToString() is var s && s is "Tensor" or "ScalarType" ? s : s.ToLowerInvariant() };
        return $"{kind}{(Nullable ? "?" : "")} {Name}{(Omittable ? "=None" : "")}";
    }
}

/// <summary>
/// An op's signature in TorchScript schema syntax, e.g. <c>aten::clamp(Tensor self, float? min, float? max) -&gt; Tensor</c>.
/// Node inputs follow it in order; the IR verifier checks a node's arity against it.
/// </summary>
public sealed class OpSchema
{
    private OpSchema(string name, OpArg[] args, int outputs)
    {
        Name = name;
        Args = args;
        Outputs = outputs;
    }

    /// <summary>The qualified op name.</summary>
    public string Name { get; }

    /// <summary>The arguments, in node-input order.</summary>
    public IReadOnlyList<OpArg> Args { get; }

    /// <summary>How many tensors the op returns.</summary>
    public int Outputs { get; }

    /// <summary>The fewest node inputs a call may have.</summary>
    public int MinInputs => Args.Count(a => !a.Omittable);

    /// <summary>The most node inputs a call may have; null when a tensor list makes it unbounded.</summary>
    public int? MaxInputs => Args.Any(a => a.Kind == ArgKind.TensorList) ? null : Args.Count;

    /// <summary>True when a call with <paramref name="inputs"/> node inputs fits the schema.</summary>
    public bool AllowsInputs(int inputs) => inputs >= MinInputs && (MaxInputs is not int max || inputs <= max);

    /// <summary>
    /// The argument that node input <paramref name="input"/> of a call with <paramref name="inputs"/> inputs binds to: a
    /// leading <c>Tensor[]</c> takes every input but those the arguments after it take.
    /// </summary>
    public OpArg ArgAt(int input, int inputs)
    {
        if (Args.Count > 0 && Args[0].Kind == ArgKind.TensorList)
            return input < inputs - (Args.Count - 1) ? Args[0] : Args[input - (inputs - Args.Count)];
        return Args[input];
    }

    /// <summary>The allowed input counts in words: <c>2</c>, <c>2 or 3</c>, <c>1 to 3</c>, <c>at least 2</c>.</summary>
    public string ArityText => MaxInputs switch
    {
        null => $"at least {MinInputs}",
        int max when max == MinInputs => $"{max}",
        int max when max == MinInputs + 1 => $"{MinInputs} or {max}",
        int max => $"{MinInputs} to {max}",
    };

    /// <summary>
    /// Parses <c>ns::name(Kind name, Kind? name, Kind name=…) -&gt; Tensor</c> or <c>-&gt; (Tensor, Tensor)</c>. Kinds: Tensor,
    /// Tensor[], int, int[], float, bool, str, ScalarType; <c>?</c> allows None; <c>=…</c> lets a call leave the argument
    /// (and every one after it) out. A <c>Tensor[]</c> counts as at least one node input (a tensor list followed by the rest).
    /// </summary>
    /// <exception cref="FormatException">The text is not a schema of this form.</exception>
    public static OpSchema Parse(string text)
    {
        int open = text.IndexOf('('), arrow = text.IndexOf("->", StringComparison.Ordinal);
        int argsEnd = arrow < 0 ? -1 : text.LastIndexOf(')', arrow);
        if (open <= 0 || argsEnd < open)
            throw new FormatException($"op schema '{text}': expected name(args) -> returns.");
        var name = text[..open].Trim();
        var args = new List<OpArg>();
        foreach (var part in text[(open + 1)..argsEnd].Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var pieces = part.Split(' ', 2, StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
            if (pieces.Length != 2) throw new FormatException($"op schema '{text}': argument '{part}' is not 'Kind name'.");
            var kindText = pieces[0];
            bool nullable = kindText.EndsWith('?');
            if (nullable) kindText = kindText[..^1];
            var nameText = pieces[1];
            bool omittable = nameText.Contains('=');
            if (omittable) nameText = nameText[..nameText.IndexOf('=')].Trim();
            var kind = kindText switch
            {
                "Tensor" => ArgKind.Tensor,
                "Tensor[]" => ArgKind.TensorList,
                "int" => ArgKind.Int,
                "int[]" => ArgKind.IntList,
                "float" => ArgKind.Float,
                "bool" => ArgKind.Bool,
                "str" => ArgKind.Str,
                "ScalarType" => ArgKind.ScalarType,
                _ => throw new FormatException($"op schema '{text}': unknown argument kind '{kindText}'."),
            };
            if (args.Count > 0 && args[^1].Omittable && !omittable)
                throw new FormatException($"op schema '{text}': argument '{nameText}' follows an omittable one, so it must be omittable too.");
            args.Add(new OpArg(nameText, kind, nullable, omittable));
        }
        var returns = text[(arrow + 2)..].Trim();
        int outputs = returns.StartsWith('(') ? returns.Trim('(', ')').Split(',').Length : 1;
        return new OpSchema(name, [.. args], outputs);
    }

    /// <inheritdoc/>
    public override string ToString() => string.Create(CultureInfo.InvariantCulture,
        $"{Name}({string.Join(", ", Args)}) -> {(Outputs == 1 ? "Tensor" : "(" + string.Join(", ", Enumerable.Repeat("Tensor", Outputs)) + ")")}");
}
