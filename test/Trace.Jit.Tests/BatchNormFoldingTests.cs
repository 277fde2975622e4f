using Microsoft.VisualStudio.TestTools.UnitTesting;
using Trace.Nn;
using Trace.Testing;

namespace Trace.Jit.Tests;

/// <summary>Golden IR for folding inference batch norm into the layer before it, and traced eval models against eager.</summary>
[TestClass]
[DoNotParallelize]
public class BatchNormFoldingTests
{
    private const string X = "Float(2, 3, 8, 8, strides=[192, 64, 8, 1], requires_grad=0, device=cpu)";
    private const string W = "Float(4, 3, 3, 3, strides=[27, 9, 3, 1], requires_grad=0, device=cpu)";
    private const string C = "Float(4, strides=[1], requires_grad=0, device=cpu)";
    private const string Y = "Float(2, 4, 6, 6, strides=[144, 36, 6, 1], requires_grad=0, device=cpu)";

    private static string ConvBn(string training, string returns) => $"""
        graph(%x : {X},
              %w : {W},
              %b : {C},
              %gamma : {C},
              %beta : {C},
              %mean : {C},
              %var : {C}):
          %1 : int[] = prim::Constant[value=[1, 1]]()
          %2 : int[] = prim::Constant[value=[0, 0]]()
          %3 : int = prim::Constant[value=1]()
          %4 : {Y} = aten::conv2d(%x, %w, %b, %1, %2, %1, %3)
          %5 : bool = prim::Constant[value={training}]()
          %6 : float = prim::Constant[value=0.1]()
          %7 : float = prim::Constant[value=1e-05]()
          %8 : {Y} = aten::batch_norm(%4, %gamma, %beta, %mean, %var, %5, %6, %7)
          return ({returns})

        """;

    [TestMethod]
    public void InferenceBatchNormMovesIntoTheConvolutionsWeightAndBias() => IrAssert.Golden(new BatchNormFolding(), ConvBn("0", "%8"), $"""
        graph(%x : {X},
              %w : {W},
              %b : {C},
              %gamma : {C},
              %beta : {C},
              %mean : {C},
              %var : {C}):
          %1 : int[] = prim::Constant[value=[1, 1]]()
          %2 : int[] = prim::Constant[value=[0, 0]]()
          %3 : int = prim::Constant[value=1]()
          %4 : {Y} = aten::conv2d(%x, %w, %b, %1, %2, %1, %3)
          %5 : bool = prim::Constant[value=0]()
          %6 : float = prim::Constant[value=0.1]()
          %7 : float = prim::Constant[value=1e-05]()
          %9 : float = prim::Constant[value=1e-05]()
          %10 : {C} = aten::add(%var, %9)
          %11 : {C} = aten::rsqrt(%10)
          %12 : {C} = aten::mul(%11, %gamma)
          %13 : int = prim::Constant[value=4]()
          %14 : int = prim::Constant[value=1]()
          %15 : int = prim::Constant[value=1]()
          %16 : int = prim::Constant[value=1]()
          %17 : int[] = prim::ListConstruct(%13, %14, %15, %16)
          %18 : Float(4, 1, 1, 1, strides=[1, 1, 1, 1], requires_grad=0, device=cpu) = aten::reshape(%12, %17)
          %19 : {W} = aten::mul(%w, %18)
          %20 : {C} = aten::sub(%b, %mean)
          %21 : {C} = aten::mul(%20, %12)
          %22 : {C} = aten::add(%21, %beta)
          %23 : {Y} = aten::conv2d(%x, %19, %22, %1, %2, %1, %3)
          %8 : {Y} = aten::batch_norm(%4, %gamma, %beta, %mean, %var, %5, %6, %7)
          return (%23)

        """);

    [TestMethod]
    public void TrainingBatchNormStays() => IrAssert.Unchanged(new BatchNormFolding(), ConvBn("1", "%8"));

    [TestMethod]
    public void AConvolutionWhoseOutputIsAlsoReturnedStays() => IrAssert.Unchanged(new BatchNormFolding(), ConvBn("0", "%8, %4"));

    /// <summary>Runs a few training batches so that the running statistics are not the initial zeros and ones.</summary>
    private static void Warm(Module model, int[] shape, Generator g)
    {
        model.Train();
        for (int i = 0; i < 3; i++) model.Forward(Tensor.Randn(shape, generator: g).Mul(2).Add(0.5));
        model.Eval();
    }

    [TestMethod]
    [DataRow("cpu", true, true)]
    [DataRow("cpu", false, false)]
    [DataRow("cuda", true, true)]
    public void AnEvalConvBatchNormReluBlockBecomesOneFusedConvolutionThatReadsTheLiveStatistics(string device, bool convBias, bool affine)
    {
        var dev = device == "cpu" ? Device.Cpu : Device.Cuda();
        var g = new Generator(5);
        var model = new Sequential(new Conv2d(3, 6, 3, padding: 1, bias: convBias, generator: g), new BatchNorm2d(6, affine: affine), new ReLU(),
                                   new Conv2d(6, 4, 3, generator: g), new BatchNorm2d(4, affine: affine));
        if (affine)
            foreach (var (name, p) in model.NamedParameters().Where(p => p.Name.StartsWith("1.", StringComparison.Ordinal) || p.Name.StartsWith("4.", StringComparison.Ordinal)))
                using (Autograd.NoGrad()) p.Copy_(Tensor.Rand(p.Shape.ToArray(), generator: g).Add(0.5));
        int[] shape = [2, 3, 9, 9];
        Warm(model, shape, g);
        model.To(dev);
        using var _ = Autograd.NoGrad();
        var x = Tensor.Randn(shape, generator: g).To(dev);
        var traced = Jit.Trace(model, x);
        var kinds = traced.Graph.Nodes.Select(n => n.Kind).ToList();
        CollectionAssert.DoesNotContain(kinds, "aten::batch_norm", traced.Graph.ToString());
        Assert.AreEqual(1, kinds.Count(k => k == "trace::conv2d_relu"), traced.Graph.ToString());
        Assert.AreEqual(1, kinds.Count(k => k == "aten::conv2d"), traced.Graph.ToString());
        TraceAssert.AllClose(model.Forward(x), traced.Forward(x), 1e-4, 1e-5, $"{device} eval forward");

        // A training pass moves the running statistics; back in eval mode the same compiled graph folds the new ones.
        model.Train();
        model.Forward(Tensor.Randn(shape, generator: g).Mul(3).To(dev));
        model.Eval();
        var x2 = Tensor.Randn(shape, generator: g).To(dev);
        TraceAssert.AllClose(model.Forward(x2), traced.Forward(x2), 1e-4, 1e-5, $"{device} eval forward after the statistics moved");
    }

    [TestMethod]
    public void AnEvalLinearBatchNorm1dPairFoldsToOneLinear()
    {
        var g = new Generator(8);
        var model = new Sequential(new Linear(5, 7, generator: g), new BatchNorm1d(7), new Tanh());
        Warm(model, [16, 5], g);
        using var _ = Autograd.NoGrad();
        var x = Tensor.Randn([4, 5], generator: g);
        var traced = Jit.Trace(model, x);
        var kinds = traced.Graph.Nodes.Select(n => n.Kind).ToList();
        CollectionAssert.DoesNotContain(kinds, "aten::batch_norm", traced.Graph.ToString());
        TraceAssert.AllClose(model.Forward(x), traced.Forward(x), 1e-5, 1e-5, "eval forward");
    }

    [TestMethod]
    public void WithGradientsTheBatchNormStaysAndTheGradientsMatchEager()
    {
        var g = new Generator(9);
        var model = new Sequential(new Conv2d(2, 3, 3, generator: g), new BatchNorm2d(3));
        Warm(model, [2, 2, 6, 6], g);
        var x = Tensor.Randn([2, 2, 6, 6], generator: g);
        var traced = Jit.Trace(model, x);
        Assert.IsTrue(traced.Graph.Nodes.Any(n => n.Kind == "aten::batch_norm"), traced.Graph.ToString());
        var ps = model.Parameters().ToArray();
        var ge = Autograd.Grad([model.Forward(x).Square().Sum()], ps);
        var gt = Autograd.Grad([traced.Forward(x).Square().Sum()], ps);
        for (int i = 0; i < ps.Length; i++) TraceAssert.AllClose(ge[i]!, gt[i]!, 1e-4, 1e-5, $"gradient {i}");
    }
}
