using Microsoft.VisualStudio.TestTools.UnitTesting;
namespace Trace.Jit.Tests;

/// <summary>
/// Every op of the op table on CUDA tensors, forward and backward, against the CPU: each op's conformance case
/// (<see cref="OpCases"/>, float64) runs eagerly on both devices from the same inputs, and the outputs and the gradients
/// of a weighted sum of them must agree. With the CUDA table registered for every op, this is what makes that true.
/// </summary>
[TestClass]
[DoNotParallelize]
public class CudaOpCaseTests
{
    public static IEnumerable<object[]> Cases() => OpCases.Cases.Keys.Order(StringComparer.Ordinal).Select(k => new object[] { k });

    [TestMethod]
    [DynamicData(nameof(Cases))]
    public void TheOpMatchesTheCpuForwardAndBackwardOnCuda(string name)
    {
        var c = OpCases.Cases[name];
        var inputs = c.Inputs(new Generator((ulong)name.Length * 131));
        Tensor[] On(Device d) => inputs.Select(t => t.Clone().To(d).RequiresGrad_()).ToArray();
        var (cpu, gpu) = (On(Device.Cpu), On(Device.Cuda()));
        var yc = c.F(cpu);
        var yg = c.F(gpu);
        Assert.AreEqual(Device.Cuda(), yg.Device, name);
        Close(yc, yg, $"{name} forward");
        var w = Tensor.Rand(yc.Shape.ToArray(), DType.Float64, new Generator(5)).Add(0.5);
        yc.Mul(w).Sum().Backward();
        yg.Mul(w.Cuda()).Sum().Backward();
        for (int i = 0; i < inputs.Length; i++)
        {
            Assert.AreEqual(cpu[i].Grad is null, gpu[i].Grad is null, $"{name}: input {i} has a gradient on one device only");
            if (cpu[i].Grad is { } g) Close(g, gpu[i].Grad!, $"{name} gradient of input {i}");
        }
    }

    /// <summary>float64 on both devices: the GPU's float64 math is accurate to a few ulps, its sums in another order.</summary>
    private static void Close(Tensor cpu, Tensor gpu, string what)
    {
        CollectionAssert.AreEqual(cpu.Shape.ToArray(), gpu.Shape.ToArray(), what);
        Assert.AreEqual(cpu.DType, gpu.DType, what);
        var (e, a) = (cpu.Detach().To(DType.Float64).ToArray<double>(), gpu.Detach().Cpu().To(DType.Float64).ToArray<double>());
        for (int i = 0; i < e.Length; i++)
        {
            if (double.IsNaN(e[i])) { Assert.IsTrue(double.IsNaN(a[i]), $"{what}[{i}]: {a[i]} vs NaN"); continue; }
            Assert.IsTrue(Math.Abs(a[i] - e[i]) <= 1e-12 + 1e-10 * Math.Abs(e[i]), $"{what}[{i}]: cuda {a[i]:R} vs cpu {e[i]:R}");
        }
    }
}
