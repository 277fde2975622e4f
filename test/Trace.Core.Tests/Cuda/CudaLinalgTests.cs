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

    [TestMethod]
    public void MatmulInEveryFormMatchesTheCpu()
    {
        (Tensor A, Tensor B, string What)[] cases =
        [
            (V(1, 5, 7), V(2, 7, 3), "2-D"),
            (V(3, 70, 33), V(4, 33, 65), "2-D across tile edges"),
            (V(5, 7), V(6, 7), "vector · vector"),
            (V(7, 4, 6), V(8, 6), "matrix · vector"),
            (V(9, 6), V(10, 6, 5), "vector · matrix"),
            (V(11, 3, 4, 6), V(12, 3, 6, 5), "batched"),
            (V(13, 2, 1, 4, 6), V(14, 3, 6, 5), "batched with broadcast batch dims"),
            (V(15, 6, 4).T, V(16, 5, 6).T, "transposed operands read in place"),
            (V(17, 3, 6, 4).Transpose(1, 2), V(18, 5, 3, 6).Permute(1, 2, 0), "batched, permuted operands"),
        ];
        foreach (var (a, b, what) in cases)
            CudaCompare.Close(a.Matmul(b), a.Cuda().Matmul(b.Cuda()), 1e-5, 1e-5, what);
    }

    [TestMethod]
    public void LinearAndItsEpiloguesMatchTheCpu()
    {
        var (x, w, bias, residual) = (V(1, 3, 5, 8), V(2, 6, 8), V(3, 6), V(4, 3, 5, 6));
        CudaCompare.Close(Tensor.Linear(x, w, bias), Tensor.Linear(x.Cuda(), w.Cuda(), bias.Cuda()), 1e-5, 1e-5, "linear");
        CudaCompare.Close(Tensor.Linear(x, w), Tensor.Linear(x.Cuda(), w.Cuda()), 1e-5, 1e-5, "linear without bias");
        foreach (var op in new[] { "trace::linear_relu", "trace::linear_add" })
        {
            Tensor[] cpu = op == "trace::linear_add" ? [x, w, bias, residual] : [x, w, bias];
            var gpu = cpu.Select(t => t.Cuda()).ToArray();
            CudaCompare.Close(Entry(op, cpu), Entry(op, gpu), 1e-5, 1e-5, op);
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
    public void Float64ProductsAreAClearErrorForNow()
    {
        var a = CudaCompare.Values([3, 3], DType.Float64).Cuda();
        var e = Assert.ThrowsExactly<NotSupportedException>(() => a.Matmul(a));
        StringAssert.Contains(e.Message, "aten::matmul: no CUDA kernel yet for torch.float64 matrix products");
    }
}
