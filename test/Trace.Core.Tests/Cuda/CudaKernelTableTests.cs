using Microsoft.VisualStudio.TestTools.UnitTesting;

namespace Trace.Core.Tests.Cuda;

/// <summary>
/// The CUDA kernel table serves every op of the op table (each op's forward and backward against the CPU is the
/// CUDA op-case conformance test in Trace.Jit.Tests); here, common ops on odd-shaped float32 inputs.
/// </summary>
[TestClass]
[DoNotParallelize]
public class CudaKernelTableTests
{
    [TestMethod]
    public void TheCudaTableIsRegisteredAndServesEveryOpOfTheTable()
    {
        var table = DeviceKernels.For(Device.Cuda(), "aten::add");
        Assert.AreEqual(Device.Cuda(), table.Device);
        CollectionAssert.Contains(DeviceKernels.Registered.ToArray(), table, "the registry test walks the CUDA table too");
        foreach (var def in Ops.OpTable.All) Assert.IsTrue(table.Implements(def.Schema.Name), def.Schema.Name);
        Assert.IsFalse(table.Implements("aten::no_such_op"));
    }

    [TestMethod]
    public void CommonOpsRunOnCudaTensorsAndMatchTheCpu()
    {
        var runs = new Dictionary<string, Func<Tensor, Tensor, Tensor>>
        {
            ["aten::abs"] = (x, _) => x.Abs(), ["aten::all"] = (x, _) => x.Gt(-10.0).All(), ["aten::amax"] = (x, _) => x.Amax([1]),
            ["aten::amin"] = (x, _) => x.Amin([0]), ["aten::any"] = (x, _) => x.Gt(0.5).Any(), ["aten::prod"] = (x, _) => x.Prod(1), ["aten::sum"] = (x, _) => x.Sum(0), ["aten::add"] = (x, y) => x.Add(y), ["aten::add_"] = (x, y) => x.Clone().Add_(y),
            ["aten::cat"] = (x, y) => Tensor.Cat([x, y], 1), ["aten::clamp"] = (x, _) => x.Clamp(-0.5, 0.5), ["aten::clamp_"] = (x, _) => x.Clone().Clamp_(-0.5, 0.5),
            ["aten::clone"] = (x, _) => x.T.Clone(), ["aten::contiguous"] = (x, _) => x.T.Contiguous(), ["aten::copy_"] = (x, y) => x.Clone().Copy_(y.T.T),
            ["aten::detach"] = (x, _) => x.Detach(), ["aten::div"] = (x, y) => x.Div(y), ["aten::div_"] = (x, y) => x.Clone().Div_(y),
            ["aten::eq"] = (x, y) => x.Eq(y), ["aten::erf"] = (x, _) => x.Erf(), ["aten::exp"] = (x, _) => x.Exp(), ["aten::expand"] = (x, _) => x.Narrow(0, 0, 1).Expand(3, 5).Contiguous(),
            ["aten::fill_"] = (x, _) => x.Clone().Fill_(2.5), ["aten::full"] = (x, _) => Tensor.Full([2, 2], 1.5, x.DType, x.Device),
            ["aten::ge"] = (x, y) => x.Ge(y), ["aten::gelu"] = (x, _) => x.Gelu(), ["aten::gelu_backward"] = (x, y) => y.GeluBackward(x, GeluApproximation.Tanh),
            ["aten::gt"] = (x, y) => x.Gt(y), ["aten::le"] = (x, y) => x.Le(y), ["aten::log"] = (x, _) => x.Abs().Log(), ["aten::log1p"] = (x, _) => x.Abs().Log1p(),
            ["aten::logical_and"] = (x, y) => x.Gt(0.0).LogicalAnd(y.Gt(0.0)), ["aten::logical_not"] = (x, _) => x.LogicalNot(),
            ["aten::logical_or"] = (x, y) => x.Gt(0.0).LogicalOr(y.Gt(0.0)), ["aten::logical_xor"] = (x, y) => x.Gt(0.0).LogicalXor(y.Gt(0.0)),
            ["aten::lt"] = (x, y) => x.Lt(y), ["aten::maximum"] = (x, y) => x.Maximum(y), ["aten::minimum"] = (x, y) => x.Minimum(y),
            ["aten::mul"] = (x, y) => x.Mul(y), ["aten::mul_"] = (x, y) => x.Clone().Mul_(y), ["aten::narrow"] = (x, _) => x.Narrow(1, 1, 3).Contiguous(),
            ["aten::ne"] = (x, y) => x.Ne(y), ["aten::neg"] = (x, _) => x.Neg(), ["aten::permute"] = (x, _) => x.Permute(1, 0).Contiguous(),
            ["aten::pow"] = (x, y) => x.Abs().Pow(y), ["aten::relu"] = (x, _) => x.Relu(), ["aten::reshape"] = (x, _) => x.T.Reshape(5, 3),
            ["aten::rsqrt"] = (x, _) => x.Abs().Add(1.0).Rsqrt(), ["aten::select"] = (x, _) => x.Select(1, 2).Contiguous(), ["aten::sigmoid"] = (x, _) => x.Sigmoid(),
            ["aten::silu"] = (x, _) => x.Silu(), ["aten::slice"] = (x, _) => x.Slice(1, 0, 5, 2).Contiguous(), ["aten::sqrt"] = (x, _) => x.Abs().Sqrt(),
            ["aten::square"] = (x, _) => x.Square(), ["aten::squeeze"] = (x, _) => x.Unsqueeze(0).Squeeze(0), ["aten::sub"] = (x, y) => x.Sub(y),
            ["aten::sub_"] = (x, y) => x.Clone().Sub_(y), ["aten::tanh"] = (x, _) => x.Tanh(), ["aten::to"] = (x, _) => x.To(DType.Int32),
            ["aten::transpose"] = (x, _) => x.Transpose(0, 1).Contiguous(), ["aten::unsqueeze"] = (x, _) => x.Unsqueeze(1).Contiguous(),
            ["aten::linear"] = (x, y) => Tensor.Linear(x, y), ["aten::matmul"] = (x, y) => x.Matmul(y.T),
            ["trace::linear_add"] = (x, y) => Ops.OpTable.Get("trace::linear_add").EvalOne(new Ops.OpArgs("trace::linear_add", [x, y, null, x.Matmul(y.T)])),
            ["trace::linear_relu"] = (x, y) => Ops.OpTable.Get("trace::linear_relu").EvalOne(new Ops.OpArgs("trace::linear_relu", [x, y, null])),
            ["trace::linear_gelu"] = (x, y) => Ops.OpTable.Get("trace::linear_gelu").EvalOne(new Ops.OpArgs("trace::linear_gelu", [x, y, null, "none"])),
            ["aten::view"] = (x, _) => x.View(15), ["aten::where"] = (x, y) => Tensor.Where(x.Gt(y), x, y), ["aten::zeros"] = (x, _) => Tensor.Zeros([3], x.DType, x.Device),
        };
        var a = CudaCompare.Values([3, 5], DType.Float32, seed: 13);
        var b = CudaCompare.Values([3, 5], DType.Float32, seed: 14);
        foreach (var (op, f) in runs)
            CudaCompare.Close(f(a, b), f(a.Cuda(), b.Cuda()), 4e-6, 1e-6, op);
    }
}
