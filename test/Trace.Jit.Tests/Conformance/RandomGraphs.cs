using CsCheck;
using Microsoft.VisualStudio.TestTools.UnitTesting;

namespace Trace.Jit.Tests;

/// <summary>
/// Random elementwise/reduction graphs for the property tests (CsCheck, with shrinking): a chain of unary and binary
/// ops over a (B, R, C) input and a second input that broadcasts, ending as it is, in a full sum, a mean or sums over
/// trailing dims — what the fusion pass groups into loops and summing loops.
/// </summary>
internal static class RandomGraphs
{
    private static readonly string[] Unary = ["neg", "abs", "exp", "tanh", "sigmoid", "relu", "square", "gelu", "gelu_tanh", "erf", "clamp", "sqrt_abs"];
    private static readonly string[] Binary = ["add", "sub", "mul", "div", "maximum", "minimum", "where_gt", "masked_fill_lt", "where_and"];

    /// <summary>One step of the chain: a unary op, or a binary op with the second input, the first, or a constant.</summary>
    internal readonly record struct Step(bool IsUnary, int Op, int Arg, double C);

    /// <summary>A random graph: its steps, the first input's shape, how the second broadcasts, and how it ends.</summary>
    internal sealed record Spec(Step[] Steps, int Batch, int Rows, int Cols, int SecondKind, int Ending)
    {
        public int[] First => [Batch, Rows, Cols];

        /// <summary>Full, a repeated row, a repeated (rows, cols) block, one value per row, or one value.</summary>
        public int[] Second => SecondKind switch { 0 => [Batch, Rows, Cols], 1 => [Cols], 2 => [Rows, Cols], 3 => [Batch, Rows, 1], _ => [1] };

        public Tensor Apply(Tensor[] v) => Finish(Chain(v), v[0]);

        /// <summary>
        /// What a summed result's rounding scales with: the same ending applied to |chain| (and |x|); zero without a sum.
        /// Fused and eager elementwise results are bit-identical, so only the order of a sum's additions differs.
        /// </summary>
        public Tensor SumBound(Tensor[] v) => Ending == 0 ? Chain(v).Mul(0.0) : Finish(Chain(v).Abs(), v[0].Abs());

        private Tensor Finish(Tensor h, Tensor x) =>
            // Ending: keep the chain, sum it all, take its mean (sum, then a division), or sum over trailing dims.
            Ending switch { 0 => h, 1 => h.Sum(), 2 => h.Mean(), 3 => h.Sum(-1, keepdim: true) * x, _ => h.Sum([1, 2]) };

        private Tensor Chain(Tensor[] v)
        {
            var h = v[0];
            foreach (var s in Steps)
            {
                if (s.IsUnary)
                    h = Unary[s.Op % Unary.Length] switch
                    {
                        "neg" => -h, "abs" => h.Abs(), "exp" => h.Clamp(max: 5).Exp(), "tanh" => h.Tanh(), "sigmoid" => h.Sigmoid(),
                        "relu" => h.Relu(), "square" => h.Square(), "gelu" => h.Gelu(), "gelu_tanh" => h.Gelu(GeluApproximation.Tanh),
                        "erf" => h.Erf(), "clamp" => h.Clamp(-0.5, 0.75), _ => h.Abs().Sqrt(),
                    };
                else
                {
                    var other = s.Arg == 0 ? v[1] : s.Arg == 1 ? v[0] : null;
                    h = Binary[s.Op % Binary.Length] switch
                    {
                        "add" => other is null ? h + s.C : h + other,
                        "sub" => other is null ? h - s.C : h - other,
                        "mul" => other is null ? h * s.C : h * other,
                        "div" => h / ((other ?? Tensor.Scalar(s.C).To(h.DType)).Abs() + 1.0),
                        "maximum" => h.Maximum(other ?? Tensor.Scalar(s.C).To(h.DType)),
                        "minimum" => h.Minimum(other ?? Tensor.Scalar(s.C).To(h.DType)),
                        "where_gt" => Tensor.Where(other is null ? h.Gt(s.C) : h.Gt(other), h, other ?? h * 0.5),
                        "masked_fill_lt" => h.MaskedFill(other is null ? h.Lt(s.C) : other.Lt(s.C), s.C),
                        _ => Tensor.Where(h.Ge(-0.5).LogicalAnd((other ?? h).Le(0.5)).LogicalOr(h.Ne(h)), h * 2.0, (other ?? h) - 1.0),
                    };
                }
            }
            return h;
        }

        public override string ToString() => $"{Shapes.Format(First)} second {Shapes.Format(Second)} ending {Ending}: {string.Join(" ", Steps)}";
    }

    internal static readonly Gen<Spec> Specs =
        Gen.Select(
            Gen.Select(Gen.Bool, Gen.Int[0, 11], Gen.Int[0, 2], Gen.Double[-1, 1], (u, op, arg, c) => new Step(u, op, arg, Math.Round(c, 2))).Array[1, 8],
            Gen.Int[1, 3], Gen.Int[1, 5], Gen.Int[1, 150], Gen.Int[0, 4], Gen.Int[0, 4],
            (steps, batch, rows, cols, second, ending) => new Spec(steps, batch, rows, cols, second, ending));

    /// <summary>|actual − expected| ≤ 1e-5·|expected| + 1e-5 + 1e-6·bound elementwise (bound: the sum of |terms| a sum added).</summary>
    internal static void Close(Tensor expected, Tensor actual, Tensor bound, string what)
    {
        Assert.IsTrue(expected.Shape.SequenceEqual(actual.Shape), $"{what}: shapes {Shapes.Format(expected.Shape)} and {Shapes.Format(actual.Shape)}");
        var (e, a, b) = (expected.To(DType.Float64).ToArray<double>(), actual.To(DType.Float64).ToArray<double>(), bound.To(DType.Float64).ToArray<double>());
        for (int i = 0; i < e.Length; i++)
        {
            bool ok = double.IsNaN(e[i]) ? double.IsNaN(a[i]) : double.IsInfinity(e[i]) ? a[i] == e[i]
                : Math.Abs(a[i] - e[i]) <= 1e-5 * Math.Abs(e[i]) + 1e-5 + 1e-6 * b[i];
            Assert.IsTrue(ok, $"{what}\nelement {i}: expected {e[i]:R}, got {a[i]:R} (sum bound {b[i]:R})");
        }
    }
}
