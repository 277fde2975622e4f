using Microsoft.VisualStudio.TestTools.UnitTesting;
using Trace.Optim;

namespace Trace.Core.Tests;

/// <summary>
/// RMSprop and Adagrad against float64 loops written from PyTorch's documented algorithms (several steps, every option,
/// contiguous and strided parameters, float64 and float32), their state buffers, param groups, skipped steps, and
/// PyTorch's argument checks.
/// </summary>
[TestClass]
public class RmspropAdagradTests
{
    /// <summary>One configuration of either optimizer (unused options are ignored by the other).</summary>
    public sealed record Cfg(string Kind, double Lr, double Alpha = 0.99, double Eps = 1e-8, double Wd = 0, double Momentum = 0,
        bool Centered = false, bool Maximize = false, double LrDecay = 0, double InitAcc = 0);

    /// <summary>Per-parameter reference state: RMSprop's square_avg, grad_avg, momentum buffer; Adagrad's sum; the step.</summary>
    private sealed class RefState
    {
        public double[]? V, GAvg, Buf, Sum;
        public int T;
    }

    // torch.optim.RMSprop's algorithm (docs pseudo-code), in float64.
    private static void RefRmsprop(double[] p, double[] grad, RefState s, Cfg c)
    {
        s.V ??= new double[p.Length];
        s.GAvg ??= new double[p.Length];
        s.Buf ??= new double[p.Length];
        s.T++;
        for (int i = 0; i < p.Length; i++)
        {
            double g = c.Maximize ? -grad[i] : grad[i];
            if (c.Wd != 0) g += c.Wd * p[i];
            s.V[i] = c.Alpha * s.V[i] + (1 - c.Alpha) * g * g;
            double vt = s.V[i];
            if (c.Centered)
            {
                s.GAvg[i] = s.GAvg[i] * c.Alpha + (1 - c.Alpha) * g;
                vt -= s.GAvg[i] * s.GAvg[i];
            }
            if (c.Momentum > 0)
            {
                s.Buf[i] = c.Momentum * s.Buf[i] + g / (Math.Sqrt(vt) + c.Eps);
                p[i] -= c.Lr * s.Buf[i];
            }
            else p[i] -= c.Lr * g / (Math.Sqrt(vt) + c.Eps);
        }
    }

    // torch.optim.Adagrad's algorithm (docs pseudo-code), in float64.
    private static void RefAdagrad(double[] p, double[] grad, RefState s, Cfg c)
    {
        s.Sum ??= Enumerable.Repeat(c.InitAcc, p.Length).ToArray();
        s.T++;
        double clr = c.Lr / (1 + (s.T - 1) * c.LrDecay);
        for (int i = 0; i < p.Length; i++)
        {
            double g = c.Maximize ? -grad[i] : grad[i];
            if (c.Wd != 0) g += c.Wd * p[i];
            s.Sum[i] += g * g;
            p[i] -= clr * g / (Math.Sqrt(s.Sum[i]) + c.Eps);
        }
    }

    private static void RefStep(double[] p, double[] g, RefState s, Cfg c)
    {
        if (c.Kind == "RMSprop") RefRmsprop(p, g, s, c); else RefAdagrad(p, g, s, c);
    }

    private static Optimizer Make(Cfg c, IEnumerable<Tensor> ps) => c.Kind == "RMSprop"
        ? new RMSprop(ps, c.Lr, c.Alpha, c.Eps, c.Wd, c.Momentum, c.Centered, c.Maximize)
        : new Adagrad(ps, c.Lr, c.LrDecay, c.Wd, c.InitAcc, c.Eps, c.Maximize);

    private static readonly Dictionary<string, Cfg> Configs = new()
    {
        ["RMSprop"] = new("RMSprop", 0.01),
        ["RMSprop alpha eps"] = new("RMSprop", 0.02, Alpha: 0.9, Eps: 1e-3),
        ["RMSprop momentum"] = new("RMSprop", 0.01, Momentum: 0.9),
        ["RMSprop centered"] = new("RMSprop", 0.01, Centered: true),
        ["RMSprop centered momentum wd"] = new("RMSprop", 0.005, Alpha: 0.95, Momentum: 0.5, Centered: true, Wd: 0.1),
        ["RMSprop weight decay"] = new("RMSprop", 0.01, Wd: 0.2),
        ["RMSprop maximize"] = new("RMSprop", 0.01, Momentum: 0.3, Maximize: true, Wd: 0.05),
        ["Adagrad"] = new("Adagrad", 0.1),
        ["Adagrad lr decay"] = new("Adagrad", 0.1, LrDecay: 0.25),
        ["Adagrad weight decay"] = new("Adagrad", 0.05, Wd: 0.1),
        ["Adagrad initial accumulator"] = new("Adagrad", 0.1, InitAcc: 0.5, Eps: 1e-3),
        ["Adagrad maximize"] = new("Adagrad", 0.1, Maximize: true, LrDecay: 0.1, Wd: 0.02, InitAcc: 0.1),
    };

    private static readonly int[][] TestShapes = [[3], [37], [6, 5], [1000]];

    [TestMethod]
    [DataRow("RMSprop"), DataRow("RMSprop alpha eps"), DataRow("RMSprop momentum"), DataRow("RMSprop centered"),
     DataRow("RMSprop centered momentum wd"), DataRow("RMSprop weight decay"), DataRow("RMSprop maximize"), DataRow("Adagrad"),
     DataRow("Adagrad lr decay"), DataRow("Adagrad weight decay"), DataRow("Adagrad initial accumulator"), DataRow("Adagrad maximize")]
    public void StepsMatchTheFloat64Reference(string name)
    {
        foreach (var dtype in new[] { DType.Float64, DType.Float32 })
            RunAgainstReference(name, Configs[name], dtype, seed: name.Sum(ch => ch) * 17 + (int)dtype);
    }

    private static void RunAgainstReference(string name, Cfg c, DType dtype, int seed)
    {
        var rng = new Random(seed);
        bool f32 = dtype == DType.Float32;
        double Round(double x) => f32 ? (float)x : x;
        // Gradients of magnitude [0.25, 1), either sign: |wd·p| stays below them, so no effective gradient nearly cancels.
        double[] Draw(int n, bool grad) => [.. Enumerable.Range(0, n).Select(_ => Round(grad
            ? (rng.Next(2) * 2 - 1) * (0.25 + 0.75 * rng.NextDouble())
            : rng.NextDouble() * 2 - 1))];
        Tensor Make1(double[] v, int[] shape) => Tensor.From(v, shape).To(dtype);

        var refs = TestShapes.Select(s => Draw(s.Aggregate(1, (a, b) => a * b), grad: false)).ToArray();
        var states = TestShapes.Select(_ => new RefState()).ToArray();
        var ps = new Tensor[TestShapes.Length];
        for (int k = 0; k < TestShapes.Length; k++)
        {
            // The 2-D parameter is a transposed (strided) leaf: the update must write through its strides.
            ps[k] = TestShapes[k].Length == 2 ? Make1(refs[k], [TestShapes[k][1], TestShapes[k][0]]).Transpose(0, 1) : Make1(refs[k], TestShapes[k]);
            ps[k].RequiresGrad = true;
            if (TestShapes[k].Length == 2) refs[k] = Reference.Values(ps[k]);
        }
        var opt = Make(c, ps);
        double tol = f32 ? 2e-6 : 1e-13;
        for (int step = 1; step <= 6; step++)
        {
            for (int k = 0; k < ps.Length; k++)
            {
                var g = Draw(refs[k].Length, grad: true);
                ps[k].Grad = TestShapes[k].Length == 2 ? Reference.NonContiguous(Make1(g, TestShapes[k])) : Make1(g, TestShapes[k]);
                RefStep(refs[k], g, states[k], c);
            }
            var gradsBefore = ps.Select(p => Reference.Values(p.Grad!)).ToArray();
            opt.Step();
            for (int k = 0; k < ps.Length; k++)
            {
                string what = $"{name} {dtype.TorchName()} shape {Trace.Shapes.Format(ps[k].Shape)} step {step}";
                AssertClose(refs[k], ps[k], tol, what);
                CollectionAssert.AreEqual(gradsBefore[k], Reference.Values(ps[k].Grad!), $"{what}: the gradient is read, not written");
                var st = opt.State[ps[k]];
                Assert.AreEqual(step, st.Step, what);
                if (c.Kind == "RMSprop")
                {
                    AssertClose(states[k].V!, st.SquareAvg!, tol, $"{what} square_avg");
                    if (c.Centered) AssertClose(states[k].GAvg!, st.GradAvg!, tol, $"{what} grad_avg"); else Assert.IsNull(st.GradAvg, what);
                    if (c.Momentum > 0) AssertClose(states[k].Buf!, st.MomentumBuffer!, tol, $"{what} momentum_buffer"); else Assert.IsNull(st.MomentumBuffer, what);
                }
                else AssertClose(states[k].Sum!, st.Sum!, tol, $"{what} sum");
            }
        }
    }

    private static void AssertClose(double[] expected, Tensor actual, double tol, string what)
    {
        var got = Reference.Values(actual);
        Assert.HasCount(expected.Length, got, what);
        for (int i = 0; i < got.Length; i++)
            if (!(Math.Abs(got[i] - expected[i]) <= tol * (1 + Math.Abs(expected[i]))))
                Assert.Fail($"{what}: element {i} expected {expected[i]:R} but got {got[i]:R}");
    }

    private static Tensor Param(params double[] v) => Tensor.From(v).RequiresGrad_();

    [TestMethod]
    public void DefaultsAreTorchs()
    {
        var r = new RMSprop([Param(1)]).ParamGroups[0];
        Assert.AreEqual((0.01, 0.99, 1e-8, 0.0, 0.0, false, false), (r.Lr, r.Alpha, r.Eps, r.WeightDecay, r.Momentum, r.Centered, r.Maximize));
        var a = new Adagrad([Param(1)]).ParamGroups[0];
        Assert.AreEqual((0.01, 0.0, 0.0, 0.0, 1e-10, false), (a.Lr, a.LrDecay, a.WeightDecay, a.InitialAccumulatorValue, a.Eps, a.Maximize));
    }

    [TestMethod]
    public void GroupsKeepTheirOwnOptionsAndStepCountsPerParameter()
    {
        // Two groups with different options; parameter b skips the first step, so its Adagrad t (and lr decay) lags a's.
        foreach (var kind in new[] { "RMSprop", "Adagrad" })
        {
            var (a, b) = (Param(0.5, -1, 2), Param(1.5, 0.25));
            var ca = kind == "RMSprop" ? new Cfg(kind, 0.01, Alpha: 0.9, Momentum: 0.5) : new Cfg(kind, 0.1, Eps: 1e-10, LrDecay: 0.5, InitAcc: 0.2);
            var cb = kind == "RMSprop" ? new Cfg(kind, 0.03, Alpha: 0.8, Centered: true) : new Cfg(kind, 0.2, Eps: 1e-10, LrDecay: 0.1, InitAcc: 1);
            Optimizer opt = kind == "RMSprop"
                ? new RMSprop([new ParamGroup([a]), new ParamGroup([b]) { Lr = 0.03, Alpha = 0.8, Momentum = 0, Centered = true }], lr: 0.01, alpha: 0.9, momentum: 0.5)
                : new Adagrad([new ParamGroup([a]), new ParamGroup([b]) { Lr = 0.2, LrDecay = 0.1, InitialAccumulatorValue = 1 }], lr: 0.1, lrDecay: 0.5, initialAccumulatorValue: 0.2);
            double[] ra = a.ToArray<double>(), rb = b.ToArray<double>();
            var (sa, sb) = (new RefState(), new RefState());
            for (int step = 0; step < 4; step++)
            {
                double[] ga = [0.3 + step, -0.7, 0.5 * step - 1], gb = [-0.4, 0.9 - step];
                a.Grad = Tensor.From(ga);
                RefStep(ra, ga, sa, ca);
                if (step > 0)
                {
                    b.Grad = Tensor.From(gb);
                    RefStep(rb, gb, sb, cb);
                }
                opt.Step();
                Reference.AssertClose(ra, a, 1e-13, 1e-14, $"{kind} group 0 step {step}");
                Reference.AssertClose(rb, b, 1e-13, 1e-14, $"{kind} group 1 step {step}");
            }
            Assert.AreEqual((4L, 3L), (opt.State[a].Step, opt.State[b].Step), kind);
        }
    }

    private static void AssertBad(Func<object> make, params string[] fragments)
    {
        var ex = Assert.ThrowsExactly<ArgumentException>(() => make());
        foreach (var f in fragments) StringAssert.Contains(ex.Message, f);
    }

    [TestMethod]
    public void BadOptionsAreRefusedWithTheOptimizerAndTheValue()
    {
        var p = Param(1, 2);
        AssertBad(() => new RMSprop([p], lr: -0.1), "RMSprop: Invalid learning rate: -0.1 (must be finite and >= 0)");
        AssertBad(() => new RMSprop([p], alpha: -1), "RMSprop: Invalid alpha value: -1.0 (must be finite and >= 0)");
        AssertBad(() => new RMSprop([p], alpha: double.NaN), "RMSprop: Invalid alpha value: nan");
        AssertBad(() => new RMSprop([p], eps: -1e-8), "RMSprop: Invalid epsilon value: -1e-08");
        AssertBad(() => new RMSprop([p], momentum: -0.5), "RMSprop: Invalid momentum value: -0.5");
        AssertBad(() => new RMSprop([p], weightDecay: -0.01), "RMSprop: Invalid weight_decay value: -0.01");
        AssertBad(() => new RMSprop([new ParamGroup([p]), new ParamGroup([Param(3)]) { Alpha = -0.5 }]), "RMSprop: Invalid alpha value: -0.5 in param group 1");
        AssertBad(() => new Adagrad([p], lr: double.PositiveInfinity), "Adagrad: Invalid learning rate: inf");
        AssertBad(() => new Adagrad([p], lrDecay: -0.1), "Adagrad: Invalid lr_decay value: -0.1 (must be finite and >= 0)");
        AssertBad(() => new Adagrad([p], initialAccumulatorValue: -1), "Adagrad: Invalid initial_accumulator_value value: -1.0");
        AssertBad(() => new Adagrad([p], eps: -1), "Adagrad: Invalid epsilon value: -1.0");
        AssertBad(() => new Adagrad([p], weightDecay: double.NaN), "Adagrad: Invalid weight_decay value: nan");
        AssertBad(() => new Adagrad([Tensor.From(new double[] { 1 })]), "Adagrad", "does not require grad");

        // A setter on a group that joined the optimizer is checked too, and a refused value is not kept.
        var rg = new RMSprop([p], alpha: 0.9).ParamGroups[0];
        AssertBad(() => rg.Alpha = -2, "RMSprop: Invalid alpha value: -2.0 in param group 0");
        Assert.AreEqual(0.9, rg.Alpha);
        var ag = new Adagrad([Param(3)], lrDecay: 0.5).ParamGroups[0];
        AssertBad(() => ag.LrDecay = double.NaN, "Adagrad: Invalid lr_decay value: nan in param group 0");
        Assert.AreEqual(0.5, ag.LrDecay);
    }
}
