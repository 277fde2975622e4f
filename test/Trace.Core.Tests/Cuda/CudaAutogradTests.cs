using Microsoft.VisualStudio.TestTools.UnitTesting;

namespace Trace.Core.Tests.Cuda;

/// <summary>Autograd on CUDA tensors: backward rules are tensor ops, so they run on the device and fill .Grad there.</summary>
[TestClass]
[DoNotParallelize]
public class CudaAutogradTests
{
    private static (Tensor Y, Tensor A, Tensor B) Chain(Tensor a0, Tensor b0)
    {
        var a = a0.Detach();
        var b = b0.Detach();
        a.RequiresGrad = true;
        b.RequiresGrad = true;
        var y = a.Mul(b).Add(a).Tanh().Exp().Mul(b.Sigmoid()).Div(b.Abs().Add(1.0)).Gelu();
        return (y, a, b);
    }

    [TestMethod]
    public void BackwardOfAnElementwiseChainFillsGradOnTheDeviceAsOnTheCpu()
    {
        foreach (var dt in new[] { DType.Float32, DType.Float64 })
        {
            var a = CudaCompare.Values([4, 9], dt, seed: 9);
            var b = CudaCompare.Values([4, 9], dt, seed: 10);
            var seed = CudaCompare.Values([4, 9], dt, scale: 1, seed: 11);
            var (y, ca, cb) = Chain(a, b);
            y.Backward(seed);
            var (gy, ga, gb) = Chain(a.Cuda(), b.Cuda());
            Assert.AreEqual(Device.Cuda(), gy.Device);
            gy.Backward(seed.Cuda());
            Assert.AreEqual(Device.Cuda(), ga.Grad!.Device);
            Assert.AreEqual(Device.Cuda(), gb.Grad!.Device);
            double rtol = dt == DType.Float32 ? 2e-5 : 1e-6;
            CudaCompare.Close(y.Detach(), gy.Detach(), rtol, 1e-6, $"forward {dt}");
            CudaCompare.Close(ca.Grad!, ga.Grad, rtol, 1e-6, $"grad a {dt}");
            CudaCompare.Close(cb.Grad!, gb.Grad, rtol, 1e-6, $"grad b {dt}");
        }
    }

    [TestMethod]
    public void GradientsFlowBackAcrossADeviceMove()
    {
        var a = CudaCompare.Values([3, 5], DType.Float64, seed: 12);
        a.RequiresGrad = true;
        var y = a.Cuda().Mul(3.0).Tanh();
        y.Backward(Tensor.Ones([3, 5], DType.Float64, Device.Cuda()));
        Assert.AreEqual(Device.Cpu, a.Grad!.Device, "to(device) is differentiable: the gradient comes back to the CPU leaf");
        var expect = a.Detach().Mul(3.0).Tanh().Square().Neg().Add(1.0).Mul(3.0);
        CollectionAssert.AreEqual(Reference.Values(expect).Select(v => Math.Round(v, 12)).ToArray(), Reference.Values(a.Grad).Select(v => Math.Round(v, 12)).ToArray());
    }
}
