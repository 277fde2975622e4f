namespace Trace.Jit;

/// <summary>Compares a new trace against eager execution (torch.jit.trace's check_trace).</summary>
internal static class TraceChecker
{
    /// <summary>
    /// Runs eager again and the traced graph on copies of the inputs and compares outputs; throws
    /// <see cref="TracingCheckException"/> with the graph and the first differing element. On the example
    /// inputs a failing value guard is an error too (the function read different values on a second run);
    /// on extra check inputs it only means another branch, which a real call would retrace.
    /// </summary>
    public static void Check(TracedModule module, TracedModule.Specialization s, Tensor[] inputs,
        IReadOnlyList<(string Name, Tensor Tensor)> parameters, bool isExample)
    {
        Tensor[] Copy() => inputs.Select(t => { using var _ = Autograd.NoGrad(); return t.Clone().RequiresGrad_(t.RequiresGrad && t.IsFloatingPoint); }).ToArray();
        Tensor[] expected, actual;
        // A function that computes its own gradients needs grad mode to run eagerly.
        using (module.ComputesGradients ? Autograd.EnableGrad() : Autograd.NoGrad())
            expected = module.RunEager(Copy());
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
        for (int k = 0; k < expected.Length; k++)
        {
            var (e, a) = (expected[k], actual[k]);
            if (!e.Shape.SequenceEqual(a.Shape) || e.DType != a.DType)
                throw new TracingCheckException($"JIT: trace check failed for {module.Name}: output {k} is {a.DType.TorchName()} {Shapes.Format(a.Shape)} traced vs {e.DType.TorchName()} {Shapes.Format(e.Shape)} eager.\n{s.Graph}");
            var ev = Tracer.ReadValues(e);
            var av = Tracer.ReadValues(a);
            for (int i = 0; i < ev.Length; i++)
            {
                bool ok = double.IsNaN(ev[i]) ? double.IsNaN(av[i]) : Math.Abs(av[i] - ev[i]) <= module.Options.CheckAtol + module.Options.CheckRtol * Math.Abs(ev[i]);
                if (!ok)
                    throw new TracingCheckException(
                        $"JIT: trace check failed for {module.Name}: output {k} differs at flat index {i}: eager {ev[i]:G9}, traced {av[i]:G9}. " +
                        $"The function probably depends on something tracing cannot see (.NET state, a non-tensor computation).\nTraced graph:\n{s.RawGraph}");
            }
        }
    }
}

/// <summary>The traced graph does not reproduce eager execution.</summary>
public sealed class TracingCheckException(string message) : Exception(message);
