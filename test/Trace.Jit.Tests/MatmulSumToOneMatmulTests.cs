using Microsoft.VisualStudio.TestTools.UnitTesting;
using static Trace.Jit.Tests.IrAssert;

namespace Trace.Jit.Tests;

/// <summary>Golden IR tests for mmsum: Σ Xᵢᵀ·Bᵢ becomes one matmul over the concatenated pieces; anything else is left alone.</summary>
[TestClass]
public sealed class MatmulSumToOneMatmulTests
{
    private static readonly MatmulSumToOneMatmul Pass = new();

    private static string F(params int[] shape) =>
        $"Float({string.Join(", ", shape)}, strides=[{string.Join(", ", shape.Length == 2 ? [shape[1], 1] : new[] { 1 })}], requires_grad=0, device=cpu)";

    private const string T43 = "Float(4, 3, strides=[3, 1], requires_grad=0, device=cpu)";

    private static string Graph(string b1Type, string tail, string beforeSum = "") => $"""
        graph(%x0 : {F(2, 4)},
              %b0 : {F(2, 3)},
              %x1 : {F(5, 4)},
              %b1 : {b1Type}):
          %1 : int[] = prim::Constant[value=[1, 0]]()
          %2 : Float(4, 2, strides=[1, 4], requires_grad=0, device=cpu) = aten::permute(%x0, %1)
          %3 : {T43} = aten::matmul(%2, %b0)
          %4 : Float(4, 5, strides=[1, 4], requires_grad=0, device=cpu) = aten::permute(%x1, %1)
          %5 : {T43} = aten::matmul(%4, %b1)
        {beforeSum}  %6 : {T43} = aten::add(%3, %5)
        {tail}
        """;

    [TestMethod]
    public void SumOfTransposedProductsBecomesOneMatmul() =>
        Golden(Pass, Graph(F(5, 3), """
              %7 : Float(4, 3, strides=[3, 1], requires_grad=0, device=cpu) = aten::relu(%6)
              return (%7)

            """), Graph(F(5, 3), """
              %7 : Float(4, 3, strides=[3, 1], requires_grad=0, device=cpu) = aten::relu(%13)
              return (%7)

            """, beforeSum: $"""
              %8 : int = prim::Constant[value=0]()
              %9 : {F(7, 4)} = aten::cat(%x0, %x1, %8)
              %10 : {F(7, 3)} = aten::cat(%b0, %b1, %8)
              %11 : int[] = prim::Constant[value=[1, 0]]()
              %12 : Float(4, 7, strides=[1, 4], requires_grad=0, device=cpu) = aten::permute(%9, %11)
              %13 : {T43} = aten::matmul(%12, %10)

            """));

    [TestMethod]
    public void AProductUsedElsewhereIsLeftAlone() =>
        Unchanged(Pass, Graph(F(5, 3), """
              %7 : Float(4, 3, strides=[3, 1], requires_grad=0, device=cpu) = aten::relu(%6)
              return (%7, %5)

            """));

    [TestMethod]
    public void NumbersAreTheSumsWhenRunThroughThePipeline()
    {
        var g = new Generator(3);
        var (x0, b0, x1, b1) = (Tensor.Randn([2, 4], generator: g), Tensor.Randn([2, 3], generator: g), Tensor.Randn([5, 4], generator: g), Tensor.Randn([5, 3], generator: g));
        static Tensor Sum(Tensor[] v) => v[0].T.Matmul(v[1]) + v[2].T.Matmul(v[3]) + v[0].T.Matmul(v[3].Narrow(0, 0, 2));
        var traced = Jit.Trace(Sum, [x0, b0, x1, b1]);
        Assert.AreEqual(1, traced.Graph.Nodes.Count(n => n.Kind == "aten::matmul"), traced.Graph.ToString());
        Trace.Testing.TraceAssert.AllClose(Sum([x0, b0, x1, b1]), traced.Call(x0, b0, x1, b1)[0], rtol: 1e-5, atol: 1e-5, "one matmul");
    }
}
