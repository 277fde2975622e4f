using Microsoft.VisualStudio.TestTools.UnitTesting;

namespace Trace.Core.Tests.Cuda;

/// <summary>CUDA reductions over dims against the CPU, and what they unlock: scalar losses and broadcast gradients.</summary>
[TestClass]
[DoNotParallelize]
public class CudaReductionTests
{
    [TestMethod]
    public void ReductionsOverDimsMatchTheCpu()
    {
        foreach (var dt in new[] { DType.Float32, DType.Float64 })
        {
            var x = CudaCompare.Values([4, 7, 9], dt, seed: 15);
            var views = new[] { x, x.Permute(2, 0, 1), x.Narrow(1, 1, 5) };
            foreach (var v in views)
            {
                var g = v.Cuda().Permute(Enumerable.Range(0, v.Dim).ToArray());
                double rtol = dt == DType.Float32 ? 1e-6 : 1e-13;
                CudaCompare.Close(v.Sum(), g.Sum(), rtol, 1e-5, $"sum all {dt}");
                CudaCompare.Close(v.Sum(1), g.Sum(1), rtol, 1e-6, $"sum dim 1 {dt}");
                CudaCompare.Close(v.Sum([0, 2], keepdim: true), g.Sum([0, 2], keepdim: true), rtol, 1e-6, $"sum keepdim {dt}");
                CudaCompare.Close(v.Mean(2), g.Mean(2), rtol, 1e-6, $"mean {dt}");
                CudaCompare.Close(v.Prod(0), g.Prod(0), rtol * 10, 1e-12, $"prod {dt}");
                CudaCompare.Close(v.Amax([1]), g.Amax([1]), 0, 0, $"amax {dt}");
                CudaCompare.Close(v.Amin([0, 1]), g.Amin([0, 1]), 0, 0, $"amin {dt}");
            }
        }
        var nan = Tensor.From(new float[] { 1, float.NaN, 3, -2 }, [2, 2]);
        CudaCompare.Close(nan.Amax([1]), nan.Cuda().Amax([1]), 0, 0, "amax propagates NaN");
        CudaCompare.Close(nan.Amin([0]), nan.Cuda().Amin([0]), 0, 0, "amin propagates NaN");
        var i = Tensor.From(new long[] { 3, -4, 5, 7, 0, -1 }, [2, 3]);
        CudaCompare.Close(i.Sum(1), i.Cuda().Sum(1), 0, 0, "int64 sum");
        CudaCompare.Close(i.Prod(0), i.Cuda().Prod(0), 0, 0, "int64 prod");
        CudaCompare.Close(i.Amax([0]), i.Cuda().Amax([0]), 0, 0, "int64 amax");
        CudaCompare.Close(i.To(DType.Int32).Amin([1]), i.Cuda().To(DType.Int32).Amin([1]), 0, 0, "int32 amin");
        CudaCompare.Close(i.To(DType.Int32).Sum(), i.Cuda().To(DType.Int32).Sum(), 0, 0, "int32 sums to int64");
        var m = Tensor.From(new bool[] { true, false, true, true }, [2, 2]);
        CudaCompare.Close(m.Any(), m.Cuda().Any(), 0, 0, "any");
        CudaCompare.Close(m.All(), m.Cuda().All(), 0, 0, "all");
        CudaCompare.Close(Tensor.Zeros([0, 3]).Sum(0), Tensor.Zeros([0, 3], DType.Float32, Device.Cuda()).Sum(0), 0, 0, "empty sum is 0");
        // Integer pow checks its exponents with a reduction: it runs on CUDA too.
        var j = Tensor.From(new long[] { 2, 0, 5 }, [3]);
        CudaCompare.Close(i.Pow(j), i.Cuda().Pow(j.Cuda()), 0, 0, "int64 pow");
        StringAssert.Contains(Assert.ThrowsExactly<ArgumentException>(() => i.Cuda().Pow(j.Cuda().Neg())).Message, "negative integer powers");
    }

    [TestMethod]
    public void MaxAndMinWithIndicesMatchTheCpuWithTiesAndNaN()
    {
        var x = Tensor.From(new float[] { 1, 5, 5, -2, float.NaN, 3, 0, 0, 0, 7, -7, 7 }, [3, 4]);
        foreach (int dim in new[] { 0, 1 })
            foreach (bool max in new[] { true, false })
            {
                var (cv, ci) = max ? x.Max(dim) : x.Min(dim);
                var (gv, gi) = max ? x.Cuda().Max(dim) : x.Cuda().Min(dim);
                CudaCompare.Close(cv, gv, 0, 0, $"values max={max} dim={dim}");
                CudaCompare.Close(ci, gi, 0, 0, $"indices max={max} dim={dim}");
            }
        var wide = CudaCompare.Values([3, 700], DType.Float64, seed: 31);
        CudaCompare.Close(wide.Argmax(1), wide.Cuda().Argmax(1), 0, 0, "argmax over 700 (more elements than threads)");
        CudaCompare.Close(wide.T.Argmin(0), wide.Cuda().T.Argmin(0), 0, 0, "argmin of a transposed view");
        var l = Tensor.From(new long[] { 4, -9, 4, 2 }, [2, 2]);
        CudaCompare.Close(l.Max(1).Indices, l.Cuda().Max(1).Indices, 0, 0, "int64 max indices");
        StringAssert.Contains(Assert.ThrowsExactly<ArgumentException>(() => Tensor.Zeros([2, 0], DType.Float32, Device.Cuda()).Max(1)).Message, "aten::max");
    }

    [TestMethod]
    public void LargeAndColumnReductionsAreDeterministicAndMatchTheCpu()
    {
        // 9000 elements: a two-pass full sum; [64, 40] over dim 0: the column kernel (inner ≥ 16); over 300: groups of 256.
        var x = CudaCompare.Values([9000], DType.Float32, scale: 1, seed: 32);
        var g = x.Cuda();
        CudaCompare.Close(x.Sum(), g.Sum(), 1e-5, 1e-4, "two-pass sum");
        Assert.AreEqual(g.Sum().Item<float>(), g.Sum().Item<float>(), "the same sum twice gives the same bits");
        CudaCompare.Close(x.Amax([0]), g.Amax([0]), 0, 0, "two-pass max");
        var m = CudaCompare.Values([64, 40], DType.Float64, seed: 33);
        CudaCompare.Close(m.Sum(0), m.Cuda().Sum(0), 1e-13, 1e-13, "column sum");
        CudaCompare.Close(m.Amin([0]), m.Cuda().Amin([0]), 0, 0, "column min");
        var r = CudaCompare.Values([5, 300], DType.Float64, seed: 34);
        CudaCompare.Close(r.Sum(1), r.Cuda().Sum(1), 1e-13, 1e-13, "row sums of 300");
        var p = CudaCompare.Values([6, 5, 4], DType.Float64, seed: 35).Permute(1, 2, 0);
        CudaCompare.Close(p.Sum([0, 2]), p.Cuda().Sum([0, 2]), 1e-13, 1e-13, "reduced dims that are not one run");
    }

    [TestMethod]
    public void AScalarLossBackwardsOnTheDeviceWithBroadcastGradients()
    {
        foreach (var dt in new[] { DType.Float32, DType.Float64 })
        {
            var a0 = CudaCompare.Values([3, 1], dt, seed: 16);
            var b0 = CudaCompare.Values([5], dt, seed: 17);
            (Tensor Loss, Tensor A, Tensor B) Run(Device d)
            {
                var a = a0.To(d).Detach();
                var b = b0.To(d).Detach();
                a.RequiresGrad = true;
                b.RequiresGrad = true;
                var loss = a.Mul(b).Add(a).Tanh().Sub(b.Exp().Mul(0.1)).Square().Mean();
                loss.Backward();
                return (loss, a, b);
            }
            var (cl, ca, cb) = Run(Device.Cpu);
            var (gl, ga, gb) = Run(Device.Cuda());
            double rtol = dt == DType.Float32 ? 2e-5 : 1e-11;
            CudaCompare.Close(cl.Detach(), gl.Detach(), rtol, 1e-7, $"loss {dt}");
            CudaCompare.Close(ca.Grad!, ga.Grad!, rtol, 1e-7, $"grad of the [3, 1] operand {dt}");
            CudaCompare.Close(cb.Grad!, gb.Grad!, rtol, 1e-7, $"grad of the [5] operand {dt}");
        }
    }
}
