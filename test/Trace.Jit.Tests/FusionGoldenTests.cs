using Microsoft.VisualStudio.TestTools.UnitTesting;
using static Trace.Jit.Tests.IrAssert;

namespace Trace.Jit.Tests;

/// <summary>Golden IR tests for the fusion pass: IR text in, <see cref="ElementwiseFusion"/> then dce, lint, IR text out.</summary>
[TestClass]
public sealed class FusionGoldenTests
{
    private const string D3 = "Double(3, strides=[1], requires_grad=0, device=cpu)";
    private const string B3 = "Bool(3, strides=[1], requires_grad=0, device=cpu)";
    private const string F1 = "Float(requires_grad=0, device=cpu)";
    private const string F22 = "Float(2, 2, strides=[2, 1], requires_grad=0, device=cpu)";

    /// <summary>Fusion, then dce (which removes the nodes a group replaced), as the pipeline runs them.</summary>
    private sealed class FuseThenDce(IBackend backend) : IGraphPass
    {
        private readonly ElementwiseFusion _fuse = new(backend);
        private readonly DeadCodeElimination _dce = new();

        public string Name => "fuse+dce";

        public bool Run(Graph g) => _fuse.Run(g) | _dce.Run(g);
    }

    private static readonly FuseThenDce Cpu = new(CpuBackend.Instance);

    /// <summary>A chain of elementwise ops becomes one group; its scalar constant is copied into the body.</summary>
    [TestMethod]
    public void ChainOfElementwiseOpsBecomesOneGroup() => Golden(Cpu, $"""
        graph(%a : {F3},
              %b : {F3}):
          %2 : float = prim::Constant[value=0.5]()
          %3 : {F3} = aten::mul(%a, %2)
          %4 : {F3} = aten::add(%3, %b)
          %5 : {F3} = aten::tanh(%4)
          return (%5)

        """, $"""
        graph(%a : {F3},
              %b : {F3}):
          %6 : {F3} = prim::FusionGroup_0(%a, %b)
          return (%6)
        with prim::FusionGroup_0 = graph(%0 : {F3},
              %1 : {F3}):
          %2 : float = prim::Constant[value=0.5]()
          %3 : {F3} = aten::mul(%0, %2)
          %4 : {F3} = aten::add(%3, %1)
          %5 : {F3} = aten::tanh(%4)
          return (%5)

        """);

    /// <summary>A value the graph returns is not fused away: the group starts after it.</summary>
    [TestMethod]
    public void ReturnedIntermediateStaysOutside() => Golden(Cpu, $"""
        graph(%a : {F3},
              %b : {F3}):
          %2 : {F3} = aten::mul(%a, %b)
          %3 : {F3} = aten::exp(%2)
          %4 : {F3} = aten::neg(%3)
          return (%4, %2)

        """, $"""
        graph(%a : {F3},
              %b : {F3}):
          %2 : {F3} = aten::mul(%a, %b)
          %5 : {F3} = prim::FusionGroup_0(%2)
          return (%5, %2)
        with prim::FusionGroup_0 = graph(%0 : {F3}):
          %1 : {F3} = aten::exp(%0)
          %2 : {F3} = aten::neg(%1)
          return (%2)

        """);

    /// <summary>Float and double values do not share one loop: nothing fuses.</summary>
    [TestMethod]
    public void MixedFloatingDtypesDoNotFuse() => Unchanged(Cpu, $"""
        graph(%a : {F3},
              %b : {D3}):
          %2 : {F3} = aten::exp(%a)
          %3 : {D3} = aten::add(%2, %b)
          %4 : {D3} = aten::relu(%3)
          return (%4)

        """);

    /// <summary>A comparison joins as the bool mask of a where.</summary>
    [TestMethod]
    public void ComparisonJoinsAsAMaskOfWhere() => Golden(Cpu, $"""
        graph(%a : {F3},
              %b : {F3}):
          %2 : {B3} = aten::gt(%a, %b)
          %3 : {F3} = aten::neg(%b)
          %4 : {F3} = aten::where(%2, %a, %3)
          return (%4)

        """, $"""
        graph(%a : {F3},
              %b : {F3}):
          %5 : {F3} = prim::FusionGroup_0(%a, %b)
          return (%5)
        with prim::FusionGroup_0 = graph(%0 : {F3},
              %1 : {F3}):
          %2 : {B3} = aten::gt(%0, %1)
          %3 : {F3} = aten::neg(%1)
          %4 : {F3} = aten::where(%2, %0, %3)
          return (%4)

        """);

    /// <summary>A matmul between single elementwise ops: no group of two or more forms.</summary>
    [TestMethod]
    public void MatmulBetweenElementwiseOpsDoesNotFuse() => Unchanged(Cpu, $"""
        graph(%a : {F23},
              %w : {F32C}):
          %2 : {F23} = aten::exp(%a)
          %3 : {F22} = aten::matmul(%2, %w)
          %4 : {F22} = aten::relu(%3)
          return (%4)

        """);

    /// <summary>mse_loss's sub, square and full sum: the sum ends the group (its dims list and keepdim are copied in).</summary>
    [TestMethod]
    public void FullSumEndsTheGroup() => Golden(Cpu, $"""
        graph(%a : {F3},
              %b : {F3}):
          %2 : {F3} = aten::sub(%a, %b)
          %3 : {F3} = aten::square(%2)
          %4 : int[] = prim::ListConstruct()
          %5 : bool = prim::Constant[value=0]()
          %6 : {F1} = aten::sum(%3, %4, %5)
          return (%6)

        """, $"""
        graph(%a : {F3},
              %b : {F3}):
          %7 : {F1} = prim::FusionGroup_0(%a, %b)
          return (%7)
        with prim::FusionGroup_0 = graph(%0 : {F3},
              %1 : {F3}):
          %2 : {F3} = aten::sub(%0, %1)
          %3 : {F3} = aten::square(%2)
          %4 : int[] = prim::ListConstruct()
          %5 : bool = prim::Constant[value=0]()
          %6 : {F1} = aten::sum(%3, %4, %5)
          return (%6)

        """);

    /// <summary>A single elementwise op is left as it is.</summary>
    [TestMethod]
    public void LoneOpStaysUnfused() => Unchanged(Cpu, $"""
        graph(%a : {F3}):
          %1 : {F3} = aten::sigmoid(%a)
          return (%1)

        """);

    /// <summary>The reference backend fuses nothing: the same chain stays as it is.</summary>
    [TestMethod]
    public void ReferenceBackendFusesNothing() => Unchanged(new FuseThenDce(ReferenceBackend.Instance), $"""
        graph(%a : {F3},
              %b : {F3}):
          %2 : float = prim::Constant[value=0.5]()
          %3 : {F3} = aten::mul(%a, %2)
          %4 : {F3} = aten::add(%3, %b)
          %5 : {F3} = aten::tanh(%4)
          return (%5)

        """);
}
