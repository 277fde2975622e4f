using System.Runtime.CompilerServices;
using Microsoft.VisualStudio.TestTools.UnitTesting;

namespace Trace.Core.Tests;

/// <summary>Storage comes from its device's allocator and is released deterministically by Dispose or a DisposeScope.</summary>
[TestClass]
public class DisposeScopeTests
{
    /// <summary>Runs a training-style loop, each step in its own scope; returns the sum of the step results and the step storages.</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static (double Total, List<WeakReference<Storage>> Storages, List<Storage> Kept) LoopInScopes(Tensor x, int steps)
    {
        var weak = new List<WeakReference<Storage>>();
        var kept = new List<Storage>();
        double total = 0;
        for (int i = 0; i < steps; i++)
        {
            using var scope = Tensor.NewDisposeScope();
            var h = x.Mul(2.0).Add((double)i);
            var y = h.Sum();
            total += y.Item();
            weak.Add(new WeakReference<Storage>(h.Storage));
            weak.Add(new WeakReference<Storage>(y.Storage));
            kept.Add(h.Storage);
            Assert.IsTrue(scope.Count >= 3, $"step {i}: the scope owns the step's temporaries, got {scope.Count}");
        }
        return (total, weak, kept);
    }

    [TestMethod]
    public void LoopInsideScopesFreesEveryStepsStorageAndKeepsNoneAlive()
    {
        var values = Enumerable.Range(0, 64).Select(i => (float)Math.Sin(i)).ToArray();
        var x = Tensor.From(values, [8, 8]);
        const int steps = 40;
        var (total, weak, kept) = LoopInScopes(x, steps);
        double expected = 0;
        for (int i = 0; i < steps; i++) expected += values.Sum(v => (double)(float)(v * 2f + i));
        Assert.AreEqual(expected, total, 1e-3 * steps, "the scoped loop computes what an unscoped one does");
        Assert.IsTrue(kept.All(s => s.IsDisposed), "every step's storage is released when its scope ends");
        Assert.IsFalse(x.IsDisposed, "a tensor made before the scope is not released");
        kept.Clear();
        GC.Collect();
        GC.WaitForPendingFinalizers();
        GC.Collect();
        int alive = weak.Count(w => w.TryGetTarget(out _));
        Assert.AreEqual(0, alive, "disposed scopes hold no references to the storages they freed");
    }

    [TestMethod]
    public void UsingADisposedTensorNamesTheOp()
    {
        var x = Tensor.From(new float[] { 1, 2, 3, 4 }, [2, 2]);
        Tensor t;
        using (Tensor.NewDisposeScope()) t = x.Add(1.0);
        Assert.IsTrue(t.IsDisposed);
        var mul = Assert.ThrowsExactly<ObjectDisposedException>(() => t.Mul(2.0));
        StringAssert.Contains(mul.Message, "aten::mul");
        StringAssert.Contains(mul.Message, "float32");
        StringAssert.Contains(Assert.ThrowsExactly<ObjectDisposedException>(() => t.T).Message, "aten::permute");
        StringAssert.Contains(Assert.ThrowsExactly<ObjectDisposedException>(() => x.Add(t)).Message, "aten::add");
        StringAssert.Contains(Assert.ThrowsExactly<ObjectDisposedException>(() => t.ToArray<float>()).Message, "aten::to_array");
        StringAssert.Contains(Assert.ThrowsExactly<ObjectDisposedException>(() => t.Sum().Item()).Message, "aten::sum");
        CollectionAssert.AreEqual(new float[] { 2, 4, 6, 8 }, x.Mul(2.0).ToArray<float>(), "tensors outside the scope still work");
    }

    [TestMethod]
    public void MovedOutTensorsSurviveTheirScopeAndBelongToTheOuterOne()
    {
        var x = Tensor.From(new double[] { 1, -2, 3 }, [3]);
        Tensor kept, temp;
        using (var outer = Tensor.NewDisposeScope())
        {
            using (var inner = Tensor.NewDisposeScope())
            {
                temp = x.Mul(3.0);
                kept = inner.MoveOut(x.Add(0.5));
            }
            Assert.IsTrue(temp.IsDisposed, "the inner scope frees what was not moved out");
            Assert.IsFalse(kept.IsDisposed);
            CollectionAssert.AreEqual(new[] { 1.5, -1.5, 3.5 }, kept.ToArray<double>());
            Assert.AreEqual(1, outer.Count, "the moved tensor now belongs to the outer scope");
        }
        Assert.IsTrue(kept.IsDisposed, "the outer scope frees it");
        Tensor free;
        using (Tensor.NewDisposeScope()) free = x.Neg().MoveToOuterDisposeScope();
        Assert.IsFalse(free.IsDisposed, "moved out of the outermost scope: no scope owns it");
        CollectionAssert.AreEqual(new[] { -1.0, 2.0, -3.0 }, free.ToArray<double>());
        free.Storage.Dispose();
        Assert.IsTrue(free.IsDisposed, "explicit Storage.Dispose releases it");
    }

    [TestMethod]
    public void ScopesCloseInnermostFirst()
    {
        var outer = Tensor.NewDisposeScope();
        var inner = Tensor.NewDisposeScope();
        var e = Assert.ThrowsExactly<InvalidOperationException>(() => outer.Dispose());
        StringAssert.Contains(e.Message, "innermost first");
        inner.Dispose();
        outer.Dispose();
        Assert.ThrowsExactly<ObjectDisposedException>(() => outer.MoveOut(Tensor.Zeros(1)));
    }

    [TestMethod]
    public void StorageComesFromTheDevicesAllocator()
    {
        Assert.AreSame(CpuAllocator.Instance, DeviceAllocators.For(Device.Cpu));
        var s = Storage.Allocate(DType.Int64, 5, Device.Cpu);
        CollectionAssert.AreEqual(new long[5], ((CpuStorage<long>)s).Data, "zero-filled by default");
        Assert.AreEqual(DType.Int64, s.DType);
        var e = Assert.ThrowsExactly<NotSupportedException>(() => Storage.Allocate(DType.Float32, 4, Device.Cuda(1)));
        StringAssert.Contains(e.Message, "cuda:1");
        s.Dispose();
        Assert.ThrowsExactly<ObjectDisposedException>(() => ((CpuStorage<long>)s).Data);
        Assert.AreEqual(5, s.Length, "the length stays readable after release");
    }
}
