using System.Collections.Concurrent;
using System.Runtime.CompilerServices;
using Trace.Kernels.Gpu;

namespace Trace.Jit;

/// <summary>
/// The compiled CUDA backend, chosen for graphs whose tensors are on a CUDA device: graphs run as a <see cref="GraphProgram"/>
/// with a <see cref="MemoryPlan"/> on the device (planned buffers are device storage, reused across calls); ops outside
/// fusion groups run their CUDA kernels (GEMMs with bias, relu, GELU and residual epilogues folded in by
/// <see cref="LinearEpilogues"/>), and each fusion group runs as one generated ILGPU kernel (<see cref="CudaFusedKernel"/>;
/// groups with row reductions inside — softmax with its prologue, the softmax and layer-norm backwards — as a thread
/// group per row, see <c>RowProgram</c>),
/// compiled on its first run and cached by the body's canonical IR text. A group that does not compile — the generator
/// cannot express it, or ILGPU fails on it (the device then recreates its context) — is reported once (a
/// <see cref="Warnings"/> message with the reason) and runs op by op through the eager CUDA kernels: slower, never wrong.
/// </summary>
public sealed class CudaBackend : IBackend
{
    /// <summary>The one instance (kernels are cached per body text, launchers per device).</summary>
    public static CudaBackend Instance { get; } = new();

    private CudaBackend() { }

    /// <inheritdoc/>
    public string Name => "cuda";

    /// <inheritdoc/>
    public bool FusesElementwise => true;

    /// <inheritdoc/>
    public bool FusesLinearEpilogues => true;

    /// <inheritdoc/>
    public bool CanFuse(Node n)
    {
        ArgumentNullException.ThrowIfNull(n);
        return FusedKernel.CanLower(n.Kind);
    }

    /// <inheritdoc/>
    public bool CanFuseReduction(Node n)
    {
        ArgumentNullException.ThrowIfNull(n);
        return FusedKernel.TrailingSum(n) is not null || RowProgram.RowDims(n) is not null;
    }

    /// <inheritdoc/>
    /// <exception cref="NotSupportedException">An input is on the CPU (other than a one-element scalar) or another accelerator.</exception>
    public IExecutable Compile(Graph graph)
    {
        ArgumentNullException.ThrowIfNull(graph);
        BackendSelection.Require(this, graph, d => d.Type == DeviceType.Cuda);
        return new GraphProgram(graph, planMemory: true, RunFusionGroup);
    }

    /// <inheritdoc/>
    public string DescribeFusionGroup(Node group)
    {
        ArgumentNullException.ThrowIfNull(group);
        var state = StateOf(group);
        return state.Kernel is { } k ? k.Description : $"not compiled ({state.Reason}), interpreted op by op with the CUDA kernels";
    }

    /// <summary>The PTX (sm_90) of the group's kernel, or a comment saying why there is none.</summary>
    internal static string Ptx(Node group)
    {
        var state = StateOf(group);
        if (state.Kernel is not { } k) return $"// no kernel: {state.Reason}\n";
        return GpuPtx.Compile(k.Kernel, k.Grouped);
    }

    /// <summary>The kernel generated for fusion group <paramref name="group"/>, or null when it did not compile.</summary>
    internal static CudaFusedKernel? KernelOf(Node group) => StateOf(group).Kernel;

    /// <summary>A group runs its kernel when no gradient is needed; otherwise, or when it did not compile, its body op by op.</summary>
    internal static Tensor RunFusionGroup(Node n, Tensor[] inputs, long[]? symbols, Tensor? into)
    {
        if (!FusionGroups.NeedsGrad(n, inputs, into))
        {
            var state = StateOf(n);
            if (state.Kernel is { } kernel && state.Ready(kernel, n, inputs, into)) return kernel.Run(inputs, symbols, into);
        }
        return FusionGroups.Interpret(n, inputs, symbols, into);
    }

    /// <summary>The group's state: its kernel (shared by every group with the same body text and dtype), or why there is none.</summary>
    private static GroupState StateOf(Node n) => States.GetValue(n, static n =>
    {
        var text = Printer.Print(n.Subgraph!);
        var (kernel, reason) = ByBody.GetOrAdd(text, static (_, body) =>
        {
            var k = CudaFusedKernel.TryCompile(body, out var why);
            return (k, why);
        }, n.Subgraph!);
        if (kernel is null) Warnings.Warn($"JIT: {n.Kind} ({FusionGroups.Ops(n)}) could not be compiled for CUDA ({reason}); it runs op by op.");
        return new GroupState(kernel, reason);
    });

    /// <summary>Kernels by body text: a retrace or a repeated block reuses the generated type and the device's compiled launcher.</summary>
    private static readonly ConcurrentDictionary<string, (CudaFusedKernel? Kernel, string? Reason)> ByBody = new();

    private static readonly ConditionalWeakTable<Node, GroupState> States = new();

    /// <summary>A group's kernel and whether it loaded on the device; a failed load turns the group interpreted, once.</summary>
    private sealed class GroupState(CudaFusedKernel? kernel, string? reason)
    {
        private volatile bool _loaded;

        public CudaFusedKernel? Kernel { get; private set; } = kernel;

        public string? Reason { get; private set; } = reason;

        /// <summary>Loads the kernel on the device of the call at its first run; false (and interpreted from now on) when ILGPU cannot compile it.</summary>
        public bool Ready(CudaFusedKernel k, Node n, Tensor[] inputs, Tensor? into)
        {
            if (_loaded) return true;
            var device = into ?? inputs.FirstOrDefault(t => t.Device.Type == DeviceType.Cuda);
            if (device is null) return false;
            var clock = System.Diagnostics.Stopwatch.StartNew();
            try
            {
                k.Load(CudaViews.Gpu(device));
            }
            catch (InvalidOperationException e)
            {
                Kernel = null;
                Reason = e.Message;
                Warnings.Warn($"JIT: {n.Kind} ({FusionGroups.Ops(n)}) failed to compile for CUDA ({e.Message}); it runs op by op.");
                return false;
            }
            if (PassPipeline.Logs("kernels"))
                Console.Error.WriteLine($"[{PassPipeline.LogVariable}] cuda: {GpuDevice.Describe(k.Kernel)} compiled in {clock.Elapsed.TotalMilliseconds:F1} ms");
            _loaded = true;
            return true;
        }
    }
}
