using Microsoft.VisualStudio.TestTools.UnitTesting;
using Trace.Kernels;
using Trace.Optim;

namespace Trace.Core.Tests;

[TestClass]
public class OptimTests
{
    // ---- Independent float64 references of the update rules (plain loops, PyTorch's formulas) ----

    /// <summary>One optimizer configuration: the options, and what the test builds from them.</summary>
    public sealed record Cfg(string Kind, double Lr, double Momentum = 0, double Dampening = 0, double Wd = 0, bool Nesterov = false,
        bool Maximize = false, double B1 = 0.9, double B2 = 0.999, double Eps = 1e-8, bool Ams = false);

    private sealed class RefState
    {
        public double[]? Buf, M, V, VMax;
        public int T;
    }

    private static void RefSgd(double[] p, double[] grad, RefState s, Cfg c)
    {
        if (c.Momentum != 0 && s.Buf is null) s.Buf = new double[p.Length];
        for (int i = 0; i < p.Length; i++)
        {
            double g = c.Maximize ? -grad[i] : grad[i];
            if (c.Wd != 0) g += c.Wd * p[i];
            if (c.Momentum != 0)
            {
                s.Buf![i] = s.T == 0 ? g : c.Momentum * s.Buf[i] + (1 - c.Dampening) * g;
                g = c.Nesterov ? g + c.Momentum * s.Buf[i] : s.Buf[i];
            }
            p[i] -= c.Lr * g;
        }
        s.T++;
    }

    private static void RefAdam(double[] p, double[] grad, RefState s, Cfg c)
    {
        bool decoupled = c.Kind == "AdamW";
        s.M ??= new double[p.Length];
        s.V ??= new double[p.Length];
        s.VMax ??= new double[p.Length];
        s.T++;
        double bc1 = 1 - Math.Pow(c.B1, s.T), bc2 = 1 - Math.Pow(c.B2, s.T);
        for (int i = 0; i < p.Length; i++)
        {
            double g = c.Maximize ? -grad[i] : grad[i];
            if (decoupled) p[i] *= 1 - c.Lr * c.Wd;
            else g += c.Wd * p[i];
            s.M[i] = c.B1 * s.M[i] + (1 - c.B1) * g;
            s.V[i] = c.B2 * s.V[i] + (1 - c.B2) * g * g;
            s.VMax[i] = Math.Max(s.VMax[i], s.V[i]);
            double denom = Math.Sqrt(c.Ams ? s.VMax[i] : s.V[i]) / Math.Sqrt(bc2) + c.Eps;
            p[i] -= c.Lr / bc1 * s.M[i] / denom;
        }
    }

    private static Optimizer Make(Cfg c, IEnumerable<Tensor> ps) => c.Kind switch
    {
        "SGD" => new SGD(ps, c.Lr, c.Momentum, c.Dampening, c.Wd, c.Nesterov, c.Maximize),
        "Adam" => new Adam(ps, c.Lr, (c.B1, c.B2), c.Eps, c.Wd, c.Ams, c.Maximize),
        _ => new AdamW(ps, c.Lr, (c.B1, c.B2), c.Eps, c.Wd, c.Ams, c.Maximize),
    };

    private static readonly Dictionary<string, Cfg> Configs = new()
    {
        ["SGD plain"] = new("SGD", 0.1),
        ["SGD momentum"] = new("SGD", 0.05, Momentum: 0.9),
        ["SGD dampening"] = new("SGD", 0.05, Momentum: 0.8, Dampening: 0.3),
        ["SGD nesterov"] = new("SGD", 0.05, Momentum: 0.9, Nesterov: true, Wd: 0.01),
        ["SGD weight decay"] = new("SGD", 0.1, Momentum: 0.5, Wd: 0.05),
        ["SGD maximize"] = new("SGD", 0.1, Momentum: 0.7, Wd: 0.02, Maximize: true),
        ["Adam"] = new("Adam", 0.01),
        ["Adam weight decay"] = new("Adam", 0.02, B1: 0.8, B2: 0.99, Eps: 1e-6, Wd: 0.1),
        ["Adam amsgrad"] = new("Adam", 0.01, Ams: true, Wd: 0.01),
        ["Adam maximize"] = new("Adam", 0.01, Maximize: true),
        ["AdamW"] = new("AdamW", 0.01, Wd: 0.1),
        ["AdamW amsgrad"] = new("AdamW", 0.03, B1: 0.85, B2: 0.95, Wd: 0.2, Ams: true),
    };

    // Sizes: tiny (scalar tail only), not a multiple of 16 (vector body + tail), a strided 2-D leaf, and
    // 100_003 elements: over 3 kernel grains, so split across workers where there are several, each worker
    // running the vector path from an unaligned start, the last one with a tail.
    private static readonly int[][] TestShapes = [[3], [37], [6, 5], [100_003]];

    [TestMethod]
    [DataRow("SGD plain"), DataRow("SGD momentum"), DataRow("SGD dampening"), DataRow("SGD nesterov"),
     DataRow("SGD weight decay"), DataRow("SGD maximize"), DataRow("Adam"), DataRow("Adam weight decay"),
     DataRow("Adam amsgrad"), DataRow("Adam maximize"), DataRow("AdamW"), DataRow("AdamW amsgrad")]
    public void StepsMatchTheFloat64Reference(string name)
    {
        foreach (var dtype in new[] { DType.Float64, DType.Float32 })
            RunAgainstReference(name, Configs[name], dtype, seed: name.Sum(ch => ch) * 31 + (int)dtype);
    }

    private static void RunAgainstReference(string name, Cfg c, DType dtype, int seed)
    {
        var rng = new Random(seed);
        bool f32 = dtype == DType.Float32;
        double Round(double x) => f32 ? (float)x : x;
        double[] Draw(int n)
        {
            var r = new double[n];
            for (int i = 0; i < n; i++) r[i] = Round(rng.NextDouble() * 2 - 1);
            return r;
        }
        // Gradients of magnitude [0.25, 1): with |wd·p| below 0.25 the effective gradient never nearly cancels,
        // so Adam's ratio m/sqrt(v) stays well conditioned and float32 can be held to 1e-6.
        double[] DrawGrad(int n)
        {
            var r = new double[n];
            for (int i = 0; i < n; i++) r[i] = Round((rng.Next(2) * 2 - 1) * (0.25 + 0.75 * rng.NextDouble()));
            return r;
        }
        Tensor Make1(double[] v, int[] shape) => Tensor.From(v, shape).To(dtype);

        var refs = TestShapes.Select(s => Draw(s.Aggregate(1, (a, b) => a * b))).ToArray();
        var states = TestShapes.Select(_ => new RefState()).ToArray();
        var ps = new Tensor[TestShapes.Length];
        for (int k = 0; k < TestShapes.Length; k++)
        {
            // The 2-D parameter is a transposed (strided) leaf, so the optimizer must write through its strides.
            ps[k] = TestShapes[k].Length == 2
                ? Make1(refs[k], [TestShapes[k][1], TestShapes[k][0]]).Transpose(0, 1)
                : Make1(refs[k], TestShapes[k]);
            ps[k].RequiresGrad = true;
            if (TestShapes[k].Length == 2) refs[k] = Reference.Values(ps[k]);
        }
        var opt = Make(c, ps);
        for (int step = 1; step <= 5; step++)
        {
            for (int k = 0; k < ps.Length; k++)
            {
                var g = DrawGrad(refs[k].Length);
                // A strided gradient for the 2-D parameter; contiguous ones elsewhere.
                ps[k].Grad = TestShapes[k].Length == 2 ? Reference.NonContiguous(Make1(g, TestShapes[k])) : Make1(g, TestShapes[k]);
                if (c.Kind == "SGD") RefSgd(refs[k], g, states[k], c); else RefAdam(refs[k], g, states[k], c);
            }
            opt.Step();
            for (int k = 0; k < ps.Length; k++)
                AssertClose(refs[k], ps[k], f32 ? 1e-6 : 1e-12, $"{name} {dtype.TorchName()} shape {Trace.Shapes.Format(ps[k].Shape)} step {step}");
        }
    }

    private static void AssertClose(double[] expected, Tensor actual, double tol, string what)
    {
        var got = actual.IsContiguous ? actual.ToArray<double>() : Reference.Values(actual);
        Assert.HasCount(expected.Length, got, what);
        for (int i = 0; i < got.Length; i++)
            if (!(Math.Abs(got[i] - expected[i]) <= tol * (1 + Math.Abs(expected[i]))))
                Assert.Fail($"{what}: element {i} expected {expected[i]:R} but got {got[i]:R}");
    }

    // ---- Param groups, ZeroGrad, skipping, versions ----

    private static Tensor Param(params double[] v) => Tensor.From(v).RequiresGrad_();

    [TestMethod]
    public void ParamGroupsHaveTheirOwnLrAndInheritTheOtherOptions()
    {
        var a = Param(1, 2);
        var b = Param(3, 4);
        var opt = new SGD([new ParamGroup([a]) { Lr = 0.5 }, new ParamGroup([b])], lr: 0.1, momentum: 0.9, weightDecay: 0.01);
        Assert.AreEqual(0.5, opt.ParamGroups[0].Lr);
        Assert.AreEqual(0.1, opt.ParamGroups[1].Lr);
        Assert.AreEqual(0.9, opt.ParamGroups[0].Momentum);
        Assert.AreEqual(0.01, opt.ParamGroups[1].WeightDecay);
        a.Grad = Tensor.From(new double[] { 1, 1 });
        b.Grad = Tensor.From(new double[] { 1, 1 });
        opt.Step();
        CollectionAssert.AreEqual(new[] { 1 - 0.5 * (1 + 0.01 * 1), 2 - 0.5 * (1 + 0.01 * 2) }, a.ToArray<double>());
        CollectionAssert.AreEqual(new[] { 3 - 0.1 * (1 + 0.01 * 3), 4 - 0.1 * (1 + 0.01 * 4) }, b.ToArray<double>());

        // Adam's first step moves each element by about lr·sign(g), whatever the gradient's scale.
        var x = Param(0, 0);
        var y = Param(0, 0);
        var adam = new Adam([new ParamGroup([x]), new ParamGroup([y]) { Lr = 0.2, Betas = (0.5, 0.9) }], lr: 0.01);
        Assert.AreEqual((0.9, 0.999), adam.ParamGroups[0].Betas);
        Assert.AreEqual((0.5, 0.9), adam.ParamGroups[1].Betas);
        x.Grad = Tensor.From(new double[] { 3, -0.5 });
        y.Grad = Tensor.From(new double[] { -7, 0.25 });
        adam.Step();
        Reference.AssertClose([-0.01, 0.01], x, 0, 1e-7);
        Reference.AssertClose([0.2, -0.2], y, 0, 1e-7);

        var z = Param(1);
        adam.AddParamGroup(new ParamGroup([z]) { Lr = 1 });
        Assert.AreEqual(1e-8, adam.ParamGroups[2].Eps);
        Assert.ThrowsExactly<InvalidOperationException>(() => new ParamGroup([z]).Lr, "unset options throw until the group joins an optimizer");
    }

    [TestMethod]
    public void ZeroGradSetsToNoneOrZeros()
    {
        var a = Param(1, 2, 3);
        var b = Param(4);
        var opt = new SGD([a, b], lr: 0.1);
        (a * a).Sum().Backward();
        Assert.IsNotNull(a.Grad);
        Assert.IsNull(b.Grad);
        opt.ZeroGrad();
        Assert.IsNull(a.Grad);

        (a * a).Sum().Backward();
        b.Grad = Tensor.From(new double[] { 5 }).RequiresGrad_();
        opt.ZeroGrad(setToNone: false);
        CollectionAssert.AreEqual(new double[] { 0, 0, 0 }, a.Grad!.ToArray<double>());
        CollectionAssert.AreEqual(new double[] { 0 }, b.Grad!.ToArray<double>());
        Assert.IsFalse(b.Grad.RequiresGrad, "a zeroed gradient no longer requires grad");
        (a * 2.0).Sum().Backward();
        CollectionAssert.AreEqual(new double[] { 2, 2, 2 }, a.Grad!.ToArray<double>(), "zeroed gradients accumulate from zero");
    }

    [TestMethod]
    public void ParametersWithoutGradientAreSkipped()
    {
        foreach (var opt in new Func<Tensor[], Optimizer>[] { ps => new SGD(ps, 0.1, momentum: 0.9, weightDecay: 0.1), ps => new Adam(ps, 0.1), ps => new AdamW(ps, 0.1) })
        {
            var a = Param(1, 2);
            var b = Param(3, 4);
            var o = opt([a, b]);
            a.Grad = Tensor.From(new double[] { 1, 1 });
            int version = b.Storage.Version;
            o.Step();
            CollectionAssert.AreEqual(new double[] { 3, 4 }, b.ToArray<double>(), $"{o.Name}: a parameter without grad is not decayed either");
            Assert.AreEqual(version, b.Storage.Version);
            Assert.IsFalse(o.State.ContainsKey(b));
            b.Grad = Tensor.From(new double[] { 1, 1 });
            o.Step();
            Assert.AreEqual(2, o.State[a].Step);
            Assert.AreEqual(1, o.State[b].Step, $"{o.Name}: steps count per parameter");
        }
    }

    [TestMethod]
    public void AStepBumpsTheParameterVersion()
    {
        var w = Tensor.From(new float[] { 1, 2, 3 }).RequiresGrad_();
        var x = Tensor.From(new float[] { 4, 5, 6 });
        var opt = new Adam([w], lr: 0.1);
        var loss = (w * x).Sum();   // mul saves w for backward
        w.Grad = Tensor.Ones(3);
        int version = w.Storage.Version;
        opt.Step();
        Assert.AreEqual(version + 1, w.Storage.Version);
        var ex = Assert.ThrowsExactly<InvalidOperationException>(() => loss.Backward());
        StringAssert.Contains(ex.Message, "modified by an inplace operation");
    }

    [TestMethod]
    public void AGradientOfTheWrongShapeIsReported()
    {
        var w = Param(1, 2, 3);
        var opt = new SGD([w], lr: 0.1);
        w.Grad = Tensor.Ones([2], DType.Float64);
        var ex = Assert.ThrowsExactly<InvalidOperationException>(opt.Step);
        StringAssert.Contains(ex.Message, "SGD");
        StringAssert.Contains(ex.Message, "(2,)");
        StringAssert.Contains(ex.Message, "(3,)");
        w.Grad = Tensor.Ones([3], DType.Float32);
        opt.Step();
        CollectionAssert.AreEqual(new[] { 0.9, 1.9, 2.9 }, w.ToArray<double>(), "a float32 gradient is converted to the parameter's dtype");
    }

    // ---- End to end: least squares with autograd ----

    [TestMethod]
    [DataRow("SGD", 1e-10), DataRow("SGD momentum", 1e-10), DataRow("SGD nesterov", 1e-10), DataRow("Adam", 1e-10),
     DataRow("Adam amsgrad", 1e-10), DataRow("AdamW", 1e-6)]
    public void MinimizesALeastSquaresProblem(string kind, double threshold)
    {
        var rng = new Random(7);
        var a = Reference.Random(rng, [32, 6], DType.Float32, -1, 1);
        var wTrue = Reference.Random(rng, [6, 1], DType.Float32, -1, 1);
        Tensor b;
        using (Autograd.NoGrad()) b = a.Matmul(wTrue);
        var w = Tensor.Zeros([6, 1], DType.Float32).RequiresGrad_();
        Optimizer opt = kind switch
        {
            "SGD" => new SGD([w], lr: 0.5),
            "SGD momentum" => new SGD([w], lr: 0.1, momentum: 0.9),
            "SGD nesterov" => new SGD([w], lr: 0.1, momentum: 0.9, nesterov: true),
            "Adam" => new Adam([w], lr: 0.05),
            "Adam amsgrad" => new Adam([w], lr: 0.05, amsgrad: true),
            _ => new AdamW([w], lr: 0.05, weightDecay: 1e-3),
        };
        Tensor Loss() => (a.Matmul(w) - b).Square().Mean();
        double first = Loss().Item();
        for (int i = 0; i < 300; i++)
        {
            opt.ZeroGrad();
            Loss().Backward();
            opt.Step();
        }
        double last = Loss().Item();
        Assert.IsLessThan(threshold, last, $"{kind}: loss went from {first} to {last}");
    }

    // ---- LR schedulers ----

    [TestMethod]
    public void StepLRFollowsTheClosedForm()
    {
        var opt = new SGD([new ParamGroup([Param(1)]), new ParamGroup([Param(2)]) { Lr = 0.02 }], lr: 0.1);
        var sched = new StepLR(opt, stepSize: 3, gamma: 0.5);
        CollectionAssert.AreEqual(new[] { 0.1, 0.02 }, sched.LastLr.ToArray());
        for (int epoch = 1; epoch <= 12; epoch++)
        {
            sched.Step();
            Assert.AreEqual(epoch, sched.LastEpoch);
            double[] expected = [0.1 * Math.Pow(0.5, epoch / 3), 0.02 * Math.Pow(0.5, epoch / 3)];
            for (int g = 0; g < 2; g++)
            {
                Assert.AreEqual(expected[g], sched.LastLr[g], 1e-15 * expected[g], $"epoch {epoch} group {g}");
                Assert.AreEqual(sched.LastLr[g], opt.ParamGroups[g].Lr);
            }
        }
        Assert.AreEqual(0.1 / 16, opt.ParamGroups[0].Lr, 1e-17);
        Assert.ThrowsExactly<ArgumentException>(() => new StepLR(opt, stepSize: 0));
    }

    [TestMethod]
    public void CosineAnnealingLRFollowsTheClosedForm()
    {
        var p = Param(1);
        var opt = new Adam([new ParamGroup([p]), new ParamGroup([Param(2)]) { Lr = 0.5 }], lr: 0.1);
        var sched = new CosineAnnealingLR(opt, tMax: 10, etaMin: 0.01);
        CollectionAssert.AreEqual(new[] { 0.1, 0.5 }, sched.LastLr.ToArray());
        double[] bases = [0.1, 0.5];
        for (int epoch = 1; epoch <= 12; epoch++)
        {
            sched.Step();
            if (epoch == 10) Assert.AreEqual(0.01, sched.LastLr[1], 1e-15, "etaMin is reached at tMax");
            for (int g = 0; g < 2; g++)
            {
                double expected = 0.01 + (bases[g] - 0.01) * (1 + Math.Cos(Math.PI * epoch / 10)) / 2;
                Assert.AreEqual(expected, sched.LastLr[g], 1e-15, $"epoch {epoch} group {g}");
                Assert.AreEqual(sched.LastLr[g], opt.ParamGroups[g].Lr);
            }
        }
        Assert.IsGreaterThan(0.011, sched.LastLr[0], "past tMax the cosine turns back up");

        // The optimizer uses the scheduled lr: Adam's first step moves p by about lr.
        p.Grad = Tensor.From(new double[] { 1 });
        opt.Step();
        Assert.AreEqual(1 - sched.LastLr[0], p.Item(), 1e-9);
        Assert.ThrowsExactly<ArgumentException>(() => new CosineAnnealingLR(opt, tMax: 0));
    }

    // ---- Argument validation ----

    private static void AssertBad(Func<object> make, params string[] fragments)
    {
        var ex = Assert.ThrowsExactly<ArgumentException>(() => make());
        foreach (var f in fragments) StringAssert.Contains(ex.Message, f);
    }

    [TestMethod]
    public void BadArgumentsAreReportedWithTheOptimizerAndTheValue()
    {
        var p = Param(1, 2);
        AssertBad(() => new SGD([p], lr: -0.1), "SGD", "learning rate", "-0.1");
        AssertBad(() => new Adam([p], lr: -0.25), "Adam", "learning rate", "-0.25");
        AssertBad(() => new AdamW([p], lr: double.NaN), "AdamW", "Invalid learning rate: nan");
        AssertBad(() => new SGD([p], momentum: -0.5), "SGD", "momentum", "-0.5");
        AssertBad(() => new SGD([p], weightDecay: -0.01), "SGD", "weight_decay", "-0.01");
        AssertBad(() => new AdamW([p], weightDecay: -0.3), "AdamW", "weight_decay", "-0.3");
        AssertBad(() => new Adam([p], betas: (1.0, 0.999)), "Adam", "beta parameter at index 0", ": 1.0 ");
        AssertBad(() => new Adam([p], betas: (-0.1, 0.999)), "Adam", "index 0", "-0.1");
        AssertBad(() => new AdamW([p], betas: (0.9, 1.5)), "AdamW", "index 1", "1.5");
        AssertBad(() => new Adam([p], eps: -0.001), "Adam", "epsilon", "-0.001");
        AssertBad(() => new SGD([p], nesterov: true), "SGD", "Nesterov", "momentum=0");
        AssertBad(() => new SGD([p], momentum: 0.9, dampening: 0.1, nesterov: true), "SGD", "Nesterov", "dampening=0.1");
        AssertBad(() => new SGD([new ParamGroup([p]), new ParamGroup([Param(3)]) { Lr = -0.3 }], lr: 0.1), "SGD", "-0.3", "param group 1");
        AssertBad(() => new Adam([new ParamGroup([p]) { Betas = (0.9, 1.0) }]), "Adam", "index 1", "param group 0");

        AssertBad(() => new SGD([p, Tensor.From(new double[] { 1, 2, 3 })], lr: 0.1), "SGD", "parameter 1", "does not require grad");
        AssertBad(() => new Adam([Tensor.From(new long[] { 1, 2 })]), "Adam", "torch.int64", "floating point");
        AssertBad(() => new AdamW([p * 2.0]), "AdamW", "non-leaf", "aten::mul");
        AssertBad(() => new SGD([new ParamGroup([p]), new ParamGroup([Param(3), p])], lr: 0.1), "SGD", "more than one parameter group", "parameter 1 of param group 1");
        AssertBad(() => new Adam([p, p]), "Adam", "more than once");
        AssertBad(() => new SGD(Array.Empty<Tensor>(), lr: 0.1), "SGD", "empty parameter list");
        AssertBad(() => new Adam(Array.Empty<ParamGroup>()), "Adam", "empty parameter list");

        var opt = new SGD([p], lr: 0.1);
        AssertBad(() => { opt.AddParamGroup(new ParamGroup([p])); return opt; }, "SGD", "more than one parameter group");
        Assert.HasCount(1, opt.ParamGroups, "a rejected group is not added");
    }

    [TestMethod]
    public void KernelsRejectMismatchedBuffers()
    {
        var ex = Assert.ThrowsExactly<ArgumentException>(() =>
            OptimKernels.SgdStep(new float[4], new float[3], default, new SgdStepArgs<float>(0.1f, 0, 0, 1, false, false, false)));
        StringAssert.Contains(ex.Message, "SgdStep");
        ex = Assert.ThrowsExactly<ArgumentException>(() =>
            OptimKernels.AdamStep(new double[4], new double[4], new double[4], new double[4], new double[2], default(AdamStepArgs<double>)));
        StringAssert.Contains(ex.Message, "max_exp_avg_sq");
    }
}
