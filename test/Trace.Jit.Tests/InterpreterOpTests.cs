using Trace.Ops;
using Microsoft.VisualStudio.TestTools.UnitTesting;
using Trace.Testing;

namespace Trace.Jit.Tests;

/// <summary>Every op traced and run by the interpreter equals eager execution, forward and gradients, on fresh random inputs.</summary>
[TestClass]
public class InterpreterOpTests
{
    private static Tensor R(Generator g, params int[] shape) => Tensor.Randn(shape, DType.Float64, g);

    internal static readonly Dictionary<string, (Func<Tensor[], Tensor> F, Func<Generator, Tensor[]> Inputs)> Cases = new()
    {
        ["arithmetic"] = (x => (x[0] + x[1]) * (x[0] - 2.0) / (x[1].Abs() + 1.0) - 3.0 * x[0], g => [R(g, 3, 4), R(g, 4)]),
        ["pow_max_min"] = (x => x[0].Abs().Add(0.5).Pow(x[1]).Maximum(x[1]).Minimum(x[0].Pow(2.0)), g => [R(g, 2, 5), R(g, 2, 5)]),
        ["unary"] = (x => x[0].Exp().Add(1.0).Log().Sqrt().Rsqrt().Tanh().Sigmoid().Relu().Gelu().Erf().Square().Neg(), g => [R(g, 7)]),
        ["gelu_tanh_clamp"] = (x => x[0].Gelu(GeluApproximation.Tanh).Clamp(-0.1, 0.3) + x[0].Clamp(max: 0.2), g => [R(g, 9)]),
        ["compare_where"] = (x => Tensor.Where((x[0] > x[1]).LogicalAnd(x[0] >= 0.0).LogicalOr((x[0] < -1.0).LogicalXor(x[1].Le(0.0))), x[0], x[1] * 2.0), g => [R(g, 3, 3), R(g, 3)]),
        ["masked_fill_not"] = (x => x[0].MaskedFill((x[0].Ne(0.0)).LogicalNot().LogicalOr(x[0].Eq(x[0].Max())), -1), g => [R(g, 4, 2)]),
        ["reductions"] = (x => x[0].Sum([1], keepdim: true) + x[0].Mean(0) + x[0].Prod(1, keepdim: true) + x[0].Amax([0]) - x[0].Amin([1], keepdim: true), g => [R(g, 3, 3)]),
        ["max_dim_argmax"] = (x => x[0].Max(1).Values.Unsqueeze(1) * x[0].Argmax(1, keepdim: true).To(DType.Float64) + x[0].Min(0, keepdim: true).Values, g => [R(g, 3, 4)]),
        ["var_std_lse"] = (x => x[0].Var([1]) + x[0].Std([1], correction: 0) + x[0].LogSumExp(1), g => [R(g, 2, 6)]),
        ["softmax_logsoftmax_layernorm"] = (x => x[0].Softmax(-1) + x[0].LogSoftmax(0) + x[0].LayerNorm([5], x[1], x[2]), g => [R(g, 3, 5), R(g, 5), R(g, 5)]),
        ["matmul_linear"] = (x => Tensor.Linear(x[0].Matmul(x[1]), x[2]) + x[0].Matmul(x[1].Select(1, 0)).Unsqueeze(1).Sum(), g => [R(g, 2, 3, 4), R(g, 4, 5), R(g, 6, 5)]),
        ["views"] = (x => x[0].View(4, 6).T.Reshape(3, 8).Permute(1, 0).Unsqueeze(0).Squeeze(0).Expand(2, 8, 3).Narrow(1, 2, 4).Slice(2, 0, 3, 2).Select(0, 1).Squeeze(), g => [R(g, 2, 3, 4)]),
        ["cat_stack_split"] = (x => Tensor.Stack([Tensor.Cat([x[0], x[1]], 1).Split(2, 1)[1], x[0]], 0).Flatten(), g => [R(g, 2, 2), R(g, 2, 3)]),
        ["gather_index_select"] = (x => x[0].Gather(1, Tensor.From(new long[] { 2, 0, 1, 1 }, [2, 2])) + x[0].IndexSelect(1, Tensor.From(new long[] { 1, 1 })), g => [R(g, 2, 3)]),
        ["tril_triu_clone_to"] = (x => x[0].Tril().Clone() + x[0].Triu(1).To(DType.Float32).To(DType.Float64), g => [R(g, 3, 4)]),
        ["in_place_on_intermediates"] = (x => { var h = x[0] * 1.0; using (Autograd.NoGrad()) { } return h.Detach().Add_(x[0].Detach()).Mul_(2.0).Sub_(1.0).Div_(3.0).Clamp_(-1, 1) + x[0]; }, g => [R(g, 5)]),
    };

    public static IEnumerable<object[]> Names() => Cases.Keys.Select(k => new object[] { k });

    [TestMethod]
    [DynamicData(nameof(Names))]
    public void InterpreterMatchesEager(string name)
    {
        var (f, inputs) = Cases[name];
        var g = new Generator((ulong)name.Length * 7919);
        var fresh = Enumerable.Range(0, 2).Select(_ => inputs(g)).ToList();
        var traced = TraceAssert.TracedMatchesEager(f, inputs(g), fresh, rtol: 1e-10, atol: 1e-12);
        var text = traced.RawGraph.ToString();
        Assert.AreEqual(text, Parser.Parse(text, traced.RawGraph.TensorConstants).ToString(), "round trip");
    }

    [TestMethod]
    public void EveryReportedOpHasAnExecutor()
    {
        var seen = new HashSet<string>();
        var observer = new KindCollector(seen);
        using (Dispatch.Observe(observer))
        {
            var g = new Generator(9);
            foreach (var (f, inputs) in Cases.Values)
            {
                var xs = inputs(g).Select(t => t.RequiresGrad_()).ToArray();
                f(xs).Sum().Backward();   // backward rules run ops too: they must be executable from IR as well
            }
            Tensor.Rand([2]);
            Tensor.Randn([2]);
            Tensor.Randint(0, 3, [2]);
            Tensor.Zeros(2).Copy_(Tensor.Ones(2)).Fill_(3).Any();
            Tensor.Ones(2).All();
            Tensor.Arange(4).Argmin();
            Tensor.Full([2], 0.5).Add(Tensor.Zeros(2));
        }
        var missing = seen.Where(k => OpTable.Find(k) is null).ToList();
        Assert.AreEqual(0, missing.Count, "ops without an executor: " + string.Join(", ", missing));
        Assert.IsTrue(seen.Count > 50, $"the cases should exercise most ops (saw {seen.Count})");
    }

    private sealed class KindCollector(HashSet<string> seen) : IOpObserver
    {
        public void OnOp(OpCall op, IReadOnlyList<Tensor?> inputs, Tensor output, Func<Tensor?[], Tensor>? replay) => seen.Add(op.Name);
        public void OnRead(Tensor tensor, string api) { }
        public void OnMutating(Tensor tensor) { }
        public void OnCreate(Tensor tensor, OpCall factory) => seen.Add(factory.Name);
    }
}
