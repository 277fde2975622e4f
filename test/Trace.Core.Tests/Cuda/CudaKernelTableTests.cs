using Microsoft.VisualStudio.TestTools.UnitTesting;

namespace Trace.Core.Tests.Cuda;

/// <summary>
/// What the CUDA kernel table covers: exactly the ops listed in <c>CudaKernels.Ops</c>, all in the op table; the gap
/// (ops without a CUDA kernel yet) is printed by name so it shrinks visibly as kernels land.
/// </summary>
[TestClass]
[DoNotParallelize]
public class CudaKernelTableTests
{
    private static readonly string[] Expected =
    [
        "aten::abs", "aten::add", "aten::add_", "aten::all", "aten::amax", "aten::amin", "aten::any", "aten::cat", "aten::clamp", "aten::clamp_", "aten::clone", "aten::contiguous",
        "aten::copy_", "aten::detach", "aten::div", "aten::div_", "aten::eq", "aten::erf", "aten::exp", "aten::expand",
        "aten::fill_", "aten::full", "aten::ge", "aten::gelu", "aten::gelu_backward", "aten::gt", "aten::le", "aten::linear", "aten::log",
        "aten::log1p", "aten::logical_and", "aten::logical_not", "aten::logical_or", "aten::logical_xor", "aten::lt",
        "aten::matmul", "aten::maximum", "aten::minimum", "aten::mul", "aten::mul_", "aten::narrow", "aten::ne", "aten::neg", "aten::permute",
        "aten::pow", "aten::prod", "aten::relu", "aten::reshape", "aten::rsqrt", "aten::select", "aten::sigmoid", "aten::silu", "aten::slice",
        "aten::sqrt", "aten::square", "aten::squeeze", "aten::sub", "aten::sub_", "aten::sum", "aten::tanh", "aten::to", "aten::transpose",
        "aten::unsqueeze", "aten::view", "aten::where", "aten::zeros", "trace::linear_add", "trace::linear_relu",
    ];

    [TestMethod]
    public void TheCudaTableImplementsExactlyTheListedOpsAllFromTheOpTable()
    {
        var table = DeviceKernels.For(Device.Cuda(), "aten::add");
        Assert.AreEqual(Device.Cuda(), table.Device);
        CollectionAssert.AreEqual(Expected, CudaKernels.Ops.ToArray());
        foreach (var op in Expected)
        {
            Assert.IsNotNull(Ops.OpTable.Find(op), $"{op} is not in the op table");
            Assert.IsTrue(table.Implements(op), op);
        }
        var missing = Ops.OpTable.All.Select(d => d.Schema.Name).Where(n => !table.Implements(n)).OrderBy(n => n, StringComparer.Ordinal).ToArray();
        Console.WriteLine($"ops without a CUDA kernel yet ({missing.Length}): {string.Join(", ", missing)}");
        CollectionAssert.Contains(missing, "aten::softmax");
        CollectionAssert.Contains(missing, "aten::max");
        CollectionAssert.Contains(missing, "aten::native_layer_norm");
        CollectionAssert.DoesNotContain(DeviceKernels.Registered.ToArray(), table, "the registry test walks only complete tables");
    }

    [TestMethod]
    public void EveryListedOpRunsOnCudaTensorsAndMatchesTheCpu()
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
            ["aten::view"] = (x, _) => x.View(15), ["aten::where"] = (x, y) => Tensor.Where(x.Gt(y), x, y), ["aten::zeros"] = (x, _) => Tensor.Zeros([3], x.DType, x.Device),
        };
        CollectionAssert.AreEquivalent(Expected, runs.Keys.ToArray(), "every listed op has a run here");
        var a = CudaCompare.Values([3, 5], DType.Float32, seed: 13);
        var b = CudaCompare.Values([3, 5], DType.Float32, seed: 14);
        foreach (var (op, f) in runs)
            CudaCompare.Close(f(a, b), f(a.Cuda(), b.Cuda()), 4e-6, 1e-6, op);
    }
}
