using Microsoft.VisualStudio.TestTools.UnitTesting;

namespace Trace.Core.Tests.Cuda;

/// <summary>
/// Every CUDA elementwise kernel against the CPU backend: float32 and float64 (and the integer/bool forms), odd sizes,
/// broadcasting, non-contiguous inputs. Tolerances: float32 transcendental ops 2e-6 relative (GPU math is not the CPU's
/// bit for bit), float64 1e-12 — erf and exact GELU in float64 1e-6 (the GPU erfc is float32-grade, see GpuMath).
/// </summary>
[TestClass]
[DoNotParallelize]
public class CudaElementwiseTests
{
    private static readonly DType[] Floats = [DType.Float32, DType.Float64];

    private static double Rtol(DType d, bool transcendental) => d == DType.Float32 ? (transcendental ? 2e-6 : 0) : (transcendental ? 1e-12 : 0);

    private static IEnumerable<(string Name, Func<Tensor, Tensor> F, bool Transcendental, bool Erf)> UnaryCases() =>
    [
        ("neg", x => x.Neg(), false, false),
        ("abs", x => x.Abs(), false, false),
        ("relu", x => x.Relu(), false, false),
        ("square", x => x.Square(), false, false),
        ("exp", x => x.Exp(), true, false),
        ("log", x => x.Abs().Log(), true, false),
        ("sqrt", x => x.Abs().Sqrt(), true, false),
        ("rsqrt", x => x.Abs().Add(0.25).Rsqrt(), true, false),
        ("tanh", x => x.Tanh(), true, false),
        ("sigmoid", x => x.Sigmoid(), true, false),
        ("gelu", x => x.Gelu(), true, true),
        ("gelu_tanh", x => x.Gelu(GeluApproximation.Tanh), true, false),
        ("erf", x => x.Erf(), true, true),
        ("silu", x => x.Silu(), true, false),
        ("log1p", x => x.Abs().Log1p(), true, false),
    ];

    [TestMethod]
    public void UnaryOpsMatchTheCpuContiguousAndStrided()
    {
        foreach (var dt in Floats)
        {
            var x = CudaCompare.Values([5, 37], dt);
            var gx = x.Cuda();
            foreach (var (name, f, tr, erf) in UnaryCases())
            {
                double rtol = erf && dt == DType.Float64 ? 1e-6 : Rtol(dt, tr);
                double atol = dt == DType.Float32 ? 1e-7 : 1e-14;
                if (erf && dt == DType.Float64) atol = 1e-7;
                CudaCompare.Close(f(x), f(gx), rtol, atol, $"{name} {dt}");
                CudaCompare.Close(f(x.T), f(gx.T), rtol, atol, $"{name} {dt} transposed");
            }
        }
        foreach (var dt in new[] { DType.Int64, DType.Int32 })
        {
            var x = Tensor.From(new long[] { -5, 0, 3, -1, 7, 2, -9 }, [7]).To(dt);
            foreach (var (name, f) in new (string, Func<Tensor, Tensor>)[] { ("neg", t => t.Neg()), ("abs", t => t.Abs()), ("relu", t => t.Relu()), ("square", t => t.Square()) })
                CudaCompare.Close(f(x), f(x.Cuda()), 0, 0, $"{name} {dt}");
            // Floating ops promote integers to float32 on both devices.
            CudaCompare.Close(x.Exp(), x.Cuda().Exp(), 2e-6, 0, $"exp {dt}");
        }
    }

    [TestMethod]
    public void SpecialValuesFollowTheCpu()
    {
        var x = Tensor.From(new float[] { float.NaN, float.PositiveInfinity, float.NegativeInfinity, 0, -0f, 1e-30f, -1e-30f, 88, -104, 20, -20 }, [11]);
        var g = x.Cuda();
        foreach (var (name, f, _, _) in UnaryCases())
        {
            if (name is "log" or "sqrt" or "rsqrt" or "log1p") continue;
            CudaCompare.Close(f(x), f(g), 2e-6, 1e-37, $"{name} at special values");
        }
        var y = Tensor.From(new float[] { 1, float.NaN, -2, 0 }, [4]);
        var z = Tensor.From(new float[] { float.NaN, 1, 3, -0f }, [4]);
        CudaCompare.Close(y.Maximum(z), y.Cuda().Maximum(z.Cuda()), 0, 0, "maximum propagates NaN");
        CudaCompare.Close(y.Minimum(z), y.Cuda().Minimum(z.Cuda()), 0, 0, "minimum propagates NaN");
    }

    private static IEnumerable<(string Name, Func<Tensor, Tensor, Tensor> F)> BinaryCases() =>
    [
        ("add", (a, b) => a.Add(b)),
        ("sub", (a, b) => a.Sub(b)),
        ("mul", (a, b) => a.Mul(b)),
        ("div", (a, b) => a.Div(b)),
        ("maximum", (a, b) => a.Maximum(b)),
        ("minimum", (a, b) => a.Minimum(b)),
        ("pow", (a, b) => a.Abs().Pow(b)),
    ];

    [TestMethod]
    public void BinaryOpsMatchTheCpuWithBroadcastingAndStrides()
    {
        foreach (var dt in Floats)
        {
            var a = CudaCompare.Values([3, 1, 13], dt, seed: 2);
            var b = CudaCompare.Values([5, 13], dt, seed: 3);
            var wide = CudaCompare.Values([13, 5], dt, seed: 4).T;   // non-contiguous [5, 13]
            foreach (var (name, f) in BinaryCases())
            {
                double rtol = name == "pow" ? Rtol(dt, true) * 4 : dt == DType.Float32 ? 1e-7 : 1e-15;
                CudaCompare.Close(f(a, b), f(a.Cuda(), b.Cuda()), rtol, 0, $"{name} {dt} broadcast");
                CudaCompare.Close(f(b, wide), f(b.Cuda(), wide.Cuda()), rtol, 0, $"{name} {dt} strided");
                CudaCompare.Close(f(b, b), f(b.Cuda(), b.Cuda()), rtol, 0, $"{name} {dt} dense");
            }
            CudaCompare.Close(b.Clamp(-0.5, 1.25), b.Cuda().Clamp(-0.5, 1.25), 0, 0, $"clamp {dt}");
            CudaCompare.Close(b.Mul(2.5).Sub(1L), b.Cuda().Mul(2.5).Sub(1L), 0, 0, $"scalars {dt}");
        }
        var i = Tensor.From(new long[] { -4, 3, 0, 9, 2, -1 }, [2, 3]);
        var j = Tensor.From(new long[] { 2, 0, 5 }, [3]);
        foreach (var (name, f) in BinaryCases().Where(c => c.Name is not ("div" or "pow")))
            CudaCompare.Close(f(i, j), f(i.Cuda(), j.Cuda()), 0, 0, $"{name} int64");
        CudaCompare.Close(i.Div(j.Add(1L)), i.Cuda().Div(j.Cuda().Add(1L)), 1e-7, 0, "int64 true division promotes");
        CudaCompare.Close(i.To(DType.Int32).Mul(j.To(DType.Int32)), i.Cuda().To(DType.Int32).Mul(j.Cuda().To(DType.Int32)), 0, 0, "int32 mul");
        CudaCompare.Close(i.Clamp(-1, 4), i.Cuda().Clamp(-1, 4), 0, 0, "int64 clamp");
    }

    [TestMethod]
    public void ComparisonsLogicalOpsAndWhereMatchTheCpu()
    {
        foreach (var dt in new[] { DType.Float32, DType.Float64, DType.Int64, DType.Int32 })
        {
            var a = CudaCompare.Values([4, 1, 7], DType.Float64, seed: 5).Mul(2.0).To(dt);
            var b = CudaCompare.Values([3, 7], DType.Float64, seed: 6).Mul(2.0).To(dt);
            var (ga, gb) = (a.Cuda(), b.Cuda());
            CudaCompare.Close(a.Eq(b), ga.Eq(gb), 0, 0, $"eq {dt}");
            CudaCompare.Close(a.Ne(b), ga.Ne(gb), 0, 0, $"ne {dt}");
            CudaCompare.Close(a.Lt(b), ga.Lt(gb), 0, 0, $"lt {dt}");
            CudaCompare.Close(a.Le(b), ga.Le(gb), 0, 0, $"le {dt}");
            CudaCompare.Close(a.Gt(b), ga.Gt(gb), 0, 0, $"gt {dt}");
            CudaCompare.Close(a.Ge(b.T.T), ga.Ge(gb.T.T), 0, 0, $"ge {dt}");
            CudaCompare.Close(Tensor.Where(a.Gt(b), a, b), Tensor.Where(ga.Gt(gb), ga, gb), 0, 0, $"where {dt}");
        }
        var p = Tensor.From(new bool[] { true, false, true, false }, [4]);
        var q = Tensor.From(new bool[] { true, true, false, false }, [4]);
        CudaCompare.Close(p.LogicalAnd(q), p.Cuda().LogicalAnd(q.Cuda()), 0, 0, "and");
        CudaCompare.Close(p.LogicalOr(q), p.Cuda().LogicalOr(q.Cuda()), 0, 0, "or");
        CudaCompare.Close(p.LogicalXor(q), p.Cuda().LogicalXor(q.Cuda()), 0, 0, "xor");
        CudaCompare.Close(p.LogicalNot(), p.Cuda().LogicalNot(), 0, 0, "not");
        CudaCompare.Close(Tensor.Where(p, p, q), Tensor.Where(p.Cuda(), p.Cuda(), q.Cuda()), 0, 0, "where bool");
        var nan = Tensor.From(new float[] { float.NaN, 1 }, [2]);
        CudaCompare.Close(nan.Eq(nan), nan.Cuda().Eq(nan.Cuda()), 0, 0, "NaN == NaN is false");
        CudaCompare.Close(nan.Ne(nan), nan.Cuda().Ne(nan.Cuda()), 0, 0, "NaN != NaN is true");
    }

    [TestMethod]
    public void InPlaceOpsCatAndGeluBackwardMatchTheCpu()
    {
        foreach (var dt in Floats)
        {
            var x = CudaCompare.Values([6, 9], dt, seed: 7);
            var g = CudaCompare.Values([6, 9], dt, seed: 8);
            var (gx, gg) = (x.Cuda(), g.Cuda());
            foreach (var approx in new[] { GeluApproximation.None, GeluApproximation.Tanh })
            {
                double rtol = dt == DType.Float32 ? 4e-6 : approx == GeluApproximation.None ? 1e-6 : 1e-12;
                CudaCompare.Close(g.GeluBackward(x, approx), gg.GeluBackward(gx, approx), rtol, dt == DType.Float32 ? 1e-6 : 1e-7, $"gelu_backward {approx} {dt}");
            }
            var c = x.Clone();
            var gc = gx.Clone();
            c.Narrow(1, 2, 5).Mul_(g.Narrow(1, 0, 5)).Add_(1.5).Sub_(g.Narrow(1, 4, 5)).Div_(2.0);
            gc.Narrow(1, 2, 5).Mul_(gg.Narrow(1, 0, 5)).Add_(1.5).Sub_(gg.Narrow(1, 4, 5)).Div_(2.0);
            CudaCompare.Close(c, gc, dt == DType.Float32 ? 1e-7 : 1e-15, 0, $"in-place chain on a view {dt}");
            CudaCompare.Close(Tensor.Cat([x, g.Narrow(0, 1, 3)], 0), Tensor.Cat([gx, gg.Narrow(0, 1, 3)], 0), 0, 0, $"cat {dt}");
            CudaCompare.Close(Tensor.Stack([x.T, g.T], 1), Tensor.Stack([gx.T, gg.T], 1), 0, 0, $"stack {dt}");
            CudaCompare.Close(x.Reshape(3, 18).Permute(1, 0).Contiguous(), gx.Reshape(3, 18).Permute(1, 0).Contiguous(), 0, 0, $"permute {dt}");
        }
    }

    [TestMethod]
    public void LayoutsOfNineDimsAfterMergingAreRefusedByName()
    {
        int[] shape = [2, 2, 2, 2, 2, 2, 2, 2, 2];
        var x = Tensor.Ones(shape).Cuda();
        var perm = x.Permute(8, 7, 6, 5, 4, 3, 2, 1, 0);
        CudaCompare.Close(Tensor.Ones(shape).Add(Tensor.Ones(shape)), x.Add(x), 0, 0, "9 dims that merge to one");
        var e = Assert.ThrowsExactly<NotSupportedException>(() => x.Add(perm));
        StringAssert.Contains(e.Message, "aten::add");
        StringAssert.Contains(e.Message, "8");
    }
}
