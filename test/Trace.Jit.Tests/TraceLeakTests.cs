using Microsoft.VisualStudio.TestTools.UnitTesting;
using Trace.Nn;

namespace Trace.Jit.Tests;

/// <summary>
/// Every op runs its computation hidden from observers and autograd (Dispatch.Record enters the internal scope
/// itself): a trace holds exactly the ops the user called, never the casts, copies and reads inside them.
/// </summary>
[TestClass]
public class TraceLeakTests
{
    /// <summary>Collects the ops and reads an observer sees.</summary>
    private sealed class OpLog : IOpObserver
    {
        public List<string> Ops { get; } = [];
        public List<(string Op, Tensor Output)> Outputs { get; } = [];
        public List<string> Reads { get; } = [];

        public void OnOp(OpCall op, IReadOnlyList<Tensor?> inputs, Tensor output, Func<Tensor?[], Tensor>? replay)
        {
            Ops.Add(op.Name);
            Outputs.Add((op.Name, output));
        }

        public void OnRead(Tensor tensor, string api) => Reads.Add(api);

        public void OnMutating(Tensor tensor) { }
    }

    private static OpLog Observe(Action body)
    {
        var log = new OpLog();
        using (Dispatch.Observe(log)) body();
        return log;
    }

    [TestMethod]
    public void TracingFloatPlusDoubleRecordsOnlyTheAdd()
    {
        var a = Tensor.Randn([3, 4], generator: new Generator(1));
        var b = Tensor.Randn([3, 4], DType.Float64, new Generator(2));
        var traced = Jit.Trace(xs => xs[0].Add(xs[1]), [a, b]);
        var kinds = traced.RawGraph.Nodes.Select(n => n.Kind).Where(k => k.StartsWith("aten::", StringComparison.Ordinal)).ToArray();
        CollectionAssert.AreEqual(new[] { "aten::add" }, kinds, traced.RawGraph.ToString());
        // The traced graph still computes float64 a + b (the promotion happens inside aten::add).
        var (x, y) = (Tensor.Randn([3, 4], generator: new Generator(3)), Tensor.Randn([3, 4], DType.Float64, new Generator(4)));
        var expected = x.ToArray<double>().Zip(y.ToArray<double>(), (p, q) => p + q).ToArray();
        var got = traced.Call(x, y)[0];
        Assert.AreEqual(DType.Float64, got.DType);
        CollectionAssert.AreEqual(expected, got.ToArray<double>());
    }

    [TestMethod]
    public void MixedDTypeAddWithGradLeavesNoAutogradNodeOutsideItsOwn()
    {
        var a = Tensor.Randn([2, 3], generator: new Generator(5));
        a.RequiresGrad = true;
        var b = Tensor.Randn([2, 3], DType.Float64, new Generator(6));
        b.RequiresGrad = true;
        Tensor r = null!;
        var log = Observe(() => r = a + b);
        CollectionAssert.AreEqual(new[] { "aten::add" }, log.Ops);
        Assert.AreEqual("aten::add", r.GradFn!.Name);
        // The add's backward goes straight to the leaves: no aten::to node was put between them.
        CollectionAssert.AreEqual(new[] { "AccumulateGrad", "AccumulateGrad" }, r.GradFn.Next.Select(n => n!.Name).ToArray());
        r.Sum().Backward();
        Assert.AreEqual(DType.Float32, a.Grad!.DType, "the gradient comes back in the input's dtype");
        CollectionAssert.AreEqual(Enumerable.Repeat(1f, 6).ToArray(), a.Grad.ToArray<float>());
        CollectionAssert.AreEqual(Enumerable.Repeat(1.0, 6).ToArray(), b.Grad!.ToArray<double>());
    }

    /// <summary>A custom function that reports the grad mode its forward ran under.</summary>
    private sealed class GradModeProbe : Function
    {
        public bool? GradEnabledInForward { get; private set; }

        protected override Tensor Forward(FunctionContext ctx, Tensor[] inputs)
        {
            GradEnabledInForward = Autograd.IsEnabled;
            return inputs[0].To(DType.Float64).Mul(2.0);
        }

        protected override Tensor?[] Backward(FunctionContext ctx, Tensor gradOutput) => [gradOutput.Mul(2.0)];
    }

    [TestMethod]
    public void AnOpsComputationRunsWithoutAutogradAndUnseen()
    {
        var x = Tensor.Randn([4], generator: new Generator(7));
        x.RequiresGrad = true;
        var probe = new GradModeProbe();
        Tensor y = null!;
        var log = Observe(() => y = probe.Apply(x));
        Assert.IsFalse(probe.GradEnabledInForward!.Value, "Forward runs with autograd off");
        CollectionAssert.AreEqual(new[] { "GradModeProbe" }, log.Ops, "the cast and the product inside Forward are hidden");
        Assert.AreEqual("GradModeProbe", y.GradFn!.Name);
        Assert.IsTrue(Autograd.IsEnabled, "grad mode is restored after the op");
    }

    [TestMethod]
    public void CompositeAndPromotingOpsRecordOnlyWhatTheUserCalled()
    {
        var g = new Generator(8);
        var x = Tensor.Randn([3, 4], generator: g);
        var xd = Tensor.Randn([3, 4], DType.Float64, g);
        var xi = Tensor.Randint(-3, 4, [3, 4], g);
        var mask = x.Gt(0.0);
        var w = Tensor.Randn([4], generator: g);
        var lw = Tensor.Randn([5, 4], generator: g);
        var idx = Tensor.Randint(0, 3, [2], g);
        var gidx = Tensor.Randint(0, 4, [3, 2], g);
        var cases = new (string Name, Func<Tensor> Op, string[] Expected)[]
        {
            ("float32 * float64", () => x.Mul(xd), ["aten::mul"]),
            ("float32 / int64", () => x.Div(xi), ["aten::div"]),
            ("int64 / int64", () => xi.Div(xi), ["aten::div"]),
            ("float32 ** float64", () => x.Abs().Pow(xd), ["aten::abs", "aten::pow"]),
            ("int64 ** int64", () => xi.Abs().Pow(xi.Abs()), ["aten::abs", "aten::abs", "aten::pow"]),
            ("exp of int64", () => xi.Exp(), ["aten::exp"]),
            ("float32 < float64", () => x.Lt(xd), ["aten::lt"]),
            ("bool + bool", () => mask.Add(mask), ["aten::add"]),
            ("logical_not of bool", () => mask.LogicalNot(), ["aten::logical_not"]),
            ("where with mixed dtypes", () => Tensor.Where(mask, x, xd), ["aten::where"]),
            ("clamp", () => x.Clamp(-0.5, 0.5), ["aten::clamp"]),
            ("clamp_", () => x.Clone().Clamp_(-0.5, 0.5), ["aten::clone", "aten::clamp_"]),
            ("add_ of float64 into float32", () => x.Clone().Add_(xd), ["aten::clone", "aten::add_"]),
            ("any of float", () => x.Any(), ["aten::any"]),
            ("all of int", () => xi.All(), ["aten::all"]),
            ("max(dim)", () => x.Max(1).Values, ["aten::max"]),
            ("var", () => x.Var([1]), ["aten::var"]),
            ("softmax of a transposed view", () => x.T.Softmax(0), ["aten::permute", "aten::softmax"]),
            ("layer_norm", () => x.LayerNorm([4], w, w), ["aten::native_layer_norm"]),
            ("linear", () => Functional.Linear(x, lw, lw.Select(1, 0)), ["aten::select", "aten::linear"]),
            ("matmul of a transposed view", () => x.Matmul(x.T), ["aten::permute", "aten::matmul"]),
            ("gather", () => x.Gather(1, gidx), ["aten::gather"]),
            ("index_select", () => x.IndexSelect(0, idx), ["aten::index_select"]),
            ("masked_fill", () => x.MaskedFill(mask, 1.5), ["aten::masked_fill"]),
            ("cat of float32 and float64", () => Tensor.Cat([x, xd], 0), ["aten::cat"]),
            ("reshape that copies", () => x.T.Reshape(12), ["aten::permute", "aten::reshape"]),
            ("to", () => x.To(DType.Float64), ["aten::to"]),
        };
        foreach (var (name, op, expected) in cases)
        {
            var log = Observe(() => op());
            CollectionAssert.AreEqual(expected, log.Ops, $"{name}: observed [{string.Join(", ", log.Ops)}]");
            Assert.AreEqual(0, log.Reads.Count, $"{name}: reads inside the op are hidden, saw [{string.Join(", ", log.Reads)}]");
        }
    }
}
