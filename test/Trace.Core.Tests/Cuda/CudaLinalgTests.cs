using Microsoft.VisualStudio.TestTools.UnitTesting;
using Trace.Nn;
using Trace.Ops;

namespace Trace.Core.Tests.Cuda;

/// <summary>Matrix products on CUDA (the ILGPU SGEMM) against the CPU: matmul's forms, linear with its epilogues, a training step.</summary>
[TestClass]
[DoNotParallelize]
public class CudaLinalgTests
{
    private static Tensor V(int seed, params int[] shape) => CudaCompare.Values(shape, DType.Float32, scale: 1, seed: seed);

    /// <summary>Tolerances per dtype: float64 products of K ≤ 70 terms of size ~1 agree with the CPU's DGEMM to ~K·ε.</summary>
    private static double Tol(DType dt) => dt == DType.Float64 ? 1e-12 : 1e-5;

    private static (Tensor A, Tensor B, string What)[] MatmulCases(DType dt)
    {
        Tensor W(int seed, params int[] shape) => CudaCompare.Values(shape, dt, scale: 1, seed: seed);
        return
        [
            (W(1, 5, 7), W(2, 7, 3), "2-D"),
            (W(3, 70, 33), W(4, 33, 65), "2-D across tile edges"),
            (W(5, 7), W(6, 7), "vector · vector"),
            (W(7, 4, 6), W(8, 6), "matrix · vector"),
            (W(9, 6), W(10, 6, 5), "vector · matrix"),
            (W(11, 3, 4, 6), W(12, 3, 6, 5), "batched"),
            (W(13, 2, 1, 4, 6), W(14, 3, 6, 5), "batched with broadcast batch dims"),
            (W(15, 6, 4).T, W(16, 5, 6).T, "transposed operands read in place"),
            (W(17, 3, 6, 4).Transpose(1, 2), W(18, 5, 3, 6).Permute(1, 2, 0), "batched, permuted operands"),
        ];
    }

    [TestMethod]
    [DataRow(DType.Float32)]
    [DataRow(DType.Float64)]
    public void MatmulInEveryFormMatchesTheCpu(DType dt)
    {
        foreach (var (a, b, what) in MatmulCases(dt))
            CudaCompare.Close(a.Matmul(b), a.Cuda().Matmul(b.Cuda()), Tol(dt), Tol(dt), $"{what} ({dt})");
    }

    [TestMethod]
    public void Float64MatmulBackwardInEveryFormMatchesTheCpu()
    {
        foreach (var (a0, b0, what) in MatmulCases(DType.Float64))
        {
            var grads = new List<Tensor>();
            foreach (var cuda in new[] { false, true })
            {
                var (a, b) = cuda ? (a0.Cuda().Detach(), b0.Cuda().Detach()) : (a0.Detach(), b0.Detach());
                a.RequiresGrad = b.RequiresGrad = true;
                var y = a.Matmul(b);
                var seed = CudaCompare.Values(y.Shape.ToArray(), DType.Float64, scale: 1, seed: 7);
                y.Backward(cuda ? seed.Cuda() : seed);
                grads.Add(a.Grad!);
                grads.Add(b.Grad!);
            }
            CudaCompare.Close(grads[0], grads[2], 1e-12, 1e-12, $"grad a of {what}");
            CudaCompare.Close(grads[1], grads[3], 1e-12, 1e-12, $"grad b of {what}");
        }
    }

    [TestMethod]
    [DataRow(DType.Float32)]
    [DataRow(DType.Float64)]
    public void LinearAndItsEpiloguesMatchTheCpu(DType dt)
    {
        Tensor W(int seed, params int[] shape) => CudaCompare.Values(shape, dt, scale: 1, seed: seed);
        var (x, w, bias, residual) = (W(1, 3, 5, 8), W(2, 6, 8), W(3, 6), W(4, 3, 5, 6));
        double tol = Tol(dt);
        CudaCompare.Close(Tensor.Linear(x, w, bias), Tensor.Linear(x.Cuda(), w.Cuda(), bias.Cuda()), tol, tol, $"linear ({dt})");
        CudaCompare.Close(Tensor.Linear(x, w), Tensor.Linear(x.Cuda(), w.Cuda()), tol, tol, $"linear without bias ({dt})");
        foreach (var op in new[] { "trace::linear_relu", "trace::linear_add" })
        {
            Tensor[] cpu = op == "trace::linear_add" ? [x, w, bias, residual] : [x, w, bias];
            var gpu = cpu.Select(t => t.Cuda()).ToArray();
            CudaCompare.Close(Entry(op, cpu), Entry(op, gpu), tol, tol, $"{op} ({dt})");
        }
    }

    [TestMethod]
    public void Float64LinearBackwardWithAndWithoutBiasAndEpiloguesMatchesTheCpu()
    {
        Tensor W(int seed, params int[] shape) => CudaCompare.Values(shape, DType.Float64, scale: 1, seed: seed);
        var (x0, w0, b0, r0) = (W(21, 4, 3, 9), W(22, 7, 9), W(23, 7), W(24, 4, 3, 7));
        foreach (var form in new[] { "aten::linear", "aten::linear without bias", "trace::linear_relu", "trace::linear_add" })
        {
            var grads = new List<Tensor?[]>();
            foreach (var cuda in new[] { false, true })
            {
                Tensor Leaf(Tensor t)
                {
                    var l = (cuda ? t.Cuda() : t).Detach();
                    l.RequiresGrad = true;
                    return l;
                }
                var (x, w, b, r) = (Leaf(x0), Leaf(w0), Leaf(b0), Leaf(r0));
                var y = form switch
                {
                    "aten::linear" => Tensor.Linear(x, w, b),
                    "aten::linear without bias" => Tensor.Linear(x, w),
                    "trace::linear_add" => Entry(form, [x, w, b, r]),
                    _ => Entry(form, [x, w, b]),
                };
                var seed = W(25, 4, 3, 7);
                y.Backward(cuda ? seed.Cuda() : seed);
                grads.Add([x.Grad, w.Grad, form == "aten::linear without bias" ? null : b.Grad, form == "trace::linear_add" ? r.Grad : null]);
            }
            string[] names = ["input", "weight", "bias", "residual"];
            for (int i = 0; i < 4; i++)
            {
                if (grads[0][i] is null) continue;
                CudaCompare.Close(grads[0][i]!, grads[1][i]!, 1e-12, 1e-12, $"grad {names[i]} of {form}");
            }
        }
    }

    private static Tensor Entry(string op, Tensor[] args) => OpTable.Get(op).Eval(new OpArgs(op, [.. args]))[0];

    [TestMethod]
    public void TheLectureTwoLayerNetTrainsOnTheDeviceAsOnTheCpu()
    {
        var cpu = new Sequential(new Linear(10, 8, generator: new Generator(3)), new ReLU(), new Linear(8, 4, generator: new Generator(4)));
        var gpu = new Sequential(new Linear(10, 8, generator: new Generator(3)), new ReLU(), new Linear(8, 4, generator: new Generator(4)));
        gpu.To(Device.Cuda());
        var (x, y) = (V(5, 16, 10), V(6, 16, 4));
        var (xg, yg) = (x.Cuda(), y.Cuda());
        for (int step = 0; step < 3; step++)
        {
            foreach (var (model, input, target) in new[] { (cpu, x, y), (gpu, xg, yg) })
            {
                model.ZeroGrad();
                var loss = model.Forward(input).Sub(target).Square().Mean();
                loss.Backward();
                using (Autograd.NoGrad())
                    foreach (var p in model.Parameters()) p.Sub_(p.Grad!.Mul(0.1));   // SGD by hand: the fused optimizers are not on CUDA yet
            }
            var (pc, pg) = (cpu.Parameters().ToArray(), gpu.Parameters().ToArray());
            for (int i = 0; i < pc.Length; i++) CudaCompare.Close(pc[i], pg[i], 1e-5, 1e-5, $"parameter {i} after step {step}");
        }
    }

    [TestMethod]
    [DataRow(DType.Int64)]
    [DataRow(DType.Int32)]
    public void IntegerProductsAreAClearErrorNamingTheOpAndDtype(DType dt)
    {
        var a = CudaCompare.Values([3, 3], dt).Cuda();
        var v = CudaCompare.Values([3], dt).Cuda();
        var e = Assert.ThrowsExactly<NotSupportedException>(() => a.Matmul(a));
        StringAssert.Contains(e.Message, $"aten::matmul: matrix products of {dt.TorchName()} tensors are not supported on cuda");
        StringAssert.Contains(e.Message, "the CPU computes integer products exactly");
        e = Assert.ThrowsExactly<NotSupportedException>(() => v.Matmul(v));
        StringAssert.Contains(e.Message, $"aten::matmul: matrix products of {dt.TorchName()}");
        e = Assert.ThrowsExactly<NotSupportedException>(() => Tensor.Linear(a, a, v));
        StringAssert.Contains(e.Message, $"aten::linear: matrix products of {dt.TorchName()}");
        e = Assert.ThrowsExactly<NotSupportedException>(() => Entry("trace::linear_relu", [a, a, v]));
        StringAssert.Contains(e.Message, $"trace::linear_relu: matrix products of {dt.TorchName()}");
        // The CPU table computes the same product exactly.
        var cpu = CudaCompare.Values([3, 3], dt);
        Assert.AreEqual(dt, cpu.Matmul(cpu).DType);
    }

    [TestMethod]
    public void BoolProductsAreRefusedByTheOpOnCudaAsOnTheCpu()
    {
        var a = Tensor.Ones([2, 2], DType.Bool);
        foreach (var t in new[] { a, a.Cuda() })
        {
            var e = Assert.ThrowsExactly<ArgumentException>(() => t.Matmul(t));
            StringAssert.Contains(e.Message, "aten::matmul: not supported for bool tensors");
        }
    }
}
