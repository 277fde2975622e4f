using Microsoft.VisualStudio.TestTools.UnitTesting;

namespace Trace.Core.Tests.Cuda;

/// <summary>
/// CUDA row kernels (softmax, log-softmax, layer norm, variance) and indexing (gather, index_select, embedding and their
/// scatter-add backwards) against the CPU: forward, backward, rows longer than a group, strided inputs, bad indices.
/// </summary>
[TestClass]
[DoNotParallelize]
public class CudaRowAndIndexingTests
{
    /// <summary>Runs <paramref name="f"/> on the CPU and on CUDA from the same leaves; compares outputs and every leaf's gradient of a weighted sum.</summary>
    private static void ForwardAndBackward(Func<Tensor[], Tensor> f, Tensor[] leaves, double rtol, double atol, string what)
    {
        Tensor[] On(Device d) => leaves.Select(l => { var t = l.To(d).Detach(); if (t.IsFloatingPoint) t.RequiresGrad = true; return t; }).ToArray();
        var (cpu, gpu) = (On(Device.Cpu), On(Device.Cuda()));
        var (yc, yg) = (f(cpu), f(gpu));
        CudaCompare.Close(yc.Detach(), yg.Detach(), rtol, atol, what);
        var w = CudaCompare.Values(yc.Shape.ToArray(), yc.DType, seed: 77);
        yc.Mul(w).Sum().Backward();
        yg.Mul(w.Cuda()).Sum().Backward();
        for (int i = 0; i < leaves.Length; i++)
            if (cpu[i].Grad is { } g) CudaCompare.Close(g, gpu[i].Grad!, rtol, atol, $"{what}: grad {i}");
    }

    [TestMethod]
    public void SoftmaxLogSoftmaxLayerNormAndVarianceMatchTheCpu()
    {
        // Rows of one element, a few, and more than a 256-thread group holds; float64 catches order-of-operation slips.
        foreach (var (dt, len) in new[] { (DType.Float32, 7), (DType.Float32, 300), (DType.Float64, 1), (DType.Float64, 300) })
        {
            double rtol = dt == DType.Float32 ? 2e-5 : 1e-12, atol = dt == DType.Float32 ? 1e-6 : 1e-13;
            var x = CudaCompare.Values([3, len], dt, seed: len);
            ForwardAndBackward(t => t[0].Softmax(1), [x], rtol, atol, $"softmax {len} {dt}");
            ForwardAndBackward(t => t[0].LogSoftmax(1), [x], rtol, atol, $"log_softmax {len} {dt}");
            ForwardAndBackward(t => t[0].T.Softmax(0), [x], rtol, atol, $"softmax over dim 0 of a transpose {len} {dt}");
            var (w, b) = (CudaCompare.Values([len], dt, seed: 5), CudaCompare.Values([len], dt, seed: 6));
            ForwardAndBackward(t => t[0].LayerNorm([len], t[1], t[2]), [x, w, b], rtol * 10, atol * 10, $"layer_norm {len} {dt}");
            ForwardAndBackward(t => t[0].LayerNorm([len]), [x], rtol * 10, atol * 10, $"layer_norm without affine {len} {dt}");
            ForwardAndBackward(t => t[0].Var([1]), [x], rtol, atol, $"var {len} {dt}");
            ForwardAndBackward(t => t[0].Std([0], correction: 0), [x], rtol, atol, $"std over dim 0 {len} {dt}");
        }
        foreach (var dt in new[] { DType.Float32, DType.Float64 })
        {
            double rtol = dt == DType.Float32 ? 2e-5 : 1e-12, atol = dt == DType.Float32 ? 1e-6 : 1e-13;
            var m = CudaCompare.Values([2, 3, 4], dt, seed: 9);
            var (_, mean, rstd) = m.Cuda().NativeLayerNorm([3, 4]);
            var (_, cm, cr) = m.NativeLayerNorm([3, 4]);
            CudaCompare.Close(cm, mean, rtol, atol, "layer_norm's saved mean");
            CudaCompare.Close(cr, rstd, rtol * 10, atol, "layer_norm's saved rstd");
        }
        var inf = Tensor.From(new float[] { float.NegativeInfinity, 0, 1, float.NaN, 2, 3, float.NegativeInfinity, float.NegativeInfinity, 0 }, [3, 3]);
        CudaCompare.Close(inf.Softmax(1), inf.Cuda().Softmax(1), 1e-6, 1e-7, "softmax with -inf and NaN entries");
        CudaCompare.Close(inf.LogSoftmax(1), inf.Cuda().LogSoftmax(1), 1e-6, 1e-6, "log_softmax with -inf and NaN entries");
        var one = Tensor.Ones(2, 1);
        CudaCompare.Close(one.Var([1]), one.Cuda().Var([1]), 0, 0, "variance of one element with Bessel's correction is NaN");
    }

    [TestMethod]
    public void GatherIndexSelectAndEmbeddingMatchTheCpuForwardAndBackward()
    {
        foreach (var dt in new[] { DType.Float32, DType.Float64 })
        {
            double rtol = dt == DType.Float32 ? 1e-6 : 1e-14;
            var x = CudaCompare.Values([4, 5, 3], dt, seed: 21);
            var idx = Tensor.From(new long[] { 4, 0, 0, 2, 1, 4, 3, 3, 0, 1, 2, 4 }, [2, 2, 3]);
            ForwardAndBackward(t => t[0].Gather(1, t[1]), [x, idx], rtol, 1e-12, $"gather {dt}");
            var sel = Tensor.From(new long[] { 2, 0, 2, 1 });
            ForwardAndBackward(t => t[0].IndexSelect(1, t[1]), [x, sel], rtol, 1e-12, $"index_select with a repeated index {dt}");
            ForwardAndBackward(t => t[0].Permute(2, 0, 1).IndexSelect(2, t[1]), [x, sel], rtol, 1e-12, $"index_select of a permuted view {dt}");
            var rows = Tensor.From(new long[] { 1, 3, 3, 0 }, [4, 1]);
            ForwardAndBackward(t => t[0].Reshape(4, 15).Gather(1, t[1]), [x, rows], rtol, 1e-12, $"gather of one column per row (cross-entropy's) {dt}");
        }
        var emb = new Trace.Nn.Embedding(6, 4, generator: new Generator(3));
        var tokens = Tensor.From(new long[] { 5, 0, 5, 2, 2, 2 }, [2, 3]);
        var ce = emb.Forward(tokens);
        ce.Square().Sum().Backward();
        var cpuGrad = emb.Parameters().First().Grad!.Clone();
        emb.ZeroGrad();
        emb.To(Device.Cuda());
        var ge = emb.Forward(tokens.Cuda());
        CudaCompare.Close(ce.Detach(), ge.Detach(), 0, 0, "embedding lookup");
        ge.Square().Sum().Backward();
        CudaCompare.Close(cpuGrad, emb.Parameters().First().Grad!, 1e-6, 1e-7, "embedding gradient (index_add of repeated tokens)");
    }

    [TestMethod]
    public void BadIndicesOnCudaAreTheCpusErrorsNamingTheOp()
    {
        var x = Tensor.Ones(3, 4).Cuda();
        var e = Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => x.Gather(1, Tensor.From(new long[] { 0, 4 }, [1, 2]).Cuda()));
        StringAssert.Contains(e.Message, "aten::gather: index 4 is out of bounds for dimension 1 with size 4");
        e = Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => x.IndexSelect(0, Tensor.From(new long[] { -1 }).Cuda()));
        StringAssert.Contains(e.Message, "aten::index_select: index -1 is out of range for dimension 0 with size 3");
        var mixed = Assert.ThrowsExactly<ArgumentException>(() => x.IndexSelect(0, Tensor.From(new long[] { 0 })));
        StringAssert.Contains(mixed.Message, "cuda:0");
        StringAssert.Contains(mixed.Message, "cpu");
        // The failed ops left the device usable.
        CudaCompare.Close(Tensor.Ones(3, 4).IndexSelect(0, Tensor.From(new long[] { 2 })), x.IndexSelect(0, Tensor.From(new long[] { 2 }).Cuda()), 0, 0, "after errors");
    }
}
