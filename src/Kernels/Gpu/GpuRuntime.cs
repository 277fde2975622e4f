using System.Runtime.InteropServices;
using ILGPU;
using ILGPU.Algorithms;
using ILGPU.Runtime.CPU;
using ILGPU.Runtime.Cuda;

namespace Trace.Kernels.Gpu;

/// <summary>
/// The process-wide GPU: one ILGPU context, one accelerator and one stream, created on first use. In normal use it is
/// the CUDA accelerator of the first CUDA device ILGPU finds; when there is none, every use is an error that says
/// why (no driver library, no device, an architecture or driver ILGPU does not support) — never a silent fallback to the CPU.
/// </summary>
/// <remarks>
/// Test-only switch: the environment variable <c>TRACE_CUDA_ON_CPU_ACCELERATOR=1</c> (read once, at first use) or
/// <see cref="UseCpuAcceleratorForTests"/> maps the CUDA device onto ILGPU's CPU accelerator, which runs the same
/// kernels (about 100× slower than the C# kernels) on machines without a GPU. It exists for the test suites and CI only.
/// </remarks>
public static class GpuRuntime
{
    /// <summary>The environment variable of the test-only switch.</summary>
    public const string CpuAcceleratorVariable = "TRACE_CUDA_ON_CPU_ACCELERATOR";

    private static readonly Lock Gate = new();
    private static GpuDevice? _device;
    private static string? _unavailable;
    private static bool _probed;
    private static bool _cpuForTests;

    /// <summary>
    /// Test-only: maps the CUDA device onto ILGPU's CPU accelerator from now on (a device already created on the
    /// CUDA accelerator is disposed first). Call it from a test assembly's initializer.
    /// </summary>
    internal static void UseCpuAcceleratorForTests()
    {
        lock (Gate)
        {
            if (_cpuForTests) return;
            _cpuForTests = true;
            ShutdownLocked();
        }
    }

    /// <summary>True when the test-only switch maps the CUDA device onto the CPU accelerator.</summary>
    public static bool OnCpuAccelerator
    {
        get { lock (Gate) return CpuSwitchLocked(); }
    }

    private static bool CpuSwitchLocked() => _cpuForTests || Environment.GetEnvironmentVariable(CpuAcceleratorVariable) == "1";

    /// <summary>True when a usable device exists (creating the runtime if needed).</summary>
    public static bool IsAvailable
    {
        get { lock (Gate) { EnsureLocked(); return _device is not null; } }
    }

    /// <summary>Why no device is usable (null when one is).</summary>
    public static string? UnavailableReason
    {
        get { lock (Gate) { EnsureLocked(); return _unavailable; } }
    }

    /// <summary>Number of usable devices: 0 or 1 (Trace drives one GPU per process).</summary>
    public static int DeviceCount => IsAvailable ? 1 : 0;

    /// <summary>The device, created on first use; a <see cref="NotSupportedException"/> saying why when there is none.</summary>
    public static GpuDevice Device
    {
        get
        {
            lock (Gate)
            {
                EnsureLocked();
                return _device ?? throw new NotSupportedException($"CUDA is not available: {_unavailable}");
            }
        }
    }

    /// <summary>
    /// Replaces the device by a new context and accelerator after a failed kernel compile (a context can stay unusable
    /// after one). Only done when no memory of the old device is in use; returns whether it was replaced.
    /// </summary>
    internal static bool RecreateAfterFailedCompile(GpuDevice failed)
    {
        lock (Gate)
        {
            if (!ReferenceEquals(_device, failed) || failed.Pool.Stats.AllocatedBytes != 0) return false;
            ShutdownLocked();
            EnsureLocked();
            return true;
        }
    }

    /// <summary>Disposes the device (its cached memory, accelerator and context); the next use creates a new one.</summary>
    public static void Shutdown()
    {
        lock (Gate) ShutdownLocked();
    }

    private static void ShutdownLocked()
    {
        _device?.Dispose();
        _device = null;
        _unavailable = null;
        _probed = false;
    }

    private static void EnsureLocked()
    {
        if (_probed) return;
        _probed = true;
        try
        {
            _device = CpuSwitchLocked() ? CreateCpu() : CreateCuda(out _unavailable);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            _device = null;
            _unavailable = $"creating the ILGPU accelerator failed: {e.GetType().Name}: {e.Message}";
        }
    }

    /// <summary>
    /// Test-only: runs the CUDA probe whatever the switch says, disposing what it creates; null when a usable CUDA device
    /// exists, else the reason every CUDA use would give.
    /// </summary>
    internal static string? ProbeCudaForTests()
    {
        try
        {
            using var d = CreateCuda(out var why);
            return why;
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            return $"creating the ILGPU accelerator failed: {e.GetType().Name}: {e.Message}";
        }
    }

    private static GpuDevice CreateCpu()
    {
        // A simulated device with groups of 256 threads (32 × 8), as the GEMM and row kernels launch on a GPU.
        var context = Context.Create(b => b.CPU(new CPUDevice(numThreadsPerWarp: 32, numWarpsPerMultiprocessor: 8, numMultiprocessors: 1))
            .EnableAlgorithms().Profiling().Optimize(OptimizationLevel.O2));
        return new GpuDevice(context, context.Devices[0], onCpuAccelerator: true);
    }

    private static GpuDevice? CreateCuda(out string? why)
    {
        if (!NativeLibrary.TryLoad(OperatingSystem.IsWindows() ? "nvcuda.dll" : "libcuda.so.1", out var lib))
        {
            why = "no CUDA driver library (libcuda.so.1 / nvcuda.dll) was found: install the NVIDIA driver (no CUDA toolkit is needed).";
            return null;
        }
        NativeLibrary.Free(lib);
        // Profiling() lets the stream take profiling markers (CUDA events, for timing); it costs nothing per launch.
        var context = Context.Create(b => b.Cuda().EnableAlgorithms().Profiling().Optimize(OptimizationLevel.O2));
        var devices = context.GetCudaDevices();
        if (devices.Count == 0)
        {
            context.Dispose();
            why = "the CUDA driver is installed but ILGPU found no CUDA device.";
            return null;
        }
        var d = devices[0];
        if (d.Architecture is null || d.InstructionSet is null)
        {
            context.Dispose();
            why = $"device '{d.Name}' (driver {d.DriverVersion}) has an architecture or driver ISA that ILGPU 1.5.3 does not support.";
            return null;
        }
        why = null;
        return new GpuDevice(context, d, onCpuAccelerator: false);
    }
}
