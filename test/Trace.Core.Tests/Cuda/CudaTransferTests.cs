using Microsoft.VisualStudio.TestTools.UnitTesting;
using Trace.Nn;

namespace Trace.Core.Tests.Cuda;

/// <summary>CUDA tensors (on the CPU accelerator in CI): storage, transfers, reads, printing, queries, Module.To, mixed devices.</summary>
[TestClass]
[DoNotParallelize]
public class CudaTransferTests
{
    [TestMethod]
    public void EveryDtypeRoundTripsThroughTheDevice()
    {
        var f = Tensor.From(new float[] { 1.5f, -2, float.NaN, 3e-39f, float.NegativeInfinity }, [5]);
        var d = Tensor.From(new double[] { Math.PI, -0.0, 1e300 }, [3]);
        var l = Tensor.From(new long[] { long.MinValue, 0, long.MaxValue, 7 }, [2, 2]);
        var i = Tensor.From(new int[] { int.MinValue, -1, int.MaxValue }, [3]);
        var b = Tensor.From(new bool[] { true, false, false, true, true }, [5]);
        foreach (var t in new[] { f, d, l, i, b })
        {
            var c = t.Cuda();
            Assert.AreEqual(Device.Cuda(0), c.Device);
            Assert.IsInstanceOfType(c.Storage, typeof(ICudaStorage));
            Assert.AreEqual(t.DType, c.DType);
            CollectionAssert.AreEqual(t.Shape.ToArray(), c.Shape.ToArray());
            var back = c.Cpu();
            Assert.AreEqual(Device.Cpu, back.Device);
            CollectionAssert.AreEqual(Reference.Values(t), Reference.Values(back), t.DType.ToString());
        }
        CollectionAssert.AreEqual(new long[] { long.MinValue, 0, long.MaxValue, 7 }, l.Cuda().ToArray<long>());
        CollectionAssert.AreEqual(new bool[] { true, false, false, true, true }, b.Cuda().ToArray<bool>());
        Assert.AreEqual(int.MaxValue, i.Cuda().Select(0, 2).Item<int>());
        Assert.AreSame(f, f.To(Device.Cpu), "already there: the same tensor");
        var fc = f.Cuda();
        Assert.AreSame(fc, fc.Cuda());
    }

    [TestMethod]
    public void StridedViewsMoveToAndFromTheDevice()
    {
        var a = Tensor.From(Enumerable.Range(0, 35).Select(v => (float)v).ToArray(), [5, 7]);
        // A transposed, narrowed CPU view goes up contiguous.
        var view = a.T.Narrow(0, 2, 4);
        var up = view.Cuda();
        Assert.IsTrue(up.IsContiguous);
        CollectionAssert.AreEqual(Reference.Values(view), Reference.Values(up.Cpu()));
        // A strided device view (stepped slice of a transpose) comes down through the strided copy kernel.
        var dev = a.Cuda();
        var dview = dev.T.Slice(1, 1, 5, 2);
        CollectionAssert.AreEqual(Reference.Values(a.T.Slice(1, 1, 5, 2)), Reference.Values(dview.Cpu()));
        Assert.AreEqual(a.T.Slice(1, 1, 5, 2).Contiguous().ToArray<float>().Sum(), dview.ToArray<float>().Sum());
        // Device-to-device strided copy with a cast.
        var asDouble = dview.To(DType.Float64);
        Assert.AreEqual(Device.Cuda(), asDouble.Device);
        CollectionAssert.AreEqual(Reference.Values(a.T.Slice(1, 1, 5, 2)), Reference.Values(asDouble.Cpu()));
    }

    [TestMethod]
    public void CastsOnTheDeviceMatchTheCpu()
    {
        var x = Tensor.From(new double[] { -2.7, -0.5, 0, 0.5, 2.7, 1e10, double.NaN }, [7]);
        foreach (var from in new[] { DType.Float64, DType.Float32 })
            foreach (var to in new[] { DType.Float32, DType.Float64, DType.Int64, DType.Int32, DType.Bool })
            {
                var src = x.To(from);
                if (to is DType.Int64 or DType.Int32) src = src.Narrow(0, 0, 5);   // out-of-range and NaN casts are unspecified
                var cpu = src.To(to);
                var gpu = src.Cuda().To(to);
                Assert.AreEqual(Device.Cuda(), gpu.Device);
                CollectionAssert.AreEqual(Reference.Values(cpu), Reference.Values(gpu.Cpu()), $"{from} -> {to}");
            }
        var ints = Tensor.From(new long[] { -3, 0, 5 }, [3]);
        foreach (var to in new[] { DType.Float32, DType.Float64, DType.Int32, DType.Bool })
            CollectionAssert.AreEqual(Reference.Values(ints.To(to)), Reference.Values(ints.Cuda().To(to).Cpu()), $"int64 -> {to}");
        var mask = Tensor.From(new bool[] { true, false, true }, [3]);
        foreach (var to in new[] { DType.Float32, DType.Float64, DType.Int64, DType.Int32 })
            CollectionAssert.AreEqual(Reference.Values(mask.To(to)), Reference.Values(mask.Cuda().To(to).Cpu()), $"bool -> {to}");
    }

    [TestMethod]
    public void FactoriesAndFillWorkOnTheDevice()
    {
        var z = Tensor.Zeros([3, 5], DType.Float64, Device.Cuda());
        Assert.AreEqual(Device.Cuda(), z.Device);
        CollectionAssert.AreEqual(new double[15], z.ToArray<double>());
        var full = Tensor.Full([4], 2.5, DType.Float32, Device.Cuda());
        CollectionAssert.AreEqual(new float[] { 2.5f, 2.5f, 2.5f, 2.5f }, full.ToArray<float>());
        var ones = Tensor.Ones([2], DType.Int64, Device.Cuda());
        CollectionAssert.AreEqual(new long[] { 1, 1 }, ones.ToArray<long>());
        z.Narrow(1, 1, 2).Fill_(7);
        var expect = new double[15];
        for (int r = 0; r < 3; r++) { expect[r * 5 + 1] = 7; expect[r * 5 + 2] = 7; }
        CollectionAssert.AreEqual(expect, z.ToArray<double>());
    }

    [TestMethod]
    public void ReadsAndPrintingGoThroughTheHost()
    {
        var t = Tensor.From(new float[] { 1, 2.5f, -3 }, [3]).Cuda();
        Assert.AreEqual(2.5, t.Select(0, 1).Item(), 0);
        Assert.AreEqual("tensor([ 1.0000,  2.5000, -3.0000], device='cuda:0')", t.ToString());
        Assert.AreEqual("tensor([1, 0], device='cuda:0', dtype=torch.int32)", Tensor.From(new int[] { 1, 0 }, [2]).Cuda().ToString());
        Assert.AreEqual(Tensor.From(new float[] { 1, 2.5f, -3 }, [3]).ToString().Replace(")", ", device='cuda:0')"), t.ToString());
    }

    [TestMethod]
    public void QueriesDescribeTheDevice()
    {
        Assert.IsTrue(Trace.Cuda.IsAvailable);
        Assert.IsNull(Trace.Cuda.UnavailableReason);
        Assert.AreEqual(1, Trace.Cuda.DeviceCount);
        Assert.IsFalse(string.IsNullOrEmpty(Trace.Cuda.DeviceName()));
        Assert.IsFalse(string.IsNullOrEmpty(Trace.Cuda.DriverVersion));
        Assert.IsTrue(Trace.Cuda.TotalMemory > 0);
        _ = Trace.Cuda.DeviceCapability();
        Trace.Cuda.Synchronize();
        var e = Assert.ThrowsExactly<NotSupportedException>(() => Trace.Cuda.DeviceName(1));
        StringAssert.Contains(e.Message, "cuda:1");
        var e2 = Assert.ThrowsExactly<NotSupportedException>(() => Tensor.Ones(2).To(Device.Cuda(1)));
        StringAssert.Contains(e2.Message, "cuda:1");
    }

    [TestMethod]
    public void OpsOnTwoDevicesNameBoth()
    {
        var cpu = Tensor.Ones(3);
        var gpu = Tensor.Ones(3).Cuda();
        foreach (var f in new Func<Tensor>[] { () => cpu.Add(gpu), () => gpu.Mul(cpu), () => gpu.Lt(cpu), () => Tensor.Where(gpu.Gt(0.0), gpu, cpu), () => Tensor.Cat([gpu, cpu]) })
        {
            var e = Assert.ThrowsExactly<ArgumentException>(() => f());
            StringAssert.Contains(e.Message, "cpu");
            StringAssert.Contains(e.Message, "cuda:0");
        }
        // A 0-dim CPU tensor (a .NET number) joins a CUDA op, as in PyTorch.
        CollectionAssert.AreEqual(new float[] { 3, 3, 3 }, gpu.Add(Tensor.Scalar(2.0)).ToArray<float>());
        CollectionAssert.AreEqual(new float[] { 0.5f, 0.5f, 0.5f }, gpu.Div(2.0).ToArray<float>());
        // copy_ moves its source, as PyTorch's.
        gpu.Copy_(Tensor.From(new float[] { 4, 5, 6 }, [3]));
        CollectionAssert.AreEqual(new float[] { 4, 5, 6 }, gpu.ToArray<float>());
    }

    private sealed class Recorder : IOpObserver
    {
        public readonly List<string> Ops = [];
        public void OnOp(OpCall op, IReadOnlyList<Tensor?> inputs, Tensor output, Func<Tensor?[], Tensor>? replay) => Ops.Add(op.Name);
        public void OnRead(Tensor tensor, string api) { }
        public void OnMutating(Tensor tensor) { }
    }

    [TestMethod]
    public void MovingBetweenDevicesInsideATraceIsRefusedByName()
    {
        var x = Tensor.Ones(3);
        var rec = new Recorder();
        using (Dispatch.Observe(rec))
        {
            var e = Assert.ThrowsExactly<NotSupportedException>(() => x.Cuda());
            StringAssert.Contains(e.Message, "aten::to");
            StringAssert.Contains(e.Message, "inside a trace");
        }
        Assert.AreEqual(0, rec.Ops.Count);
    }

    private sealed class Affine : Module
    {
        public readonly Tensor Weight;
        public readonly Tensor Scale;

        public Affine()
        {
            Weight = RegisterParameter("weight", Tensor.From(new float[] { 1, 2, 3, 4, 5, 6 }, [2, 3]).T)!;
            Scale = RegisterBuffer("scale", Tensor.From(new float[] { 0.5f, 2 }, [2]));
        }

        public override Tensor Forward(Tensor input) => input.Mul(Weight).Tanh();
    }

    [TestMethod]
    public void ModuleToMovesParametersGradsAndBuffersInPlace()
    {
        var m = new Affine();
        var w = m.Weight;
        m.Weight.Grad = Tensor.Full([3, 2], 0.25, DType.Float32);
        m.To(Device.Cuda());
        Assert.AreSame(w, m.Parameters().Single(), "the parameter object is kept");
        Assert.AreSame(w, m.Weight);
        Assert.AreEqual(Device.Cuda(), w.Device);
        Assert.IsTrue(w.RequiresGrad);
        Assert.AreEqual(Device.Cuda(), w.Grad!.Device);
        Assert.AreEqual(Device.Cuda(), m.Scale.Device);
        CollectionAssert.AreEqual(new float[] { 1, 4, 2, 5, 3, 6 }, w.ToArray<float>(), "the transposed view's values, now contiguous");
        CollectionAssert.AreEqual(new float[] { 0.25f, 0.25f, 0.25f, 0.25f, 0.25f, 0.25f }, w.Grad.ToArray<float>());
        var y = m.Forward(Tensor.Ones(3, 2).Cuda());
        Assert.AreEqual(Device.Cuda(), y.Device);
        m.To(Device.Cpu);
        Assert.AreSame(w, m.Weight);
        Assert.AreEqual(Device.Cpu, w.Device);
        CollectionAssert.AreEqual(new float[] { 1, 4, 2, 5, 3, 6 }, w.ToArray<float>());
    }
}
