using Microsoft.VisualStudio.TestTools.UnitTesting;

namespace Trace.Core.Tests;

/// <summary>
/// Ops with several outputs: native_layer_norm's (output, mean, rstd) against float64 loops, which of their
/// outputs carry gradients, and how observers see them (one report with every output; observers that only know
/// the one-output form see the first).
/// </summary>
[TestClass]
public class MultiOutputOpTests
{
    [TestMethod]
    [DataRow(DType.Float32, 1)]
    [DataRow(DType.Float64, 1)]
    [DataRow(DType.Float64, 2)]
    public void NativeLayerNormReturnsTheStatisticsItNormalizedWith(DType dtype, int normalizedDims)
    {
        var x = Tensor.Randn([2, 3, 4], dtype, generator: new Generator(23)).Mul(5).Add(7).RequiresGrad_();
        int[] normalized = normalizedDims == 1 ? [4] : [3, 4];
        var (y, mean, rstd) = x.NativeLayerNorm(normalized, eps: 1e-3);
        int[] statShape = normalizedDims == 1 ? [2, 3, 1] : [2, 1, 1];
        CollectionAssert.AreEqual(statShape, mean.Shape.ToArray());
        CollectionAssert.AreEqual(statShape, rstd.Shape.ToArray());
        Assert.AreEqual(dtype, mean.DType);
        Assert.AreEqual(dtype, rstd.DType);
        Assert.AreEqual("aten::native_layer_norm", y.GradFn?.Name);
        Assert.IsFalse(mean.RequiresGrad || rstd.RequiresGrad, "mean and rstd are not differentiable");

        var data = x.To(DType.Float64).ToArray<double>();
        int len = normalizedDims == 1 ? 4 : 12, rows = data.Length / len;
        var (em, er, ey) = (new double[rows], new double[rows], new double[data.Length]);
        for (int r = 0; r < rows; r++)
        {
            var row = data.Skip(r * len).Take(len).ToArray();
            em[r] = row.Average();
            er[r] = 1 / Math.Sqrt(row.Select(v => (v - em[r]) * (v - em[r])).Sum() / len + 1e-3);
            for (int i = 0; i < len; i++) ey[r * len + i] = (row[i] - em[r]) * er[r];
        }
        double tol = dtype == DType.Float32 ? 1e-5 : 1e-12;
        Reference.AssertClose(em, mean, tol, tol, "mean");
        Reference.AssertClose(er, rstd, tol, tol, "rstd");
        Reference.AssertClose(ey, y, tol * 10, tol * 10, "output");
        Reference.AssertClose(ey, x.LayerNorm(normalized, eps: 1e-3), tol * 10, tol * 10, "LayerNorm is its output");
    }

    [TestMethod]
    [DataRow(DType.Float32)]
    [DataRow(DType.Float64)]
    public void WeightAndBiasViewsThatStartInsideTheirStorageAreReadFromTheirStart(DType dtype)
    {
        var g = new Generator(21);
        var x = Tensor.Randn([3, 4], dtype, g);
        var storage = Tensor.Randn([12], dtype, g);
        var (w, b) = (storage.Narrow(0, 4, 4), storage.Narrow(0, 8, 4));   // contiguous views at offsets 4 and 8
        Assert.AreEqual(4, w.StorageOffset);
        var expected = x.LayerNorm([4], w.Clone(), b.Clone());
        CollectionAssert.AreEqual(expected.To(DType.Float64).ToArray<double>(), x.LayerNorm([4], w, b).To(DType.Float64).ToArray<double>());
    }

    [TestMethod]
    public void ObserversSeeOneReportWithEveryOutput()
    {
        var x = Tensor.Randn([3, 4], DType.Float64, generator: new Generator(29));
        var full = new Recorder();
        using (Dispatch.Observe(full))
        {
            x.NativeLayerNorm([4]);
            x.Max(1);
            x.Argmin(0);
        }
        CollectionAssert.AreEqual(new[] { "aten::native_layer_norm:3", "aten::max:2", "aten::argmin:1" }, full.Seen);

        // An observer written for one output (the interface's default method) sees the first output only.
        var legacy = new OneOutputRecorder();
        Tensor? first = null;
        using (Dispatch.Observe(legacy)) first = x.NativeLayerNorm([4]).Output;
        CollectionAssert.AreEqual(new[] { "aten::native_layer_norm" }, legacy.Seen);
        Assert.AreSame(first, legacy.Outputs.Single());
    }

    private sealed class Recorder : IOpObserver
    {
        public List<string> Seen { get; } = [];
        public void OnOp(OpCall op, IReadOnlyList<Tensor?> inputs, Tensor output, Func<Tensor?[], Tensor>? replay) => Seen.Add($"{op.Name}:1");
        public void OnOp(OpCall op, IReadOnlyList<Tensor?> inputs, IReadOnlyList<Tensor> outputs) => Seen.Add($"{op.Name}:{outputs.Count}");
        public void OnRead(Tensor tensor, string api) { }
        public void OnMutating(Tensor tensor) { }
    }

    private sealed class OneOutputRecorder : IOpObserver
    {
        public List<string> Seen { get; } = [];
        public List<Tensor> Outputs { get; } = [];
        public void OnOp(OpCall op, IReadOnlyList<Tensor?> inputs, Tensor output, Func<Tensor?[], Tensor>? replay)
        {
            Seen.Add(op.Name);
            Outputs.Add(output);
        }
        public void OnRead(Tensor tensor, string api) { }
        public void OnMutating(Tensor tensor) { }
    }
}
