using Microsoft.VisualStudio.TestTools.UnitTesting;
using Trace.Ops;
using Trace.Testing;

namespace Trace.Jit.Tests;

/// <summary>
/// The ops' out= forms (<see cref="OpDef.EvalOut"/>), through which compiled graphs hand planned buffers and callers'
/// gradient tensors to ops: each writes exactly what its functional form returns, into the given buffer; bad buffers and
/// autograd are clear errors.
/// </summary>
[TestClass]
public class OutFormTests
{
    public static IEnumerable<object[]> OpsWithOutForms => OpTable.All.Where(d => d.EvalOut is not null).Select(d => new object[] { d.Name }).OrderBy(a => (string)a[0]);

    /// <summary>
    /// Every fresh-output op that a traced model runs most (GEMMs, fused elementwise math, softmax, layer norm, sum) has an out=
    /// form; without one a compiled graph allocates that op's output at every call. The ops listed here have none, on purpose.
    /// </summary>
    [TestMethod]
    public void CommonFreshOutputOpsHaveOutForms()
    {
        string[] without = ["aten::clamp", "aten::masked_fill", "aten::logical_not", "aten::prod", "aten::amax", "aten::amin", "aten::max", "aten::min",
            "aten::var", "aten::std", "aten::gather", "aten::gather_backward", "aten::index_select", "aten::index_select_backward",
            "aten::zeros", "aten::full", "aten::arange", "aten::cumsum", "aten::sort", "aten::topk", "aten::multinomial",
            "aten::linalg_vector_norm", "aten::scatter", "aten::scatter_add", "aten::index_add", "aten::masked_select", "aten::masked_scatter",
            "aten::im2col", "aten::col2im", "aten::conv_transpose2d", "aten::max_pool2d_with_indices_backward", "aten::avg_pool2d", "aten::avg_pool2d_backward",
            "aten::batch_norm", "aten::adaptive_avg_pool2d", "aten::_adaptive_avg_pool2d_backward"];
        var missing = OpTable.All.Where(d => d.Has(OpTraits.FreshOutput) && d.EvalOut is null && !without.Contains(d.Name)).Select(d => d.Name).ToList();
        Assert.AreEqual(0, missing.Count, "fresh-output ops without an out= form: " + string.Join(", ", missing));
        var stale = without.Where(n => OpTable.Find(n)?.EvalOut is not null).ToList();
        Assert.AreEqual(0, stale.Count, "listed as without an out= form but have one: " + string.Join(", ", stale));
    }

    /// <summary>Each node of the op in its conformance case, run by its out= form into a fresh buffer, equals the functional form bit for bit (float32 and float64).</summary>
    [TestMethod]
    [DynamicData(nameof(OpsWithOutForms))]
    public void OutFormWritesWhatTheFunctionalFormReturns(string name)
    {
        var def = OpTable.Get(name);
        var c = OpCases.Cases[name];
        foreach (var dtype in new[] { DType.Float64, DType.Float32 })
        {
            var inputs = c.Inputs(new Generator(7)).Select(t => t.DType == DType.Float64 ? t.To(dtype) : t).ToArray();
            Graph graph;
            using (Autograd.NoGrad()) graph = Jit.Trace(c.F, inputs).RawGraph;
            int checkedNodes = 0;
            var calls = NodeArguments(graph, inputs).Where(c => c.Node.Kind == name).Select(c => c.Args);
            if (BackwardOnly.TryGetValue(name, out var explicitArgs)) calls = explicitArgs(dtype);
            foreach (var args in calls)
            {
                using var _ = Autograd.NoGrad();
                var functional = def.Eval(new OpArgs(name, args));
                var buffer = Tensor.Empty([.. functional[0].Shape], functional[0].DType);
                var written = def.EvalOut!(new OpArgs(name, args), buffer);
                Assert.AreSame(buffer.Storage, written[0].Storage, $"{name}: the out= form did not write into the buffer");
                Assert.AreEqual(functional.Length, written.Length);
                for (int k = 0; k < functional.Length; k++)
                    TraceAssert.AllClose(functional[k], written[k], rtol: 0, atol: 0, what: $"{name} ({dtype.TorchName()}) output {k}");
                checkedNodes++;
            }
            Assert.IsTrue(checkedNodes > 0, $"the case of {name} records no {name} node:\n{graph}");
        }
    }

    /// <summary>Arguments of ops that only a backward rule records (their cases' forward graphs hold none).</summary>
    private static readonly Dictionary<string, Func<DType, IEnumerable<object?[]>>> BackwardOnly = new()
    {
        // A slice's gradient scattered into zeros: a contiguous run along dim 1, and every other row along dim 0.
        ["aten::slice_backward"] = dt => new[]
        {
            new object?[] { R(3, 2).To(dt), new long[] { 3, 5 }, 1L, 1L, 1L },
            new object?[] { R(2, 4).To(dt), new long[] { 5, 4 }, 0L, 1L, 2L },
        },
        ["aten::gelu_backward"] = dt => new[] { "tanh", "none" }.Select(a => new object?[] { R(3, 4).To(dt), Tensor.Randn([3, 4], generator: new Generator(4)).To(dt), a }),
        ["trace::lstm_cell_backward"] = dt =>
        {
            var (gates, cx) = (R(3, 8).To(dt), R(3, 2).To(dt).Mul(0.5));
            var (_, cy, workspace) = Tensor.LstmCell(gates, gates.Neg(), cx);
            var (_, cy0, workspace0) = Tensor.LstmCell(gates, null, null);
            return [[R(3, 2).To(dt), R(3, 2).To(dt).Neg(), cx, cy, workspace], [null, R(3, 2).To(dt), null, cy0, workspace0]];
        },
    };

    /// <summary>Every node of <paramref name="graph"/> with the values of its inputs, evaluated through the op table's functional forms.</summary>
    private static IEnumerable<(Node Node, object?[] Args)> NodeArguments(Graph graph, Tensor[] inputs)
    {
        var env = new Dictionary<Value, object?>();
        for (int i = 0; i < inputs.Length; i++) env[graph.Inputs[i]] = inputs[i];
        foreach (var n in graph.Nodes)
        {
            var args = n.Inputs.Select(v => env[v]).ToArray();
            yield return (n, args);
            object?[] outputs = n.Kind switch
            {
                "prim::Constant" => [n.Attribute is TensorRef ? graph.ConstantTensor(n) : n.Attribute],
                "prim::ListConstruct" => [args.Select(a => (long)a!).ToArray()],
                _ => Eval(n, args),
            };
            for (int k = 0; k < n.Outputs.Count; k++) env[n.Outputs[k]] = outputs[k];
        }
    }

    private static object?[] Eval(Node n, object?[] args)
    {
        using var _ = Autograd.NoGrad();
        return [.. OpTable.Get(n.Kind).Eval(new OpArgs(n.Kind, args))];
    }

    private static Tensor R(params int[] shape) => Tensor.Randn(shape, generator: new Generator(3));

    [TestMethod]
    public void ABufferOfAnotherShapeDTypeOrLayoutIsAnErrorNamingTheOp()
    {
        var (x, w) = (R(4, 3), R(5, 3));
        var exp = OpTable.Get("aten::exp").EvalOneOut!;
        var e = Assert.ThrowsExactly<ArgumentException>(() => exp(new OpArgs("aten::exp", [x]), Tensor.Empty([3, 4])));
        StringAssert.Contains(e.Message, "aten::exp: the out= tensor (torch.float32 (3, 4) on cpu) must be a contiguous torch.float32 tensor of shape (4, 3)");
        var linear = OpTable.Get("aten::linear").EvalOneOut!;
        e = Assert.ThrowsExactly<ArgumentException>(() => linear(new OpArgs("aten::linear", [x, w, null]), Tensor.Empty([4, 5], DType.Float64)));
        StringAssert.Contains(e.Message, "aten::linear: the out= tensor (torch.float64 (4, 5) on cpu)");
        var transposed = Tensor.Empty([5, 4]).T;
        e = Assert.ThrowsExactly<ArgumentException>(() => linear(new OpArgs("aten::linear", [x, w, null]), transposed));
        StringAssert.Contains(e.Message, "not contiguous");
        var softmax = OpTable.Get("aten::softmax").EvalOneOut!;
        e = Assert.ThrowsExactly<ArgumentException>(() => softmax(new OpArgs("aten::softmax", [x, 1L]), Tensor.Empty([4, 3], DType.Int64)));
        StringAssert.Contains(e.Message, "aten::softmax");
    }

    [TestMethod]
    public void ABufferThatSharesMemoryWithAnInputIsAnError()
    {
        var x = R(4, 4);
        var matmul = OpTable.Get("aten::matmul").EvalOneOut!;
        var e = Assert.ThrowsExactly<ArgumentException>(() => matmul(new OpArgs("aten::matmul", [x, x]), x));
        StringAssert.Contains(e.Message, "aten::matmul: the out= tensor of shape (4, 4) shares memory with an input");
        var add = OpTable.Get("aten::add").EvalOneOut!;
        e = Assert.ThrowsExactly<ArgumentException>(() => add(new OpArgs("aten::add", [x, 1.0]), x));
        StringAssert.Contains(e.Message, "shares memory");
    }

    [TestMethod]
    public void OutFormsRefuseInputsThatRequireGradWhileAutogradRecords()
    {
        var x = R(3).RequiresGrad_();
        var exp = OpTable.Get("aten::exp").EvalOneOut!;
        var e = Assert.ThrowsExactly<InvalidOperationException>(() => exp(new OpArgs("aten::exp", [x]), Tensor.Empty([3])));
        StringAssert.Contains(e.Message, "aten::exp(): functions with out=... arguments don't support automatic differentiation");
        using (Autograd.NoGrad())
        {
            var buffer = Tensor.Empty([3]);
            Assert.AreSame(buffer, exp(new OpArgs("aten::exp", [x]), buffer));
            TraceAssert.AllClose(x.Exp(), buffer, rtol: 0, atol: 0, what: "exp under NoGrad");
        }
    }
}
