using Microsoft.VisualStudio.TestTools.UnitTesting;
using Trace.Ops;

namespace Trace.Jit.Tests;

/// <summary>
/// Walks the op table: every op is well formed, differentiable ops pass gradcheck on their case, and every
/// op marked fusible compiles into a fused loop in float32 and float64 that agrees with the eager op.
/// </summary>
[TestClass]
public class OpTableTests
{
    public static IEnumerable<object[]> AllOps() => OpTable.All.Select(d => new object[] { d.Name });

    public static IEnumerable<object[]> FusibleOps() => OpTable.All.Where(d => d.Has(OpTraits.Fusible)).Select(d => new object[] { d.Name });

    [TestMethod]
    public void EveryRegisteredDeviceImplementsEveryOp()
    {
        foreach (var device in DeviceKernels.Registered)
        {
            var missing = OpTable.All.Where(d => !device.Implements(d.Name)).Select(d => d.Name).ToList();
            Assert.AreEqual(0, missing.Count, $"{device.Device} has no kernel for: {string.Join(", ", missing)}");
        }
    }

    [TestMethod]
    public void TraitsAreConsistent()
    {
        foreach (var d in OpTable.All)
        {
            Assert.IsFalse(d.Has(OpTraits.FreshOutput) && (d.Has(OpTraits.View) || d.Has(OpTraits.InPlace)), $"{d}: a fresh output cannot alias an input");
            Assert.IsFalse(d.Has(OpTraits.Fusible) && !d.Has(OpTraits.Elementwise), $"{d}: only elementwise ops fuse");
            Assert.IsFalse(d.Has(OpTraits.Cheap) && !d.Has(OpTraits.Elementwise), $"{d}: only elementwise ops are recomputed");
            Assert.IsFalse(d.Has(OpTraits.Random) && !d.Has(OpTraits.Factory) && !d.Has(OpTraits.NonDifferentiable), $"{d}: random ops are factories or draw without gradients (multinomial)");
            Assert.IsTrue(d.Kernel is null || d.Has(OpTraits.Fusible), $"{d}: a kernel struct is a fused lowering");
            Assert.IsTrue(d.Schema.MinInputs >= 1 && d.Schema.Outputs >= 1, $"{d}");
            Assert.IsTrue(d.Has(OpTraits.InPlace) == d.Name.EndsWith('_'), $"{d}: in-place ops are named with a trailing underscore");
        }
    }

    public static IEnumerable<object[]> DifferentiableOps() => OpTable.All.Where(d => !d.Has(OpTraits.NonDifferentiable)).Select(d => new object[] { d.Name });

    [TestMethod]
    public void EveryDifferentiableOpHasACase()
    {
        var missing = OpTable.All.Where(d => !d.Has(OpTraits.NonDifferentiable) && !OpCases.Cases.ContainsKey(d.Name)).Select(d => d.Name).ToList();
        Assert.AreEqual(0, missing.Count, "ops with neither a case (OpCases) nor the NonDifferentiable trait: " + string.Join(", ", missing));
        var stale = OpCases.Cases.Keys.Where(k => OpTable.Find(k) is null).ToList();
        Assert.AreEqual(0, stale.Count, "cases for ops the table does not have: " + string.Join(", ", stale));
    }

    /// <summary>Each differentiable op's backward rule against finite differences, on its conformance case (float64).</summary>
    [TestMethod]
    [DynamicData(nameof(DifferentiableOps))]
    public void GradcheckOfEachDifferentiableOp(string name)
    {
        var c = OpCases.Cases[name];
        var inputs = c.Inputs(new Generator((ulong)name.Length * 131)).Select(t => t.RequiresGrad_()).ToArray();
        // aten::to's case round-trips through float32: finite differences need a step far above float32's rounding.
        Assert.IsTrue(Autograd.GradCheck(c.F, inputs, eps: name == "aten::to" ? 1e-3 : 1e-6), name);
    }

    [TestMethod]
    [DynamicData(nameof(FusibleOps))]
    public void FusibleOpsCompileAndMatchEager(string name)
    {
        var def = OpTable.Get(name);
        foreach (var dtype in new[] { DType.Float32, DType.Float64 })
        {
            var (text, inputs) = OneNodeGroup(def, dtype);
            var body = Parser.Parse(text);
            var kernel = FusedKernel.TryCompile(body, out var reason);
            Assert.IsNotNull(kernel, $"{name} ({dtype.TorchName()}) did not compile: {reason}\n{text}");
            var fused = kernel.Run(inputs, null);
            var eager = Interpreter.Run(body, inputs)[0];
            if (eager.DType == DType.Bool) eager = eager.To(dtype);
            Assert.IsTrue(fused.AllClose(eager, rtol: 0, atol: 0), $"{name} ({dtype.TorchName()}): fused {fused} != eager {eager}");
        }
    }

    [TestMethod]
    public void SchemasParseAndPrintBack()
    {
        foreach (var d in OpTable.All)
            Assert.AreEqual(d.Schema.ToString(), OpSchema.Parse(d.Schema.ToString()).ToString(), d.Name);
        var cat = OpTable.Get("aten::cat").Schema;
        Assert.AreEqual(ArgKind.TensorList, cat.ArgAt(2, 4).Kind);
        Assert.AreEqual("dim", cat.ArgAt(3, 4).Name);
        Assert.IsTrue(OpTable.Get("aten::linear").Schema.AllowsInputs(2) && !OpTable.Get("aten::linear").Schema.AllowsInputs(4));
        Assert.ThrowsExactly<FormatException>(() => OpSchema.Parse("aten::bad(Tensor self, widget w) -> Tensor"));
        Assert.ThrowsExactly<FormatException>(() => OpSchema.Parse("aten::bad(Tensor self, int a=None, int b) -> Tensor"));
        Assert.ThrowsExactly<FormatException>(() => OpSchema.Parse("aten::bad Tensor self"));
    }

    [TestMethod]
    public void TheVerifierChecksArgumentKindsAgainstTheSchema()
    {
        const string t = "Float(3, strides=[1], requires_grad=0, device=cpu)";
        var ok = Parser.Parse($"graph(%x : {t}):\n  %d : int[] = prim::Constant[value=[0]]()\n  %k : bool = prim::Constant[value=0]()\n  %s : Float(requires_grad=0, device=cpu) = aten::sum(%x, %d, %k)\n  return (%s)\n");
        GraphVerifier.Lint(ok);
        var swapped = Parser.Parse($"graph(%x : {t}):\n  %d : int[] = prim::Constant[value=[0]]()\n  %k : bool = prim::Constant[value=0]()\n  %s : Float(requires_grad=0, device=cpu) = aten::sum(%x, %k, %d)\n  return (%s)\n");
        var e = Assert.ThrowsExactly<InvalidOperationException>(() => GraphVerifier.Lint(swapped));
        StringAssert.Contains(e.Message, "argument 1 is %k of type bool, but aten::sum expects int[] dim");
    }

    [TestMethod]
    public void OpsAddedThroughTheTableAloneTraceFuseAndMatchEager()
    {
        var x = Tensor.Rand([3, 1000], generator: new Generator(12)).Sub(0.3);
        var traced = Jit.Trace((Tensor t) => t.Silu().Log1p().Mul(2.0).Add(t), x);
        var group = traced.Graph.Nodes.SingleOrDefault(n => n.Kind == "prim::FusionGroup");
        Assert.IsNotNull(group, traced.Graph.ToString());
        CollectionAssert.IsSubsetOf(new[] { "aten::silu", "aten::log1p" }, group.Subgraph!.Nodes.Select(n => n.Kind).ToList(), traced.Graph.ToString());
        var fresh = Tensor.Randn([3, 1000], generator: new Generator(13)).Abs();
        CollectionAssert.AreEqual(fresh.Silu().Log1p().Mul(2.0).Add(fresh).ToArray<float>(), traced.Call(fresh)[0].ToArray<float>());
    }

    /// <summary>
    /// A body of one node of <paramref name="def"/> over 37 elements (a vector body and a scalar tail): tensor arguments
    /// become inputs (bool where the op reads a mask or a condition), others constants. Comparisons return a bool, which
    /// so that the group still returns a floating tensor.
    /// </summary>
    private static (string Text, Tensor[] Inputs) OneNodeGroup(OpDef def, DType dtype)
    {
        var t = dtype == DType.Float32 ? "Float(37, strides=[1], requires_grad=0, device=cpu)" : "Double(37, strides=[1], requires_grad=0, device=cpu)";
        const string mask = "Bool(37, strides=[1], requires_grad=0, device=cpu)";
        var g = new Generator(3);
        var inputs = new List<Tensor>();
        var parameters = new List<string>();
        var lines = new List<string>();
        var args = new List<string>();
        bool logical = def.Name.StartsWith("aten::logical_", StringComparison.Ordinal);
        for (int i = 0; i < def.Schema.Args.Count; i++)
        {
            var a = def.Schema.Args[i];
            if (a.Kind == ArgKind.Tensor)
            {
                bool isMask = logical || a.Name is "mask" or "condition";
                var x = isMask ? Tensor.Rand([37], generator: g).Gt(0.5) : Tensor.Randn([37], dtype, g).Mul(2.0);
                if (def.Name is "aten::log" or "aten::sqrt" or "aten::rsqrt" or "aten::log1p") x = x.Abs().Add(0.1);
                inputs.Add(x);
                parameters.Add($"%{a.Name} : {(isMask ? mask : t)}");
                args.Add("%" + a.Name);
                continue;
            }
            string value = a.Kind switch
            {
                ArgKind.Str => "\"tanh\"",
                ArgKind.Float => i == 1 ? "-0.5" : "0.75",
                _ => throw new AssertFailedException($"{def}: no constant for argument {a}"),
            };
            lines.Add($"  %c{i} : {(a.Kind == ArgKind.Str ? "str" : "float")} = prim::Constant[value={value}]()");
            args.Add($"%c{i}");
        }
        bool boolOut = def.Has(OpTraits.NonDifferentiable);
        lines.Add($"  %r : {(boolOut ? mask : t)} = {def.Name}({string.Join(", ", args)})");
        if (boolOut)
        {
            inputs.Add(Tensor.Randn([37], dtype, g));
            parameters.Add($"%fill : {t}");
            lines.Add("  %one : float = prim::Constant[value=1.]()");
            lines.Add($"  %o : {t} = aten::where(%r, %one, %fill)");
        }
        var text = $"graph({string.Join(", ", parameters)}):\n{string.Join("\n", lines)}\n  return (%{(boolOut ? "o" : "r")})\n";
        return (text, [.. inputs]);
    }
}
