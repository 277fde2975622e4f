using System.Text;
using Trace.Jit;
using Trace.Nn;

namespace Trace.Testing;

/// <summary>A failed <see cref="TraceAssert"/> check, with a readable diff.</summary>
public sealed class TraceAssertException(string message) : Exception(message);

/// <summary>
/// Assertions for users' own tests (any test framework): a model's traced outputs and gradients match
/// eager execution, closeness with a readable diff, and gradient checks.
/// </summary>
public static class TraceAssert
{
    /// <summary>
    /// Traces <paramref name="model"/> on <paramref name="example"/>, then for each of <paramref name="inputs"/>
    /// (the example if none) compares traced and eager outputs and, when <paramref name="checkGradients"/>,
    /// the gradients of every parameter and floating input under a fixed random output weighting.
    /// </summary>
    public static TracedModule TracedMatchesEager(Module model, Tensor example, IEnumerable<Tensor>? inputs = null,
        double rtol = 1e-5, double atol = 1e-6, bool checkGradients = true)
    {
        var traced = Jit.Jit.Trace(model, example);
        foreach (var x in inputs ?? [example])
            Compare(x1 => [model.Forward(x1[0])], traced.Call, [x], model.Parameters().ToArray(), rtol, atol, checkGradients, model.GetType().Name);
        return traced;
    }

    /// <summary>As <see cref="TracedMatchesEager(Module, Tensor, IEnumerable{Tensor}?, double, double, bool)"/> for a function of several tensors.</summary>
    public static TracedModule TracedMatchesEager(Func<Tensor[], Tensor> function, Tensor[] example, IEnumerable<Tensor[]>? inputs = null,
        double rtol = 1e-5, double atol = 1e-6, bool checkGradients = true, IReadOnlyList<Tensor>? parameters = null)
    {
        var traced = Jit.Jit.Trace(function, example);
        foreach (var x in inputs ?? [example])
            Compare(x1 => [function(x1)], traced.Call, x, parameters ?? [], rtol, atol, checkGradients, "function");
        return traced;
    }

    private static void Compare(Func<Tensor[], Tensor[]> eager, Func<Tensor[], Tensor[]> traced, Tensor[] inputs, IReadOnlyList<Tensor> parameters,
        double rtol, double atol, bool checkGradients, string what)
    {
        var (eagerOut, eagerGrads) = RunWithGrads(eager, inputs, parameters, checkGradients);
        var (tracedOut, tracedGrads) = RunWithGrads(traced, inputs, parameters, checkGradients);
        if (eagerOut.Length != tracedOut.Length)
            throw new TraceAssertException($"{what}: traced returned {tracedOut.Length} outputs, eager {eagerOut.Length}.");
        for (int i = 0; i < eagerOut.Length; i++) AllClose(eagerOut[i], tracedOut[i], rtol, atol, $"{what} output {i}");
        for (int i = 0; i < eagerGrads.Count; i++)
        {
            if (eagerGrads[i].Grad is null && tracedGrads[i].Grad is null) continue;
            if (eagerGrads[i].Grad is null || tracedGrads[i].Grad is null)
                throw new TraceAssertException($"{what}: gradient of {eagerGrads[i].Name} is {(eagerGrads[i].Grad is null ? "missing eagerly" : "missing when traced")}.");
            AllClose(eagerGrads[i].Grad!, tracedGrads[i].Grad!, rtol, atol, $"{what} gradient of {eagerGrads[i].Name}");
        }
    }

    private static (Tensor[] Outputs, List<(string Name, Tensor? Grad)> Grads) RunWithGrads(Func<Tensor[], Tensor[]> f, Tensor[] inputs,
        IReadOnlyList<Tensor> parameters, bool withGrads)
    {
        var xs = inputs.Select(t =>
        {
            using var _ = Autograd.NoGrad();
            var c = t.Clone();
            return t.IsFloatingPoint && withGrads ? c.RequiresGrad_() : c;
        }).ToArray();
        var saved = parameters.Select(p => p.Grad).ToArray();
        foreach (var p in parameters) p.Grad = null;
        var outs = f(xs);
        var grads = new List<(string, Tensor?)>();
        if (withGrads)
        {
            // A fixed pseudo-random weighting of the outputs, so that every output element matters.
            Tensor? loss = null;
            var gen = new Generator(12345);
            foreach (var o in outs.Where(o => o.RequiresGrad))
            {
                var w = Tensor.Randn(o.Shape.ToArray(), o.DType, gen);
                var term = o.Mul(w).Sum();
                loss = loss is null ? term : loss.Add(term);
            }
            loss?.Backward();
            for (int i = 0; i < xs.Length; i++) grads.Add(($"input {i}", xs[i].Grad));
            for (int i = 0; i < parameters.Count; i++) grads.Add(($"parameter {i}", parameters[i].Grad));
        }
        for (int i = 0; i < parameters.Count; i++) parameters[i].Grad = saved[i];
        return (outs.Select(o => o.Detach()).ToArray(), grads);
    }

    /// <summary>Asserts equal shapes and dtypes and |a - e| ≤ atol + rtol·|e| elementwise (NaN matches NaN), listing the worst elements.</summary>
    public static void AllClose(Tensor expected, Tensor actual, double rtol = 1e-5, double atol = 1e-6, string what = "tensor")
    {
        if (!expected.Shape.SequenceEqual(actual.Shape) || expected.DType != actual.DType)
            throw new TraceAssertException($"{what}: expected {expected.DType.TorchName()} {Shapes.Format(expected.Shape)}, got {actual.DType.TorchName()} {Shapes.Format(actual.Shape)}.");
        double[] e, a;
        using (Autograd.NoGrad())
        {
            e = expected.Detach().To(DType.Float64).ToArray<double>();
            a = actual.Detach().To(DType.Float64).ToArray<double>();
        }
        var bad = new List<int>();
        for (int i = 0; i < e.Length; i++)
        {
            if (!Closeness.IsClose(a[i], e[i], rtol, atol)) bad.Add(i);
        }
        if (bad.Count == 0) return;
        var sb = new StringBuilder($"{what}: {bad.Count} of {e.Length} elements differ (rtol={rtol}, atol={atol}); worst:");
        foreach (int i in bad.OrderByDescending(i => Math.Abs(a[i] - e[i])).Take(5))
            sb.Append($"\n  flat index {i}: expected {e[i]:G9}, got {a[i]:G9} (diff {Math.Abs(a[i] - e[i]):G3})");
        throw new TraceAssertException(sb.ToString());
    }

    /// <summary>Finite-difference gradient check (<see cref="Autograd.GradCheck"/>) raising <see cref="TraceAssertException"/>.</summary>
    public static void GradCheck(Func<Tensor[], Tensor> f, params Tensor[] inputs)
    {
        try
        {
            Autograd.GradCheck(f, inputs);
        }
        catch (GradCheckException e)
        {
            throw new TraceAssertException(e.Message);
        }
    }
}
