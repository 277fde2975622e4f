using Microsoft.VisualStudio.TestTools.UnitTesting;

namespace Trace.Core.Tests.Cuda;

/// <summary>Compares a CUDA result with the CPU backend's, element by element (NaN matches NaN).</summary>
internal static class CudaCompare
{
    /// <summary>Asserts |gpu − cpu| ≤ atol + rtol·|cpu| everywhere, and equal shapes, dtypes and the CUDA device.</summary>
    public static void Close(Tensor cpu, Tensor gpu, double rtol, double atol, string what)
    {
        Assert.AreEqual(Device.Cuda(), gpu.Device, what);
        Assert.AreEqual(cpu.DType, gpu.DType, what);
        CollectionAssert.AreEqual(cpu.Shape.ToArray(), gpu.Shape.ToArray(), what);
        var e = Reference.Values(cpu);
        var a = Reference.Values(gpu.Cpu());
        for (int i = 0; i < e.Length; i++)
        {
            if (double.IsNaN(e[i]) || double.IsNaN(a[i])) { Assert.IsTrue(double.IsNaN(e[i]) && double.IsNaN(a[i]), $"{what}[{i}]: {a[i]} vs {e[i]}"); continue; }
            if (double.IsInfinity(e[i])) { Assert.AreEqual(e[i], a[i], $"{what}[{i}]"); continue; }
            Assert.IsTrue(Math.Abs(a[i] - e[i]) <= atol + rtol * Math.Abs(e[i]), $"{what}[{i}]: gpu {a[i]:R} vs cpu {e[i]:R}");
        }
    }

    /// <summary>A deterministic tensor of odd shape with values in about [-scale, scale], some exact zeros.</summary>
    public static Tensor Values(int[] shape, DType dtype, double scale = 3, int seed = 1)
    {
        int n = shape.Aggregate(1, (p, s) => p * s);
        var v = new double[n];
        for (int i = 0; i < n; i++) v[i] = i % 11 == 0 ? 0 : scale * Math.Sin(seed * 12.9898 + i * 78.233);
        return Tensor.From(v, shape).To(dtype);
    }
}
