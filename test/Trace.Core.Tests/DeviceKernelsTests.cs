using Microsoft.VisualStudio.TestTools.UnitTesting;

namespace Trace.Core.Tests;

/// <summary>Ops find their kernels in the device's table; a device without one is refused by name.</summary>
[TestClass]
public class DeviceKernelsTests
{
    [TestMethod]
    public void CpuTableServesTheOpTableAndNothingElse()
    {
        var cpu = DeviceKernels.For(Device.Cpu, "aten::add");
        Assert.AreEqual(Device.Cpu, cpu.Device);
        CollectionAssert.Contains(DeviceKernels.Registered.ToArray(), cpu);
        foreach (var op in new[] { "aten::add", "aten::gelu_backward", "aten::where", "aten::logical_not", "aten::softmax", "aten::native_layer_norm", "aten::std", "aten::sum", "aten::argmax", "aten::copy_", "aten::silu", "aten::matmul", "aten::gather", "aten::gather_backward", "aten::index_select", "aten::index_select_backward" })
            Assert.IsTrue(cpu.Implements(op), op);
        Assert.IsFalse(cpu.Implements("aten::no_such_op"));
    }

    [TestMethod]
    public void EveryRegisteredTableHasEveryKernelFamily()
    {
        var families = typeof(IDeviceKernels).GetProperties().Where(p => p.PropertyType.IsInterface).ToList();
        foreach (var name in new[] { "Elementwise", "Rows", "Reductions", "Copy", "Linalg", "Indexing", "Factory", "Optimizer" })
            Assert.IsTrue(families.Exists(p => p.Name == name), $"IDeviceKernels has no {name} family");
        foreach (var table in DeviceKernels.Registered)
            foreach (var f in families)
                Assert.IsNotNull(f.GetValue(table), $"{table.Device}: the {f.Name} family is not wired");
    }

    [TestMethod]
    public void ADeviceWithoutATableIsRefusedNamingOpAndDevice()
    {
        var e = Assert.ThrowsExactly<NotSupportedException>(() => DeviceKernels.For(Device.Cuda(2), "aten::softmax"));
        StringAssert.Contains(e.Message, "aten::softmax");
        StringAssert.Contains(e.Message, "cuda:2");
    }

    [TestMethod]
    public void KernelsFromTheTableMatchFloat64References()
    {
        // Strided, broadcast and promoting operands all reach the table's kernels: compare with plain loops.
        var a = Tensor.From(new float[] { 1, -2, 3, -4, 5, -6 }, [2, 3]);
        var b = Tensor.From(new double[] { 0.5, 2, -1 }, [3]);
        var sum = a.T.Add(b.Unsqueeze(1)).ToArray<double>();
        var av = new double[] { 1, -2, 3, -4, 5, -6 };
        var bv = new double[] { 0.5, 2, -1 };
        var expected = new double[6];
        for (int i = 0; i < 3; i++) for (int j = 0; j < 2; j++) expected[i * 2 + j] = av[j * 3 + i] + bv[i];
        CollectionAssert.AreEqual(expected, sum);
        var soft = a.Softmax(1).ToArray<float>();
        for (int r = 0; r < 2; r++)
        {
            double den = 0;
            for (int j = 0; j < 3; j++) den += Math.Exp(av[r * 3 + j]);
            for (int j = 0; j < 3; j++) Assert.AreEqual(Math.Exp(av[r * 3 + j]) / den, soft[r * 3 + j], 1e-6);
        }
        var gt = a.Gt(b).ToArray<bool>();
        for (int k = 0; k < 6; k++) Assert.AreEqual(av[k] > bv[k % 3], gt[k]);
    }
}
