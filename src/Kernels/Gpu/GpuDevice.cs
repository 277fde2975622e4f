using System.Collections.Concurrent;
using System.Diagnostics;
using System.Reflection;
using ILGPU;
using ILGPU.Runtime;
using ILGPU.Runtime.Cuda;

namespace Trace.Kernels.Gpu;

/// <summary>
/// One GPU: its ILGPU context, accelerator, compute stream, caching memory pool and compiled kernels. Work is queued on
/// the one stream in call order; only reads of values (<see cref="Synchronize"/>, copies to the host) wait for it.
/// </summary>
public sealed class GpuDevice : IDisposable
{
    private readonly Context _context;
    private readonly ConcurrentDictionary<object, Delegate> _kernels = new();
    private long _compileTicks;
    private long _launches;

    internal GpuDevice(Context context, ILGPU.Runtime.Device device, bool onCpuAccelerator)
    {
        _context = context;
        Accelerator = device.CreateAccelerator(context);
        Stream = Accelerator.DefaultStream;
        OnCpuAccelerator = onCpuAccelerator;
        Name = Accelerator.Name;
        TotalMemory = Accelerator.MemorySize;
        if (device is CudaDevice cuda)
        {
            ComputeCapability = cuda.Architecture is { } a ? (a.Major, a.Minor) : (0, 0);
            DriverVersion = cuda.DriverVersion.ToString();
            InstructionSet = cuda.InstructionSet?.ToString() ?? "unknown";
        }
        else
        {
            DriverVersion = "none (ILGPU CPU accelerator)";
            InstructionSet = "none (ILGPU CPU accelerator)";
        }
        Pool = new GpuMemoryPool(this);
        Staging = new GpuStaging(this);
        // Enough threads to fill the device; the CPU accelerator simulates every thread, so one group is fastest there.
        _maxLaunch = onCpuAccelerator ? Accelerator.MaxNumThreadsPerGroup
            : (int)Math.Min(int.MaxValue, (long)Accelerator.NumMultiprocessors * Accelerator.MaxNumThreadsPerMultiprocessor);
    }

    private readonly int _maxLaunch;

    /// <summary>The threads a grid-stride kernel over <paramref name="n"/> elements is launched with (at least 1).</summary>
    internal int LaunchThreads(int n) => Math.Max(1, Math.Min(n, _maxLaunch));

    /// <summary>The ILGPU accelerator.</summary>
    internal Accelerator Accelerator { get; }

    /// <summary>The one compute stream: every kernel and copy is queued on it.</summary>
    internal AcceleratorStream Stream { get; }

    /// <summary>Serializes launches and copies from several threads onto the one stream.</summary>
    internal Lock Gate { get; } = new();

    /// <summary>True when this device is ILGPU's CPU accelerator (the test-only switch of <see cref="GpuRuntime"/>).</summary>
    public bool OnCpuAccelerator { get; }

    /// <summary>The device's name as the driver reports it.</summary>
    public string Name { get; }

    /// <summary>The CUDA compute capability (major, minor); (0, 0) on the CPU accelerator.</summary>
    public (int Major, int Minor) ComputeCapability { get; }

    /// <summary>The CUDA driver version.</summary>
    public string DriverVersion { get; }

    /// <summary>The PTX instruction set ILGPU compiles for.</summary>
    public string InstructionSet { get; }

    /// <summary>Total device memory in bytes.</summary>
    public long TotalMemory { get; }

    /// <summary>The caching allocator of this device's memory.</summary>
    public GpuMemoryPool Pool { get; }

    /// <summary>The page-locked host buffers that host↔device copies go through (host memory: not in <see cref="Pool"/>'s statistics).</summary>
    public GpuStaging Staging { get; }

    /// <summary>True once disposed; memory handed out before is then gone.</summary>
    public bool IsDisposed { get; private set; }

    /// <summary>Number of kernels compiled on this device so far.</summary>
    public int CompiledKernels => _kernels.Count;

    /// <summary>Total time spent compiling kernels on this device.</summary>
    public TimeSpan CompileTime => TimeSpan.FromTicks(Interlocked.Read(ref _compileTicks));

    /// <summary>
    /// Kernel launches queued on this device so far (every launch fetches its launcher through <c>Kernel</c> once, just
    /// before queuing it; copies and fills done by the driver are not kernels). For tests that count launches per step.
    /// </summary>
    public long KernelLaunches => Interlocked.Read(ref _launches);

    /// <summary>Waits until every queued kernel and copy has finished.</summary>
    public void Synchronize()
    {
        lock (Gate) Stream.Synchronize();
    }

    /// <summary>
    /// The launcher of <paramref name="kernel"/> for one launch (fetch it once per launch: each call counts in
    /// <see cref="KernelLaunches"/>), compiled on first use by <paramref name="load"/> and cached. A kernel ILGPU cannot
    /// compile is an <see cref="InvalidOperationException"/> naming it; the context is then recreated when no memory is
    /// in use (a context can stay unusable after a failed compile).
    /// </summary>
    internal TLaunch Kernel<TLaunch>(Delegate kernel, Func<Accelerator, TLaunch> load) where TLaunch : Delegate =>
        Kernel(kernel.Method, () => Describe(kernel.Method), load);

    /// <summary>
    /// The launcher cached under <paramref name="key"/> (a kernel family, its variant and element type), compiled on first
    /// use by <paramref name="load"/>; failures as for <see cref="Kernel{TLaunch}(Delegate, Func{Accelerator, TLaunch})"/>.
    /// For loaders that pick the kernel body themselves (by element type), so the caller has no method to name.
    /// </summary>
    internal TLaunch Kernel<TLaunch>((string Family, string Variant, Type Element) key, Func<Accelerator, TLaunch> load) where TLaunch : Delegate =>
        Kernel(key, () => $"{key.Family} {key.Variant}<{key.Element.Name}>", load);

    private TLaunch Kernel<TLaunch>(object key, Func<string> describe, Func<Accelerator, TLaunch> load) where TLaunch : Delegate
    {
        ObjectDisposedException.ThrowIf(IsDisposed, this);
        Interlocked.Increment(ref _launches);
        if (_kernels.TryGetValue(key, out var cached)) return (TLaunch)cached;
        var sw = Stopwatch.StartNew();
        TLaunch launcher;
        try
        {
            launcher = load(Accelerator);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            bool recreated = GpuRuntime.RecreateAfterFailedCompile(this);
            throw new InvalidOperationException($"GPU kernel {describe()} failed to compile with ILGPU ({e.GetType().Name}: {e.Message})" +
                (recreated ? "; the GPU context was recreated." : "; the GPU context was kept because device memory is in use."), e);
        }
        Interlocked.Add(ref _compileTicks, sw.Elapsed.Ticks);
        return (TLaunch)_kernels.GetOrAdd(key, launcher);
    }

    /// <summary>A kernel's name with its type arguments (<c>Binary&lt;Single, AddOp`1&gt;</c>).</summary>
    internal static string Describe(MethodInfo m) =>
        m.IsGenericMethod ? $"{m.Name}<{string.Join(", ", m.GetGenericArguments().Select(t => t.Name))}>" : m.Name;

    /// <summary>Frees the cached memory, the staging buffers, the accelerator and the context.</summary>
    public void Dispose()
    {
        lock (Gate)
        {
            if (IsDisposed) return;
            Stream.Synchronize();
            IsDisposed = true;
        }
        // The pool's lock is taken before the device's elsewhere (EmptyCache waits for the stream): not inside Gate here.
        Pool.ReleaseAll();
        Staging.Dispose();
        lock (Gate)
        {
            _kernels.Clear();
            Accelerator.Dispose();
            _context.Dispose();
        }
    }
}
