using Microsoft.VisualStudio.TestTools.UnitTesting;
using Trace.Nn;
using Trace.Optim;
using Trace.Testing;

namespace Trace.Jit.Tests;

/// <summary>
/// maskpool: where(y ≤ c, 0, max_pool_backward(g, y, …, idx)) becomes max_pool_backward(where(out ≤ c, 0, g), y, …, idx);
/// the same values (NaN, ties and overlapping windows included), and only for the pattern it is exact for.
/// </summary>
[TestClass]
public sealed class MaskBeforeMaxPoolBackwardTests
{
    private static readonly MaskBeforeMaxPoolBackward Pass = new();

    /// <summary>y (1, 2, 4, 4) pooled with kernel 2 and the given stride; the full-size gradient masked by y ≤ threshold, filled with <paramref name="fill"/>.</summary>
    private static string Graph(int stride, string fill = "0.", string maskedBy = "%y", string indicesOf = "%y")
    {
        int o = (4 - 2) / stride + 1;
        string f = "Float(1, 2, 4, 4, strides=[32, 16, 4, 1], requires_grad=0, device=cpu)";
        string p = $"Float(1, 2, {o}, {o}, strides=[{2 * o * o}, {o * o}, {o}, 1], requires_grad=0, device=cpu)";
        string l = $"Long(1, 2, {o}, {o}, strides=[{2 * o * o}, {o * o}, {o}, 1], requires_grad=0, device=cpu)";
        return $"""
            graph(%y : {f},
                  %z : {f},
                  %g : {p}):
              %k : int[] = prim::Constant[value=[2, 2]]()
              %s : int[] = prim::Constant[value=[{stride}, {stride}]]()
              %p : int[] = prim::Constant[value=[0, 0]]()
              %d : int[] = prim::Constant[value=[1, 1]]()
              %c : bool = prim::Constant[value=0]()
              %a : {p}, %idx : {l} = aten::max_pool2d_with_indices({indicesOf}, %k, %s, %p, %d, %c)
              %b : {f} = aten::max_pool2d_with_indices_backward(%g, %y, %k, %s, %p, %d, %c, %idx)
              %t : float = prim::Constant[value=0.25]()
              %m : Bool(1, 2, 4, 4, strides=[32, 16, 4, 1], requires_grad=0, device=cpu) = aten::le({maskedBy}, %t)
              %v : float = prim::Constant[value={fill}]()
              %r : {f} = aten::where(%m, %v, %b)
              return (%r, %a)

            """;
    }

    private static Tensor[] Inputs()
    {
        var y = Tensor.Randn([1, 2, 4, 4], generator: new Generator(3)).To(DType.Float32);
        // A NaN, ties, and values at the threshold exercise the cases where masking before or after could differ.
        y[0, 0, 1, 1] = Tensor.Scalar(float.NaN);
        y[0, 1, 0, 0] = Tensor.Scalar(0.25f);
        y[0, 1, 2, 2] = Tensor.Scalar(2f);
        y[0, 1, 2, 3] = Tensor.Scalar(2f);
        var z = Tensor.Randn([1, 2, 4, 4], generator: new Generator(4)).To(DType.Float32);
        return [y, z];
    }

    [TestMethod]
    [DataRow(2, DisplayName = "disjoint windows")]
    [DataRow(1, DisplayName = "overlapping windows")]
    public void TheMaskMovesToThePooledGradientAndTheValuesStayTheSame(int stride)
    {
        var g = Parser.Parse(Graph(stride));
        var before = g.Clone();
        Assert.IsTrue(Pass.Run(g));
        new DeadCodeElimination().Run(g);
        // The one where left masks the pooled gradient, and the scatter comes after it.
        var where = g.Nodes.Single(n => n.Kind == "aten::where");
        CollectionAssert.AreEqual(before.Inputs[2].TensorType!.Shape, where.Output.TensorType!.Shape);
        Assert.AreSame(where.Output, g.Nodes.Single(n => n.Kind == "aten::max_pool2d_with_indices_backward").Inputs[0]);
        var inputs = Inputs();
        var grad = Tensor.Randn(before.Inputs[2].TensorType!.Shape, generator: new Generator(5)).To(DType.Float32);
        Tensor[] args = [inputs[0], inputs[1], grad];
        var expected = Interpreter.Run(before, args);
        var actual = Interpreter.Run(g, args);
        for (int i = 0; i < expected.Length; i++) TraceAssert.AllClose(expected[i], actual[i], rtol: 0, atol: 0, what: $"output {i}");
    }

    [TestMethod]
    [DataRow("1.", "%y", "%y", DisplayName = "a nonzero fill (positions no window chose would differ)")]
    [DataRow("0.", "%z", "%y", DisplayName = "a mask by another tensor")]
    [DataRow("0.", "%y", "%z", DisplayName = "indices of another pooling")]
    public void OtherPatternsAreLeftAlone(string fill, string maskedBy, string indicesOf)
    {
        var g = Parser.Parse(Graph(2, fill, maskedBy, indicesOf));
        string text = g.ToString();
        Assert.IsFalse(Pass.Run(g));
        Assert.AreEqual(text, g.ToString());
    }

    [TestMethod]
    public void ACnnTrainStepFiresThePassAndMatchesEager()
    {
        // conv → relu → max_pool twice (the W6 shape, small), traced as one step: no full-size masked gradient remains,
        // and a traced step updates the parameters as an eager step does.
        Module Make() => new Sequential(new Conv2d(1, 4, 3, generator: new Generator(1)), new ReLU(), new MaxPool2d([2]),
            new Conv2d(4, 6, 3, generator: new Generator(2)), new ReLU(), new MaxPool2d([2]), new Flatten(), new Linear(6, 3, generator: new Generator(3)));
        var x = Tensor.Randn([5, 1, 10, 10], generator: new Generator(4));
        var y = Tensor.From(new long[] { 0, 2, 1, 1, 0 });
        var (eager, traced) = (Make(), Make());
        var eagerOpt = new SGD(eager.Parameters(), lr: 0.1);
        var step = Jit.TraceStep(traced, (p, t) => Functional.CrossEntropy(p, t), new SGD(traced.Parameters(), lr: 0.1), x, y);
        var graph = step.Traced.Graph;
        foreach (var back in graph.Nodes.Where(n => n.Kind == "aten::max_pool2d_with_indices_backward"))
            Assert.IsFalse(back.Output.Uses.Any(u => u.Kind is "aten::where" or "prim::FusionGroup"), "a max-pool input gradient is still masked:\n" + graph);
        for (int i = 0; i < 3; i++)
        {
            eagerOpt.ZeroGrad();
            Functional.CrossEntropy(eager.Forward(x), y).Backward();
            eagerOpt.Step();
            step.Step(x, y);
        }
        foreach (var (e, t) in eager.Parameters().Zip(traced.Parameters())) TraceAssert.AllClose(e, t, rtol: 1e-5, atol: 1e-6, what: "parameter after 3 steps");
    }
}
