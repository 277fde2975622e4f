namespace Trace.Jit;

/// <summary>
/// Which backend compiles a traced graph: the one the options name, else the one of the device its tensors live on —
/// <see cref="CpuBackend"/> for CPU tensors, <see cref="CudaBackend"/> for CUDA tensors (0-dim CPU scalars may join
/// either, as in eager ops). A graph whose tensors live on two accelerators is refused by name.
/// </summary>
internal static class BackendSelection
{
    /// <summary>The backend for <paramref name="graph"/> (a raw trace: its inputs are the call's tensors) under <paramref name="options"/>.</summary>
    /// <exception cref="NotSupportedException">The graph's tensors are on two non-CPU devices, or on a device no backend compiles for.</exception>
    public static IBackend For(TraceOptions options, Graph graph, string name)
    {
        if (options.Backend is { } chosen) return chosen;
        var devices = Accelerators(graph);
        if (devices.Count == 0) return CpuBackend.Instance;
        if (devices.Count > 1)
            throw new NotSupportedException($"Jit.Trace ({name}): the traced tensors are on {string.Join(" and ", devices)}; a traced graph runs on one device — move the model and its inputs to one.");
        return devices[0].Type == DeviceType.Cuda ? CudaBackend.Instance
            : throw new NotSupportedException($"Jit.Trace ({name}): no backend compiles graphs for {devices[0]}.");
    }

    /// <summary>
    /// Fails, naming the backend and the input, when a graph's input lives on a device the backend does not run
    /// (<paramref name="accepts"/>); inputs of one element on the CPU are allowed everywhere (wrapped scalars).
    /// </summary>
    public static void Require(IBackend backend, Graph graph, Func<Device, bool> accepts)
    {
        foreach (var v in graph.Inputs)
            if (v.TensorType is { } t && !accepts(t.Device) && !(t.Device.Type == DeviceType.Cpu && t.Shape.All(d => d == 1)))
                throw new NotSupportedException($"JIT: the {backend.Name} backend cannot run this graph: input %{v.Name} is on {t.Device}. " +
                    "Leave TraceOptions.Backend unset to pick the backend of the tensors' device.");
    }

    /// <summary>The distinct non-CPU devices of the graph's tensor inputs.</summary>
    private static List<Device> Accelerators(Graph graph) =>
        [.. graph.Inputs.Select(v => v.TensorType?.Device).OfType<Device>().Where(d => d.Type != DeviceType.Cpu).Distinct()];
}
