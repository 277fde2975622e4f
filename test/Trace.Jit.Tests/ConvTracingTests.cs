using Microsoft.VisualStudio.TestTools.UnitTesting;
using Trace.Nn;
using Trace.Testing;

namespace Trace.Jit.Tests;

/// <summary>Golden IR for the convolution epilogue pass, and a small CNN traced on the CPU and CUDA backends against eager.</summary>
[TestClass]
[DoNotParallelize]
public class ConvTracingTests
{
    private const string X = "Float(2, 3, 8, 8, strides=[192, 64, 8, 1], requires_grad=0, device=cpu)";
    private const string W = "Float(4, 3, 3, 3, strides=[27, 9, 3, 1], requires_grad=1, device=cpu)";
    private const string B = "Float(4, strides=[1], requires_grad=1, device=cpu)";
    private const string Y = "Float(2, 4, 6, 6, strides=[144, 36, 6, 1], requires_grad=1, device=cpu)";
    private const string Consts = """
          %1 : int[] = prim::Constant[value=[1, 1]]()
          %2 : int[] = prim::Constant[value=[0, 0]]()
          %3 : int = prim::Constant[value=1]()
        """;

    [TestMethod]
    public void ReluMovesIntoTheConvolution() => IrAssert.Golden(new ConvEpilogues(), $"""
        graph(%x : {X},
              %w : {W},
              %b : {B}):
        {Consts}
          %4 : {Y} = aten::conv2d(%x, %w, %b, %1, %2, %1, %3)
          %5 : {Y} = aten::relu(%4)
          return (%5)

        """, $"""
        graph(%x : {X},
              %w : {W},
              %b : {B}):
        {Consts}
          %4 : {Y} = aten::conv2d(%x, %w, %b, %1, %2, %1, %3)
          %6 : {Y} = trace::conv2d_relu(%x, %w, %b, %1, %2, %1, %3)
          %5 : {Y} = aten::relu(%4)
          return (%6)

        """);

    [TestMethod]
    public void ConvolutionsWithOtherUsesStay() => IrAssert.Unchanged(new ConvEpilogues(), $"""
        graph(%x : {X},
              %w : {W},
              %b : {B}):
        {Consts}
          %4 : {Y} = aten::conv2d(%x, %w, %b, %1, %2, %1, %3)
          %5 : {Y} = aten::relu(%4)
          return (%5, %4)

        """);

    /// <summary>The W6 network's shape at a small size: two conv+relu+maxpool stages, flatten, two linears, cross-entropy.</summary>
    private sealed class SmallCnn : Module
    {
        public readonly Conv2d Conv1, Conv2;
        public readonly Linear Fc1, Fc2;

        public SmallCnn(Generator g)
        {
            Conv1 = new Conv2d(1, 4, 3, generator: g);
            Conv2 = new Conv2d(4, 6, 3, padding: 1, generator: g);
            Fc1 = new Linear(6 * 2 * 2, 16, generator: g);
            Fc2 = new Linear(16, 3, generator: g);
        }

        public override Tensor Forward(Tensor x)
        {
            var h = Conv1.Forward(x).Relu().MaxPool2d([2]);
            h = Conv2.Forward(h).Relu().MaxPool2d([2]);
            return Fc2.Forward(Fc1.Forward(h.Flatten(1)).Relu());
        }
    }

    [TestMethod]
    [DataRow("cpu")]
    [DataRow("cuda")]
    public void ATracedCnnFusesConvReluAndMatchesEager(string device)
    {
        var dev = device == "cpu" ? Device.Cpu : Device.Cuda();
        var g = new Generator(47);
        var model = new SmallCnn(g);
        model.To(dev);
        Tensor Loss(Tensor[] v) => Nn.Functional.CrossEntropy(model.Forward(v[0]), v[1]);
        Tensor[] Inputs() => [Tensor.Randn([3, 1, 10, 10], generator: g).To(dev), Tensor.Randint(0, 3, [3], generator: g).To(dev)];
        var traced = Jit.Trace(Loss, Inputs(), new TraceOptions { CheckTrace = false });
        var kinds = traced.Graph.Nodes.Select(n => n.Kind).ToList();
        Assert.AreEqual(2, kinds.Count(k => k == "trace::conv2d_relu"), traced.Graph.ToString());
        CollectionAssert.DoesNotContain(kinds, "aten::conv2d", traced.Graph.ToString());
        Assert.AreEqual(2, kinds.Count(k => k == "aten::max_pool2d_with_indices"), traced.Graph.ToString());
        var ps = model.Parameters().ToArray();
        for (int call = 0; call < 2; call++)
        {
            var x = Inputs();
            var eager = Loss(x);
            var ge = Autograd.Grad([eager], ps);
            var compiled = traced.Call(x)[0];
            var gt = Autograd.Grad([compiled], ps);
            TraceAssert.AllClose(eager, compiled, 1e-5, 1e-5, $"{device} loss");
            for (int i = 0; i < ps.Length; i++) TraceAssert.AllClose(ge[i]!, gt[i]!, 1e-4, 1e-5, $"{device} gradient {i}");
        }
    }
}
