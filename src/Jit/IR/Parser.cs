using System.Globalization;

namespace Trace.Jit;

/// <summary>
/// Reads the text <see cref="Printer"/> writes; <c>Print(Parse(text)) == text</c>. The grammar, over the
/// tokens of <see cref="IrLexer"/> (whitespace and newlines only separate tokens):
/// <code>
/// file   := body ('with' prim::FusionGroup_i '=' body)*
/// body   := 'graph' '(' [decl (',' decl)*] ')' ':' node* 'return' '(' [%v (',' %v)*] ')'
/// node   := [decl (',' decl)* '='] kind ['[' 'value' '=' attr ']'] '(' [%v (',' %v)*] ')'
/// decl   := %name ':' type
/// type   := int | float | bool | str | int[] | NoneType | Tensor
///         | Float|Double|Long|Int|Bool '(' [size (',' size)*] [',' strides=[size, ...]] [',' requires_grad=0|1] [',' device=cpu|cuda:N] ')'
/// size   := integer | a symbolic size, a sum of products of integers and symbols s0, s1, ... (2*s0*s1+s1-1, see SymExpr)
/// attr   := number | nan | inf | -inf | "string" | None | '[' [number (',' number)*] ']' | '&lt;' Tensor ':' index '&gt;'
/// </code>
/// Nothing nests, so the parser does not recurse. Every malformed input raises <see cref="IrParseException"/>
/// at the offending token; checks that need the whole graph (types, arity, bodies) are <see cref="GraphVerifier"/>'s.
/// </summary>
public static class Parser
{
    /// <summary>
    /// Parses a graph. <paramref name="tensorConstants"/> supplies the values of <c>&lt;Tensor:i&gt;</c>
    /// constants; <paramref name="template"/>, when the text was printed from a graph, restores node replay
    /// functions that text cannot hold.
    /// </summary>
    /// <exception cref="IrParseException">The text is not a graph in the printed form.</exception>
    public static Graph Parse(string text, IReadOnlyList<Tensor>? tensorConstants = null, Graph? template = null)
    {
        ArgumentNullException.ThrowIfNull(text);
        return new Reader(IrLexer.Tokenize(text)).File(tensorConstants, template);
    }

    /// <summary>Parses a type's text form (<c>Float(3, strides=[1], requires_grad=0, device=cpu)</c>, <c>int[]</c>).</summary>
    /// <exception cref="IrParseException">The text is not a type.</exception>
    public static JitType ParseType(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var reader = new Reader(IrLexer.Tokenize(text));
        var type = reader.Type();
        reader.ExpectEnd("after the type");
        return type;
    }

    /// <summary>A cursor over the tokens of one text.</summary>
    private sealed class Reader(List<IrToken> tokens)
    {
        private int _next;

        private IrToken Peek => tokens[_next];

        public Graph File(IReadOnlyList<Tensor>? tensorConstants, Graph? template)
        {
            var groups = new Dictionary<string, (Node Node, IrToken At)>(StringComparer.Ordinal);
            var g = Body(tensorConstants, template, groups);
            var bodies = new Dictionary<string, Graph>(StringComparer.Ordinal);
            while (Peek.Kind != IrTokenKind.End)
            {
                if (!IsWord("with")) throw Error(Peek, $"expected 'with' (a fusion-group body) or the end of the text after the graph's 'return (...)', found {Peek.Describe()}");
                _next++;
                var name = Expect(IrTokenKind.Word, "a fusion-group name such as prim::FusionGroup_0 after 'with'");
                if (!groups.ContainsKey(name.Text)) throw Error(name, $"no node of the graph is {name.Text}");
                if (bodies.ContainsKey(name.Text)) throw Error(name, $"{name.Text} has a second body");
                ExpectPunct("=", $"after 'with {name.Text}'");
                bodies[name.Text] = Body(null, null, groups: null);
            }
            foreach (var (name, (node, at)) in groups)
            {
                if (!bodies.TryGetValue(name, out var body)) throw Error(at, $"{name} has no 'with {name} = graph(...)' block");
                node.Subgraph = body;
            }
            return g;
        }

        /// <summary>One graph; <paramref name="groups"/> collects its fusion-group nodes (null in a body, where groups cannot nest).</summary>
        private Graph Body(IReadOnlyList<Tensor>? tensorConstants, Graph? template, Dictionary<string, (Node, IrToken)>? groups)
        {
            ExpectWord("graph", "to start a graph");
            ExpectPunct("(", "after 'graph'");
            var g = new Graph();
            if (tensorConstants is not null) g.TensorConstants.AddRange(tensorConstants);
            var env = new Dictionary<string, Value>(StringComparer.Ordinal);
            if (!IsPunct(")"))
            {
                do
                {
                    var (at, type) = Decl();
                    Define(env, at);
                    env[at.Text] = g.AddNamedInput(at.Text, type);
                }
                while (TakePunct(","));
            }
            ExpectPunct(")", "to close the graph's inputs");
            ExpectPunct(":", "after the graph's inputs");
            for (int index = 0; !IsWord("return"); index++)
            {
                if (Peek.Kind == IrTokenKind.End || IsWord("with")) throw Error(Peek, $"expected a node or 'return (...)' to end the graph, found {Peek.Describe()}");
                var n = Node(g, env, groups);
                if (template is not null && index < template.Nodes.Count) n.Replay = template.Nodes[index].Replay;
            }
            _next++;
            ExpectPunct("(", "after 'return'");
            g.Outputs.AddRange(References(env));
            ExpectPunct(")", "to close 'return (...)'");
            return g;
        }

        private Node Node(Graph g, Dictionary<string, Value> env, Dictionary<string, (Node, IrToken)>? groups)
        {
            var outputs = new List<(string, JitType)>();
            if (Peek.Kind == IrTokenKind.Name)
            {
                do
                {
                    var (at, type) = Decl();
                    Define(env, at);
                    if (outputs.Any(o => o.Item1 == at.Text)) throw Error(at, $"value %{at.Text} is defined twice");
                    outputs.Add((at.Text, type));
                }
                while (TakePunct(","));
                ExpectPunct("=", "after the node's outputs");
            }
            var kindToken = Expect(IrTokenKind.Word, "an op kind such as aten::add");
            string kind = kindToken.Text;
            if (kind is "graph" or "return" or "with") throw Error(kindToken, $"expected an op kind, found the keyword '{kind}'");
            string? group = null;
            const string GroupPrefix = "prim::FusionGroup_";
            if (kind.Length > GroupPrefix.Length && kind.StartsWith(GroupPrefix, StringComparison.Ordinal) && kind[GroupPrefix.Length..].All(char.IsAsciiDigit))
            {
                if (groups is null) throw Error(kindToken, $"{kind} inside a fusion-group body: fusion groups cannot nest");
                if (groups.ContainsKey(kind)) throw Error(kindToken, $"{kind} names a second node; each fusion group has its own body");
                group = kind;
                kind = "prim::FusionGroup";
            }
            object? attribute = null;
            bool hasAttribute = TakePunct("[");
            if (hasAttribute)
            {
                ExpectWord("value", $"in {kind}[...]");
                ExpectPunct("=", "after 'value'");
                attribute = Attribute(outputs.Count == 1 ? outputs[0].Item2 : null);
                ExpectPunct("]", "to close the node's value");
            }
            ExpectPunct("(", $"and the arguments of {kind}");
            var args = References(env);
            ExpectPunct(")", $"to close the arguments of {kind}");
            var n = g.AppendNamed(kind, args, outputs);
            n.Attribute = attribute;
            n.HasAttribute = hasAttribute;
            foreach (var o in n.Outputs) env[o.Name] = o;
            if (group is not null) groups![group] = (n, kindToken);
            return n;
        }

        private (IrToken Name, JitType Type) Decl()
        {
            var name = Expect(IrTokenKind.Name, "a value declaration '%name : Type'");
            ExpectPunct(":", $"and a type after %{name.Text}");
            return (name, Type());
        }

        private static void Define(Dictionary<string, Value> env, IrToken name)
        {
            if (env.ContainsKey(name.Text)) throw Error(name, $"value %{name.Text} is defined twice");
        }

        private List<Value> References(Dictionary<string, Value> env)
        {
            var values = new List<Value>();
            if (IsPunct(")")) return values;
            do
            {
                var r = Expect(IrTokenKind.Name, "a value reference '%name'");
                values.Add(env.TryGetValue(r.Text, out var v) ? v : throw Error(r, $"use of undefined value %{r.Text}"));
            }
            while (TakePunct(","));
            return values;
        }

        public JitType Type()
        {
            var t = Expect(IrTokenKind.Word, "a type");
            switch (t.Text)
            {
                case "int":
                    if (!TakePunct("[")) return JitType.Int;
                    ExpectPunct("]", "in 'int[]'");
                    return JitType.IntList;
                case "float": return JitType.Float;
                case "bool": return JitType.Bool;
                case "str": return JitType.Str;
                case "NoneType": return JitType.None;
                case "Tensor": return JitType.AnyTensor;
            }
            if (!IsPunct("(")) throw Error(t, $"unknown type '{t.Text}'");
            var dtype = t.Text switch
            {
                "Float" => DType.Float32,
                "Double" => DType.Float64,
                "Long" => DType.Int64,
                "Int" => DType.Int32,
                "Bool" => DType.Bool,
                _ => throw Error(t, $"unknown tensor dtype '{t.Text}' (expected Float, Double, Long, Int or Bool)"),
            };
            return TensorTypeFields(dtype);
        }

        /// <summary><c>(sizes..., strides=[...], requires_grad=0, device=cpu)</c>; absent fields default to no strides, 0 and cpu.</summary>
        private TensorType TensorTypeFields(DType dtype)
        {
            ExpectPunct("(", "after the dtype");
            var shape = new List<int>();
            int[]? strides = null;
            bool? requiresGrad = null;
            Device? device = null;
            if (!IsPunct(")"))
            {
                do
                {
                    if (Peek.Kind == IrTokenKind.Number || IsSizeStart())
                    {
                        if (strides is not null || requiresGrad is not null || device is not null) throw Error(Peek, "sizes come before strides, requires_grad and device");
                        shape.Add(Size("size"));
                        continue;
                    }
                    var field = Expect(IrTokenKind.Word, "a size, 'strides=', 'requires_grad=' or 'device='");
                    ExpectPunct("=", $"after '{field.Text}'");
                    switch (field.Text)
                    {
                        case "strides" when strides is null:
                            ExpectPunct("[", "to open the strides");
                            var list = new List<int>();
                            if (!IsPunct("]"))
                            {
                                do list.Add(Size("stride"));
                                while (TakePunct(","));
                            }
                            ExpectPunct("]", "to close the strides");
                            strides = [.. list];
                            break;
                        case "requires_grad" when requiresGrad is null:
                            var flag = Expect(IrTokenKind.Number, "0 or 1");
                            requiresGrad = flag.Text switch { "0" => false, "1" => true, _ => throw Error(flag, $"requires_grad is 0 or 1, not {flag.Text}") };
                            break;
                        case "device" when device is null:
                            device = Device();
                            break;
                        case "strides" or "requires_grad" or "device":
                            throw Error(field, $"'{field.Text}' is given twice");
                        default:
                            throw Error(field, $"unknown tensor type field '{field.Text}'");
                    }
                }
                while (TakePunct(","));
            }
            ExpectPunct(")", "to close the tensor type");
            return new TensorType(dtype, [.. shape], strides ?? [], requiresGrad ?? false, device ?? Trace.Device.Cpu);
        }

        /// <summary>A symbol (<c>s0</c>) or a leading minus can start a symbolic size where a number could.</summary>
        private bool IsSizeStart() => IsPunct("-") || (Peek.Kind == IrTokenKind.Word && IsSymbol(Peek.Text));

        private static bool IsSymbol(string word) => word.Length > 1 && word[0] == 's' && word.Skip(1).All(char.IsAsciiDigit);

        /// <summary>A size or stride: an integer, or a symbolic size whose tokens run to the next ',', ')' or ']' (see <see cref="SymbolicDims"/>).</summary>
        private int Size(string what)
        {
            var first = Peek;
            var text = new System.Text.StringBuilder();
            bool symbolic = false;
            if (TakePunct("-"))
            {
                text.Append('-');
                symbolic = true;
            }
            while (true)
            {
                var t = Peek;
                if (t.Kind == IrTokenKind.Number || (t.Kind == IrTokenKind.Word && IsSymbol(t.Text))) text.Append(Take().Text);
                else throw Error(t, $"expected a {what} (an integer or a symbolic size such as 2*s0), found {t.Describe()}");
                symbolic |= t.Kind == IrTokenKind.Word;
                if (IsPunct("*") || IsPunct("+") || IsPunct("-")) text.Append(Take().Text);
                else if (Peek.Kind == IrTokenKind.Number && Peek.Text.StartsWith('-') && text.Length > 0) { }   // s1-1: the lexer reads "-1" as a number
                else break;
                symbolic = true;
            }
            // A number is a static size (a negative one is for lint to reject), never the code of a symbolic one.
            if (!symbolic)
            {
                int n = Int32(first, what);
                return !SymbolicDims.IsCode(n) ? n : throw Error(first, $"{what} {n} is negative; sizes and strides are non-negative");
            }
            int size;
            try
            {
                size = SymbolicDims.Parse(text.ToString());
            }
            catch (Exception e) when (e is FormatException or InvalidOperationException or OverflowException)
            {
                throw Error(first, $"'{text}' is not a valid symbolic {what}: {e.Message.TrimEnd('.')}");
            }
            return SymbolicDims.IsSymbolic(size) ? size : throw Error(first, $"'{text}' is a constant {what}; write it as one integer");
        }

        private Device Device()
        {
            var d = Expect(IrTokenKind.Word, "a device (cpu, cuda or cuda:N)");
            if (d.Text == "cpu") return Trace.Device.Cpu;
            if (d.Text != "cuda") throw Error(d, $"unknown device '{d.Text}' (expected cpu, cuda or cuda:N)");
            if (!TakePunct(":")) return Trace.Device.Cuda(0);
            var index = Expect(IrTokenKind.Number, "a CUDA device index");
            int i = Int32(index, "device index");
            return i >= 0 ? Trace.Device.Cuda(i) : throw Error(index, $"device index {i} is negative");
        }

        /// <summary>A node's value; a number's meaning comes from the node's single output type.</summary>
        private object? Attribute(JitType? type)
        {
            if (TakePunct("<"))
            {
                ExpectWord("Tensor", "in a tensor constant '<Tensor:i>'");
                ExpectPunct(":", "after '<Tensor'");
                int index = Int32(Expect(IrTokenKind.Number, "a tensor constant index"), "tensor constant index");
                ExpectPunct(">", "to close '<Tensor:i>'");
                return new TensorRef(index);
            }
            if (Peek.Kind == IrTokenKind.String) return Take().Text;
            if (IsWord("None"))
            {
                _next++;
                return null;
            }
            bool ints = JitType.IntList.Equals(type);
            if (TakePunct("["))
            {
                var longs = new List<long>();
                var doubles = new List<double>();
                if (!IsPunct("]"))
                {
                    do
                    {
                        var item = NumberToken();
                        if (ints) longs.Add(Int64(item));
                        else doubles.Add(Double(item));
                    }
                    while (TakePunct(","));
                }
                ExpectPunct("]", "to close the list");
                return ints ? longs.ToArray() : doubles.ToArray();
            }
            var number = NumberToken();
            if (JitType.Int.Equals(type)) return Int64(number);
            if (JitType.Float.Equals(type)) return Double(number);
            if (JitType.Bool.Equals(type))
                return number.Text switch { "0" => false, "1" => true, _ => throw Error(number, $"a bool value is 0 or 1, not {number.Text}") };
            throw Error(number, $"cannot read the number {number.Text} as a value of type {type?.ToString() ?? "(several or no outputs)"}: numbers are values of int, float or bool constants");
        }

        private IrToken NumberToken() =>
            Peek.Kind == IrTokenKind.Number || IsWord("nan") || IsWord("inf") ? Take() : throw Error(Peek, $"expected a number, found {Peek.Describe()}");

        private static bool IsInteger(IrToken t) => t.Kind == IrTokenKind.Number && !t.Text.Contains('.') && !t.Text.Contains('e') && !t.Text.Contains('E') && t.Text != "-inf";

        private static long Int64(IrToken t)
        {
            if (!IsInteger(t)) throw Error(t, $"expected an integer, found {t.Describe()}");
            return long.TryParse(t.Text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out long v) ? v
                : throw Error(t, $"integer {t.Text} does not fit in 64 bits");
        }

        private static int Int32(IrToken t, string what)
        {
            if (!IsInteger(t)) throw Error(t, $"expected an integer {what}, found {t.Describe()}");
            return int.TryParse(t.Text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out int v) ? v
                : throw Error(t, $"{what} {t.Text} does not fit in a 32-bit int");
        }

        private static double Double(IrToken t) => t.Text switch
        {
            "nan" => double.NaN,
            "inf" => double.PositiveInfinity,
            "-inf" => double.NegativeInfinity,
            _ => double.Parse(t.Text, NumberStyles.Float, CultureInfo.InvariantCulture),   // the lexer admitted only well-formed numbers
        };

        public void ExpectEnd(string where)
        {
            if (Peek.Kind != IrTokenKind.End) throw Error(Peek, $"expected the end of the text {where}, found {Peek.Describe()}");
        }

        private IrToken Take() => tokens[_next++];

        private bool IsWord(string word) => Peek.Kind == IrTokenKind.Word && Peek.Text == word;

        private bool IsPunct(string p) => Peek.Kind == IrTokenKind.Punct && Peek.Text == p;

        private bool TakePunct(string p)
        {
            if (!IsPunct(p)) return false;
            _next++;
            return true;
        }

        private IrToken Expect(IrTokenKind kind, string what) =>
            Peek.Kind == kind ? Take() : throw Error(Peek, $"expected {what}, found {Peek.Describe()}");

        private void ExpectWord(string word, string where)
        {
            if (!IsWord(word)) throw Error(Peek, $"expected '{word}' {where}, found {Peek.Describe()}");
            _next++;
        }

        private IrToken ExpectPunct(string p, string where) =>
            IsPunct(p) ? Take() : throw Error(Peek, $"expected '{p}' {where}, found {Peek.Describe()}");

        private static IrParseException Error(IrToken at, string detail) => new(at.Line, at.Column, detail);
    }
}
