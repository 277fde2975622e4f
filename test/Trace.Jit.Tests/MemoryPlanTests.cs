using Microsoft.VisualStudio.TestTools.UnitTesting;
using Trace.Testing;

namespace Trace.Jit.Tests;

/// <summary>Buffer reuse across calls: the plan's sharing, escapes, steady-state allocation and isolation of returned outputs.</summary>
[TestClass]
public class MemoryPlanTests
{
    private const string F = IrAssert.F23;

    [TestMethod]
    public void ValuesWhoseLifetimesDoNotOverlapShareABuffer()
    {
        // %1 dies at %2, so %3 can take its buffer; %2 is read by %3 and needs its own; %4 is returned.
        var g = Parser.Parse($"""
            graph(%x : {F}):
              %1 : {F} = aten::exp(%x)
              %2 : {F} = aten::tanh(%1)
              %3 : {F} = aten::neg(%2)
              %4 : {F} = aten::relu(%3)
              return (%4)

            """);
        var plan = MemoryPlan.Build(g)!;
        Assert.AreEqual(3, plan.PlannedValues);
        Assert.AreEqual(2, plan.Slots);
    }

    [TestMethod]
    public void ValuesSeenThroughReturnedViewsAreNotPlanned()
    {
        var g = Parser.Parse($"""
            graph(%x : {F}):
              %1 : {F} = aten::exp(%x)
              %2 : {F} = aten::tanh(%1)
              %3 : int = prim::Constant[value=0]()
              %4 : int = prim::Constant[value=1]()
              %5 : {IrAssert.F32} = aten::transpose(%2, %3, %4)
              return (%5)

            """);
        var plan = MemoryPlan.Build(g)!;
        Assert.AreEqual(1, plan.PlannedValues, "only exp: tanh is returned through its transpose");
    }

    private static Tensor Chain(Tensor x, Tensor w) => x.Softmax(-1).Matmul(w).LayerNorm([w.Size(1)]).Exp().Matmul(w.T).Sum(1);

    [TestMethod]
    public void SteadyStateCallsAllocateOnlyTheirOutputs()
    {
        var g = new Generator(1);
        var w = Tensor.Randn([256, 256], generator: g);
        var x = Tensor.Randn([256, 256], generator: g);
        var traced = Jit.Trace(v => Chain(v[0], w), [x]);
        for (int i = 0; i < 3; i++) traced.Call(x);
        long before = GC.GetAllocatedBytesForCurrentThread();
        var y = traced.Call(x)[0];
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        // Intermediates are 256 KB each (five of them); the output is 1 KB plus bookkeeping.
        Assert.IsTrue(allocated < 128 * 1024, $"a steady-state call allocated {allocated} bytes");
        TraceAssert.AllClose(Chain(x, w), y, rtol: 1e-5, atol: 1e-5, what: "planned result");
    }

    [TestMethod]
    public void ReturnedOutputsAreNeverOverwrittenByLaterCalls()
    {
        var g = new Generator(2);
        var w = Tensor.Randn([64, 64], generator: g);
        var traced = Jit.Trace(v => new[] { Chain(v[0], w), v[0].Softmax(0).Mul(2.0) }, new[] { Tensor.Randn([64, 64], generator: g) });
        var kept = new List<(Tensor[] Outputs, Tensor[] Copies)>();
        for (int i = 0; i < 4; i++)
        {
            var outs = traced.Call(Tensor.Randn([64, 64], generator: g));
            kept.Add((outs, outs.Select(o => o.Clone()).ToArray()));
        }
        foreach (var (outs, copies) in kept)
            for (int k = 0; k < outs.Length; k++) TraceAssert.AllClose(copies[k], outs[k], rtol: 0, atol: 0, what: $"output {k} of an earlier call");
    }

    [TestMethod]
    public void ConcurrentCallsStayCorrect()
    {
        var g = new Generator(3);
        var w = Tensor.Randn([64, 64], generator: g);
        var inputs = Enumerable.Range(0, 16).Select(_ => Tensor.Randn([64, 64], generator: g)).ToArray();
        var traced = Jit.Trace(v => Chain(v[0], w), [inputs[0]]);
        var results = new Tensor[inputs.Length];
        Parallel.For(0, inputs.Length, new ParallelOptions { MaxDegreeOfParallelism = 4 }, i =>
        {
            for (int rep = 0; rep < 5; rep++) results[i] = traced.Call(inputs[i])[0];
        });
        for (int i = 0; i < inputs.Length; i++) TraceAssert.AllClose(Chain(inputs[i], w), results[i], rtol: 1e-5, atol: 1e-5, what: $"call {i}");
    }

    [TestMethod]
    public void ACallersOutputBufferIsWrittenWhenItFitsAndLeftAloneOtherwise()
    {
        var x = Tensor.Randn([4, 8], generator: new Generator(5));
        var w = Tensor.Randn([8, 8], generator: new Generator(6));
        var program = CpuBackend.Instance.Compile(Jit.Trace(v => v[0].Matmul(w).Tanh().Add(1.0), [x]).Graph);
        var expected = x.Matmul(w).Tanh().Add(1.0);
        var fits = Tensor.Zeros([4, 8]);
        var output = program.Run([x], [fits])[0];
        Assert.AreSame(fits, output, "a contiguous buffer of the output's type is written and returned");
        TraceAssert.AllClose(expected, fits, rtol: 1e-6, atol: 1e-6, what: "written buffer");
        foreach (var misfit in new[] { Tensor.Zeros([4, 8], DType.Float64), Tensor.Zeros([8, 4]).T, Tensor.Zeros([40]).Narrow(0, 8, 32).View(4, 8), Tensor.Zeros([32]) })
        {
            var result = program.Run([x], [misfit])[0];
            Assert.AreNotSame(misfit, result);
            TraceAssert.AllClose(expected, result, rtol: 1e-6, atol: 1e-6, what: "result beside a misfit buffer");
            Assert.IsTrue(misfit.To(DType.Float64).ToArray<double>().All(v => v == 0), $"a buffer of {misfit.DType.TorchName()} {Shapes.Format(misfit.Shape)} (offset {misfit.StorageOffset}) was written");
        }
    }

    [TestMethod]
    public void PlannedBuffersOutliveTheDisposeScopeOfTheCallThatMadeThem()
    {
        var g = new Generator(8);
        var w = Tensor.Randn([32, 32], generator: g);
        var x = Tensor.Randn([32, 32], generator: g);
        var traced = Jit.Trace(v => Chain(v[0], w), [x]);
        using (Tensor.NewDisposeScope()) traced.Call(x);   // the first planned call allocates the buffers inside a scope
        for (int i = 0; i < 2; i++)
            using (Tensor.NewDisposeScope())
                TraceAssert.AllClose(Chain(x, w), traced.Call(x)[0], rtol: 1e-5, atol: 1e-5, what: $"call {i} after the scope closed");
    }

    [TestMethod]
    public void APlannedGraphRunInsideAnotherTraceIsRecordedAsItsOps()
    {
        var g = new Generator(9);
        var w = Tensor.Randn([16, 16], generator: g);
        var x = Tensor.Randn([16, 16], generator: g);
        var inner = Jit.Trace(v => Chain(v[0], w), [x]);
        inner.Call(x);
        var outer = Jit.Trace(v => inner.Call(v[0].Mul(2.0))[0].Add(1.0), [x]);
        var y = Tensor.Randn([16, 16], generator: g);
        TraceAssert.AllClose(Chain(y.Mul(2.0), w).Add(1.0), outer.Call(y)[0], rtol: 1e-5, atol: 1e-5, what: "outer trace on new inputs");
    }
}
