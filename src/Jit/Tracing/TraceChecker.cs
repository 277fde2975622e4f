namespace Trace.Jit;

/// <summary>Compares a new trace against eager execution (torch.jit.trace's check_trace).</summary>
internal static class TraceChecker
{
    /// <summary>
    /// Runs eager again and the recorded graph on copies of the inputs, each from the state the trace started in
    /// (<paramref name="mutated"/> holds what the forward writes in place, as it was before), and compares their
    /// outputs and the state they leave; throws <see cref="TracingCheckException"/> with the graph and the first
    /// differing element. On the example inputs a failing value guard is an error too (the function read different
    /// values on a second run); on extra check inputs it only means another branch, which a real call would retrace.
    /// The caller restores the state after the traced call.
    /// </summary>
    public static void Check(TracedModule module, TracedModule.Specialization s, Tensor[] inputs,
        IReadOnlyList<(string Name, Tensor Tensor)> parameters, IReadOnlyList<TensorState> mutated, bool isExample)
    {
        Tensor[] Copy() => inputs.Select(t => { using var _ = Autograd.NoGrad(); return t.Clone().RequiresGrad_(t.RequiresGrad && t.IsFloatingPoint); }).ToArray();
        Tensor[] expected, actual;
        TensorState.RestoreAll(mutated);
        // A function that computes its own gradients needs grad mode to run eagerly.
        using (module.ComputesGradients ? Autograd.EnableGrad() : Autograd.NoGrad())
            expected = module.RunEager(Copy());
        var eagerState = TensorState.Of(mutated.Select(m => m.Target));
        TensorState.RestoreAll(mutated);
        using (Autograd.NoGrad())
        {
            try
            {
                // The recorded forward, interpreted: the passes and compiled code are tested against it elsewhere.
                actual = Interpreter.Run(s.CheckGraph, [.. Copy(), .. parameters.Select(p => p.Tensor), .. s.Lifted]);
            }
            catch (GuardFailedException e)
            {
                if (!isExample) return;
                throw new TracingCheckException($"JIT: trace check failed for {module.Name}: rerunning on the example inputs read different values into .NET ({e.Message}).\nTraced graph:\n{s.Graph}");
            }
        }
        if (actual.Length != expected.Length)
            throw new TracingCheckException($"JIT: trace check failed for {module.Name}: traced graph returns {actual.Length} outputs, eager {expected.Length}.\n{s.Graph}");
        var (rtol, atol) = (module.Options.CheckRtol, module.Options.CheckAtol);
        for (int k = 0; k < expected.Length; k++)
        {
            var (e, a) = (expected[k], actual[k]);
            if (!e.Shape.SequenceEqual(a.Shape) || e.DType != a.DType)
                throw new TracingCheckException($"JIT: trace check failed for {module.Name}: output {k} is {a.DType.TorchName()} {Shapes.Format(a.Shape)} traced vs {e.DType.TorchName()} {Shapes.Format(e.Shape)} eager.\n{s.Graph}");
            var ev = Tracer.ReadValues(e);
            var av = Tracer.ReadValues(a);
            int i = Closeness.FirstMismatch(av, ev, rtol, atol);
            if (i >= 0) throw Differs(module, s, $"output {k}", i, ev[i], av[i]);
        }
        for (int k = 0; k < eagerState.Length; k++)
            if (!eagerState[k].Matches(rtol, atol, out int i, out double e, out double a))
                throw Differs(module, s, $"the state it writes in place (tensor of shape {Shapes.Format(eagerState[k].Target.Shape)})", i, e, a);
    }

    private static TracingCheckException Differs(TracedModule module, TracedModule.Specialization s, string what, int index, double eager, double traced) => new(
        $"JIT: trace check failed for {module.Name}: {what} differs at flat index {index}: eager {eager:G9}, traced {traced:G9}. " +
        $"The function probably depends on something tracing cannot see (.NET state, a non-tensor computation).\nTraced graph:\n{s.RawGraph}");
}

/// <summary>The traced graph does not reproduce eager execution.</summary>
public sealed class TracingCheckException(string message) : Exception(message);
