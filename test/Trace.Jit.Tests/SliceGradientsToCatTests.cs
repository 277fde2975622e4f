using Microsoft.VisualStudio.TestTools.UnitTesting;
using static Trace.Jit.Tests.IrAssert;

namespace Trace.Jit.Tests;

/// <summary>Golden IR tests for slicecat: slice gradients tiling a dim become one cat; anything else is left alone.</summary>
[TestClass]
public sealed class SliceGradientsToCatTests
{
    private const string F26 = "Float(2, 6, strides=[6, 1], requires_grad=0, device=cpu)";
    private const string F22 = "Float(2, 2, strides=[2, 1], requires_grad=0, device=cpu)";
    private static readonly SliceGradientsToCat Pass = new();

    private static string Graph(string starts, string tail, string beforeSum = "") => $"""
        graph(%a : {F22},
              %b : {F22},
              %c : {F22}):
          %1 : int = prim::Constant[value=2]()
          %2 : int = prim::Constant[value=6]()
          %3 : int[] = prim::ListConstruct(%1, %2)
          %4 : int = prim::Constant[value=1]()
          %s0 : int = prim::Constant[value={starts.Split(',')[0]}]()
          %s1 : int = prim::Constant[value={starts.Split(',')[1]}]()
          %s2 : int = prim::Constant[value={starts.Split(',')[2]}]()
          %5 : {F26} = aten::slice_backward(%b, %3, %4, %s1, %4)
          %6 : {F26} = aten::slice_backward(%a, %3, %4, %s0, %4)
          %7 : {F26} = aten::add(%5, %6)
          %8 : {F26} = aten::slice_backward(%c, %3, %4, %s2, %4)
        {beforeSum}  %9 : {F26} = aten::add(%8, %7)
        {tail}
        """;

    [TestMethod]
    public void PiecesTilingTheDimBecomeOneCatInRangeOrder()
    {
        Golden(Pass, Graph("0,2,4", """
              %10 : Float(2, 6, strides=[6, 1], requires_grad=0, device=cpu) = aten::relu(%9)
              return (%10)

            """), Graph("0,2,4", """
              %10 : Float(2, 6, strides=[6, 1], requires_grad=0, device=cpu) = aten::relu(%11)
              return (%10)

            """, beforeSum: $"  %11 : {F26} = aten::cat(%a, %b, %c, %4)\n"));
    }

    [TestMethod]
    [DataRow("0,2,3", DisplayName = "overlapping ranges")]
    [DataRow("0,2,6", DisplayName = "a gap and a range past the end")]
    [DataRow("2,4,6", DisplayName = "columns 0..1 missing")]
    public void PiecesThatDoNotTileExactlyAreLeftAlone(string starts) =>
        Unchanged(Pass, Graph(starts, """
              %10 : Float(2, 6, strides=[6, 1], requires_grad=0, device=cpu) = aten::relu(%9)
              return (%10)

            """));

    [TestMethod]
    public void AnInnerSumUsedElsewhereIsLeftAlone() =>
        Unchanged(Pass, Graph("0,2,4", """
              %10 : Float(2, 6, strides=[6, 1], requires_grad=0, device=cpu) = aten::relu(%9)
              return (%10, %7)

            """));
}
