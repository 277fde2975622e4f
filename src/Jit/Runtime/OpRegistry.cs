using System.Globalization;

namespace Trace.Jit;

/// <summary>
/// How to execute each op kind by name with the eager kernels: arguments arrive in node-input order —
/// tensors, then the op's non-tensor arguments as long, double, bool, string, long[] or null. This is
/// the interpreter's table; the registry test checks it covers every op that Core reports.
/// </summary>
public static partial class OpRegistry
{
    private static readonly Dictionary<string, Func<Args, Tensor>> Ops = new()
    {
        ["aten::add"] = a => Binary(a, static (x, y) => x.Add(y)),
        ["aten::sub"] = a => Binary(a, static (x, y) => x.Sub(y)),
        ["aten::mul"] = a => Binary(a, static (x, y) => x.Mul(y)),
        ["aten::div"] = a => Binary(a, static (x, y) => x.Div(y)),
        ["aten::pow"] = a => Binary(a, static (x, y) => x.Pow(y)),
        ["aten::maximum"] = a => Binary(a, static (x, y) => x.Maximum(y)),
        ["aten::minimum"] = a => Binary(a, static (x, y) => x.Minimum(y)),
        ["aten::clamp"] = a => a.T(0).Clamp(a.OptD(1), a.OptD(2)),
        ["aten::neg"] = a => a.T(0).Neg(),
        ["aten::abs"] = a => a.T(0).Abs(),
        ["aten::exp"] = a => a.T(0).Exp(),
        ["aten::log"] = a => a.T(0).Log(),
        ["aten::sqrt"] = a => a.T(0).Sqrt(),
        ["aten::rsqrt"] = a => a.T(0).Rsqrt(),
        ["aten::square"] = a => a.T(0).Square(),
        ["aten::tanh"] = a => a.T(0).Tanh(),
        ["aten::sigmoid"] = a => a.T(0).Sigmoid(),
        ["aten::relu"] = a => a.T(0).Relu(),
        ["aten::erf"] = a => a.T(0).Erf(),
        ["aten::gelu"] = a => a.T(0).Gelu(a.S(1) == "tanh" ? GeluApproximation.Tanh : GeluApproximation.None),
        ["aten::gelu_backward"] = a => a.T(0).GeluBackward(a.T(1), a.S(2) == "tanh" ? GeluApproximation.Tanh : GeluApproximation.None),
        ["aten::eq"] = a => Binary(a, static (x, y) => x.Eq(y)),
        ["aten::ne"] = a => Binary(a, static (x, y) => x.Ne(y)),
        ["aten::lt"] = a => Binary(a, static (x, y) => x.Lt(y)),
        ["aten::le"] = a => Binary(a, static (x, y) => x.Le(y)),
        ["aten::gt"] = a => Binary(a, static (x, y) => x.Gt(y)),
        ["aten::ge"] = a => Binary(a, static (x, y) => x.Ge(y)),
        ["aten::logical_and"] = a => Binary(a, static (x, y) => x.LogicalAnd(y)),
        ["aten::logical_or"] = a => Binary(a, static (x, y) => x.LogicalOr(y)),
        ["aten::logical_xor"] = a => Binary(a, static (x, y) => x.LogicalXor(y)),
        ["aten::logical_not"] = a => a.T(0).LogicalNot(),
        ["aten::where"] = a => a.IsTensor(1) ? Tensor.Where(a.T(0), a.T(1), a.TS(2, a.T(1))) : Tensor.Where(a.T(0), a.TS(1, a.T(2)), a.T(2)),
        ["aten::sum"] = a => a.T(0).Sum(a.Ints(1), a.B(2)),
        ["aten::prod"] = a => a.T(0).Prod(a.Ints(1), a.B(2)),
        ["aten::amax"] = a => a.T(0).Amax(a.Ints(1), a.B(2)),
        ["aten::amin"] = a => a.T(0).Amin(a.Ints(1), a.B(2)),
        ["aten::max"] = a => a.Count == 1 ? a.T(0).Max() : a.T(0).Max(a.I(1), a.B(2)).Values,
        ["aten::min"] = a => a.Count == 1 ? a.T(0).Min() : a.T(0).Min(a.I(1), a.B(2)).Values,
        ["aten::argmax"] = a => a.T(0).Argmax(a.I(1), a.B(2)),
        ["aten::argmin"] = a => a.T(0).Argmin(a.I(1), a.B(2)),
        ["aten::var"] = a => a.T(0).Var(a.Ints(1), a.I(2), a.B(3)),
        ["aten::std"] = a => a.T(0).Std(a.Ints(1), a.I(2), a.B(3)),
        ["aten::softmax"] = a => a.T(0).Softmax(a.I(1)),
        ["aten::log_softmax"] = a => a.T(0).LogSoftmax(a.I(1)),
        ["aten::layer_norm"] = a => a.T(0).LayerNorm(a.Ints(3), a.OptT(1), a.OptT(2), a.D(4)),
        ["aten::any"] = a => a.T(0).Any(),
        ["aten::all"] = a => a.T(0).All(),
        ["aten::matmul"] = a => a.T(0).Matmul(a.T(1)),
        ["aten::linear"] = a => Tensor.Linear(a.T(0), a.T(1), a.OptT(2)),
        ["trace::linear_relu"] = a => Tensor.LinearRelu(a.T(0), a.T(1), a.OptT(2)),
        ["trace::linear_add"] = a => Tensor.LinearAdd(a.T(0), a.T(1), a.OptT(2), a.T(3)),
        ["aten::view"] = a => a.T(0).View(a.Ints(1)),
        ["aten::reshape"] = a => a.T(0).Reshape(a.Ints(1)),
        ["aten::transpose"] = a => a.T(0).Transpose(a.I(1), a.I(2)),
        ["aten::permute"] = a => a.T(0).Permute(a.Ints(1)),
        ["aten::squeeze"] = a => a.Count == 1 ? a.T(0).Squeeze() : a.T(0).Squeeze(a.I(1)),
        ["aten::unsqueeze"] = a => a.T(0).Unsqueeze(a.I(1)),
        ["aten::expand"] = a => a.T(0).Expand(a.Ints(1)),
        ["aten::narrow"] = a => a.T(0).Narrow(a.I(1), a.I(2), a.I(3)),
        ["aten::slice"] = a => a.T(0).Slice(a.I(1), a.I(2), a.I(3), a.I(4)),
        ["aten::select"] = a => a.T(0).Select(a.I(1), a.I(2)),
        ["aten::slice_backward"] = a => a.T(0).SliceBackward(a.Ints(1), a.I(2), a.I(3), a.I(4)),
        ["aten::clone"] = a => a.T(0).Clone(),
        ["aten::contiguous"] = a => a.T(0).Contiguous(),
        ["aten::detach"] = a => a.T(0).Detach(),
        ["aten::to"] = a => a.T(0).To(ScalarTypes.FromCode(a.L(1))),
        ["aten::cat"] = a => Tensor.Cat(a.Tensors(0, a.Count - 1), a.I(a.Count - 1)),
        ["aten::gather"] = a => a.T(0).Gather(a.I(2), a.T(1)),
        ["aten::gather_backward"] = a => a.T(0).GatherBackward(a.Ints(2), a.I(3), a.T(1)),
        ["aten::index_select"] = a => a.T(0).IndexSelect(a.I(2), a.T(1)),
        ["aten::index_select_backward"] = a => a.T(0).IndexSelectBackward(a.Ints(2), a.I(3), a.T(1).ToArray<long>(), a.T(1)),
        ["aten::masked_fill"] = a => a.T(0).MaskedFill(a.T(1), a.D(2)),
        ["aten::copy_"] = a => a.T(0).Copy_(a.T(1)),
        ["aten::add_"] = a => Binary(a, static (x, y) => x.Add_(y)),
        ["aten::sub_"] = a => Binary(a, static (x, y) => x.Sub_(y)),
        ["aten::mul_"] = a => Binary(a, static (x, y) => x.Mul_(y)),
        ["aten::div_"] = a => Binary(a, static (x, y) => x.Div_(y)),
        ["aten::clamp_"] = a => a.T(0).Clamp_(a.OptD(1), a.OptD(2)),
        ["aten::fill_"] = a => a.T(0).Fill_(a.D(1)),
        ["aten::zeros"] = a => Tensor.Zeros(a.Ints(0), ScalarTypes.FromCode(a.L(1))),
        ["aten::full"] = a => Tensor.Full(a.Ints(0), a.D(1), ScalarTypes.FromCode(a.L(2))),
        ["aten::arange"] = a => Tensor.Arange(a.L(0), a.L(1), a.L(2)),
        ["aten::rand"] = a => Tensor.Rand(a.Ints(0), ScalarTypes.FromCode(a.L(1))),
        ["aten::randn"] = a => Tensor.Randn(a.Ints(0), ScalarTypes.FromCode(a.L(1))),
        ["aten::randint"] = a => Tensor.Randint(a.L(0), a.L(1), a.Ints(2)),
    };

    private static Tensor Binary(Args a, Func<Tensor, Tensor, Tensor> f)
    {
        var (x, y) = a.Pair();
        return f(x, y);
    }

    /// <summary>All op kinds the registry can execute.</summary>
    public static IReadOnlyCollection<string> Kinds => [.. Ops.Keys.Union(MultiOps.Keys)];

    /// <summary>True if <paramref name="kind"/> has an executor (of one output or of several).</summary>
    public static bool Contains(string kind) => Ops.ContainsKey(kind) || MultiOps.ContainsKey(kind);

    /// <summary>Executes <paramref name="kind"/> on resolved arguments.</summary>
    public static Tensor Execute(string kind, object?[] args) => Resolve(kind)(args);

    /// <summary>The executor of <paramref name="kind"/>, looked up once (one that throws when there is none, so that a graph fails only if it reaches the op).</summary>
    internal static Func<object?[], Tensor> Resolve(string kind)
    {
        if (!Ops.TryGetValue(kind, out var f))
            return _ => throw new NotSupportedException($"JIT: no executor for op '{kind}'; it cannot be run from IR (custom functions run only in the graph they were traced into).");
        return args => f(new Args(kind, args));
    }

    /// <summary>Typed access to a node's resolved arguments, with clear errors on mismatch.</summary>
    private readonly struct Args(string kind, object?[] values)
    {
        public int Count => values.Length;
        public bool IsTensor(int i) => At(i) is Tensor;
        public Tensor T(int i) => At(i) as Tensor ?? throw Bad(i, "Tensor");
        public Tensor? OptT(int i) => i < values.Length ? values[i] as Tensor : null;
        public long L(int i) => At(i) is long l ? l : throw Bad(i, "int");
        public int I(int i) => ToInt(i, L(i));
        public double D(int i) => At(i) switch { double d => d, long l => l, _ => throw Bad(i, "float") };
        public double? OptD(int i) => At(i) is null ? null : D(i);
        public bool B(int i) => At(i) is bool b ? b : throw Bad(i, "bool");
        public string S(int i) => At(i) as string ?? throw Bad(i, "str");
        public int[] Ints(int i)
        {
            if (At(i) is not long[] list) throw Bad(i, "int[]");
            var r = new int[list.Length];
            for (int k = 0; k < r.Length; k++) r[k] = ToInt(i, list[k]);
            return r;
        }

        /// <summary>Argument <paramref name="i"/>, or null past the end (each accessor then names what it expected).</summary>
        private object? At(int i) => (uint)i < (uint)values.Length ? values[i] : null;

        private int ToInt(int i, long value) => value is >= int.MinValue and <= int.MaxValue ? (int)value
            : throw new ArgumentException(string.Create(CultureInfo.InvariantCulture, $"JIT: {kind} argument {i} is {value}, which does not fit in a 32-bit int."));

        public Tensor[] Tensors(int from, int to)
        {
            if (to <= from) throw Bad(from, "a list of tensors");
            var r = new Tensor[to - from];
            for (int k = 0; k < r.Length; k++) r[k] = T(from + k);
            return r;
        }

        /// <summary>The two operands of a binary op, either of which may be a wrapped number.</summary>
        public (Tensor, Tensor) Pair() => IsTensor(0) ? (T(0), TS(1, T(0))) : (TS(0, T(1)), T(1));

        /// <summary>A tensor argument, or a number turned into a wrapped 0-dim tensor typed against <paramref name="like"/>.</summary>
        public Tensor TS(int i, Tensor like) => At(i) switch
        {
            Tensor t => t,
            long l => like.WrapScalar(l, ScalarKind.Integer),
            double d => like.WrapScalar(d, ScalarKind.Floating),
            bool b => like.WrapScalar(b ? 1 : 0, ScalarKind.Bool),
            _ => throw Bad(i, "Tensor or number"),
        };

        private ArgumentException Bad(int i, string expected) => new(
            $"JIT: {kind} expects argument {i} to be {expected}, got {((uint)i < (uint)values.Length ? values[i]?.GetType().Name ?? "None" : "nothing")}.");
    }
}

/// <summary>TorchScript's integer codes for dtypes (c10::ScalarType), used for dtype arguments in the IR.</summary>
public static class ScalarTypes
{
    /// <summary>The code of a dtype: Int=3, Long=4, Float=6, Double=7, Bool=11.</summary>
    public static long Code(DType d) => d switch
    {
        DType.Int32 => 3,
        DType.Int64 => 4,
        DType.Float32 => 6,
        DType.Float64 => 7,
        _ => 11,
    };

    /// <summary>The dtype of a code.</summary>
    public static DType FromCode(long code) => code switch
    {
        3 => DType.Int32,
        4 => DType.Int64,
        6 => DType.Float32,
        7 => DType.Float64,
        11 => DType.Bool,
        _ => throw new ArgumentException(string.Create(CultureInfo.InvariantCulture, $"JIT: unknown scalar type code {code}.")),
    };
}
