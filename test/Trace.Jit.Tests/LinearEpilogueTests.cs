using Microsoft.VisualStudio.TestTools.UnitTesting;
using Trace.Nn;
using Trace.Testing;

namespace Trace.Jit.Tests;

/// <summary>Golden IR for the linear epilogue pass, and the fused ops against eager, forward and gradients.</summary>
[TestClass]
public sealed class LinearEpilogueTests
{
    private const string X = "Float(4, 6, strides=[6, 1], requires_grad=0, device=cpu)";
    private const string W = "Float(5, 6, strides=[6, 1], requires_grad=1, device=cpu)";
    private const string B = "Float(5, strides=[1], requires_grad=1, device=cpu)";
    private const string Y = "Float(4, 5, strides=[5, 1], requires_grad=1, device=cpu)";
    private static readonly LinearEpilogues Pass = new();

    [TestMethod]
    public void ReluAndResidualAddsMoveIntoTheLinear() => IrAssert.Golden(Pass, $"""
        graph(%x : {X},
              %w : {W},
              %b : {B},
              %r : {Y}):
          %1 : {Y} = aten::linear(%x, %w, %b)
          %2 : {Y} = aten::relu(%1)
          %3 : {Y} = aten::linear(%x, %w, %b)
          %4 : {Y} = aten::add(%r, %3)
          return (%2, %4)

        """, $"""
        graph(%x : {X},
              %w : {W},
              %b : {B},
              %r : {Y}):
          %1 : {Y} = aten::linear(%x, %w, %b)
          %5 : {Y} = trace::linear_relu(%x, %w, %b)
          %2 : {Y} = aten::relu(%1)
          %3 : {Y} = aten::linear(%x, %w, %b)
          %6 : {Y} = trace::linear_add(%x, %w, %b, %r)
          %4 : {Y} = aten::add(%r, %3)
          return (%5, %6)

        """);

    [TestMethod]
    public void LinearsWithOtherUsesOrBroadcastAddsStay() => IrAssert.Unchanged(Pass, $"""
        graph(%x : {X},
              %w : {W},
              %b : {B}):
          %1 : {Y} = aten::linear(%x, %w, %b)
          %2 : {Y} = aten::relu(%1)
          %3 : {Y} = aten::linear(%x, %w, %b)
          %4 : {Y} = aten::add(%3, %b)
          return (%2, %1, %4)

        """);

    [TestMethod]
    public void FusedLinearsMatchEagerForwardAndGradients()
    {
        var g = new Generator(31);
        var (l1, l2) = (new Linear(6, 5, generator: g), new Linear(5, 5, generator: g));
        Tensor F(Tensor[] v)
        {
            var h = l1.Forward(v[0]).Relu();
            return h + l2.Forward(h);
        }
        Tensor[] Inputs() => [Tensor.Randn([7, 6], generator: g)];
        var ps = l1.Parameters().Concat(l2.Parameters()).ToList();
        // Compiled backward, and the tape path through the fused ops' own backward rules.
        foreach (var options in new[] { new TraceOptions(), new TraceOptions { CompileBackward = false } })
        {
            var traced = Jit.Trace(F, Inputs(), options);
            var kinds = traced.Graph.Nodes.Select(n => n.Kind).ToList();
            CollectionAssert.Contains(kinds, "trace::linear_relu", traced.Graph.ToString());
            CollectionAssert.Contains(kinds, "trace::linear_add", traced.Graph.ToString());
            foreach (var x in new[] { Inputs(), Inputs() })
            {
                TraceAssert.AllClose(F(x), traced.Call(x)[0], 1e-5, 1e-6, "forward");
                var xe = x[0].Clone().RequiresGrad_();
                var xt = x[0].Clone().RequiresGrad_();
                var ge = Autograd.Grad([F([xe]).Square().Sum()], [xe, .. ps]);
                var gt = Autograd.Grad([traced.Call(xt)[0].Square().Sum()], [xt, .. ps]);
                for (int i = 0; i < ge.Length; i++) TraceAssert.AllClose(ge[i]!, gt[i]!, 1e-4, 1e-5, $"gradient {i} ({(options.CompileBackward ? "compiled" : "tape")})");
            }
        }
    }

    [TestMethod]
    public void GeluMovesIntoTheLinearOnlyWhenItIsTheLinearsSoleUse() => IrAssert.Golden(Pass, $"""
        graph(%x : {X},
              %w : {W},
              %b : {B}):
          %1 : {Y} = aten::linear(%x, %w, %b)
          %2 : str = prim::Constant[value="tanh"]()
          %3 : {Y} = aten::gelu(%1, %2)
          %4 : {Y} = aten::linear(%x, %w, %b)
          %5 : {Y} = aten::gelu(%4, %2)
          return (%3, %5, %4)

        """, $"""
        graph(%x : {X},
              %w : {W},
              %b : {B}):
          %1 : {Y} = aten::linear(%x, %w, %b)
          %2 : str = prim::Constant[value="tanh"]()
          %6 : {Y} = trace::linear_gelu(%x, %w, %b, %2)
          %3 : {Y} = aten::gelu(%1, %2)
          %4 : {Y} = aten::linear(%x, %w, %b)
          %5 : {Y} = aten::gelu(%4, %2)
          return (%6, %5, %4)

        """);

    /// <summary>
    /// An MLP's gelu(linear) traced for inference runs as one GEMM with the GELU in its store (both approximations), and
    /// the tape path through the fused op's backward (which recomputes the pre-activation) gives eager's gradients.
    /// </summary>
    [TestMethod]
    [DataRow(GeluApproximation.None)]
    [DataRow(GeluApproximation.Tanh)]
    public void GeluLinearsMatchEagerForwardAndGradients(GeluApproximation approximate)
    {
        var g = new Generator(37);
        var (l1, l2) = (new Linear(6, 16, generator: g), new Linear(16, 3, generator: g));
        Tensor F(Tensor[] v) => l2.Forward(l1.Forward(v[0]).Gelu(approximate));
        Tensor[] Inputs() => [Tensor.Randn([9, 6], generator: g)];
        var ps = l1.Parameters().Concat(l2.Parameters()).ToList();
        var traced = Jit.Trace(F, Inputs(), new TraceOptions { CompileBackward = false });
        CollectionAssert.Contains(traced.Graph.Nodes.Select(n => n.Kind).ToList(), "trace::linear_gelu", traced.Graph.ToString());
        foreach (var x in new[] { Inputs(), Inputs() })
        {
            using (Autograd.NoGrad()) TraceAssert.AllClose(F(x), traced.Call(x)[0], 1e-5, 1e-6, "forward");
            var xe = x[0].Clone().RequiresGrad_();
            var xt = x[0].Clone().RequiresGrad_();
            var ge = Autograd.Grad([F([xe]).Square().Sum()], [xe, .. ps]);
            var gt = Autograd.Grad([traced.Call(xt)[0].Square().Sum()], [xt, .. ps]);
            for (int i = 0; i < ge.Length; i++) TraceAssert.AllClose(ge[i]!, gt[i]!, 1e-4, 1e-5, $"gradient {i}");
        }
        // Integer products have no GELU: the fused op says so instead of truncating.
        var ints = Tensor.Ones([2, 6]).To(DType.Int64);
        var e = Assert.ThrowsExactly<ArgumentException>(() => Ops.OpTable.Get("trace::linear_gelu").Eval(new Ops.OpArgs("trace::linear_gelu", [ints, ints, null, "none"])));
        StringAssert.Contains(e.Message, "trace::linear_gelu");
        StringAssert.Contains(e.Message, "int64");
    }
}
