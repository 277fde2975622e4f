using System.Collections.Concurrent;
using System.Reflection;
using ILGPU;
using ILGPU.Backends.EntryPoints;
using ILGPU.Backends.PTX;
using ILGPU.Runtime;
using ILGPU.Runtime.CPU;
using ILGPU.Runtime.Cuda;
using Microsoft.VisualStudio.TestTools.UnitTesting;

namespace Trace.Kernels.Tests;

/// <summary>A simulated device (ILGPU's CPU accelerator with groups of up to 256 threads) and PTX compilation for sm_90.</summary>
internal sealed class GpuTestDevice : IDisposable
{
    private readonly Context _context;
    private static readonly Lazy<GpuTestDevice> _shared = new(() => new GpuTestDevice());
    private static readonly ConcurrentDictionary<string, Lazy<object>> _kernels = new();

    /// <summary>One accelerator for all GPU kernel test classes (kernels compile once per process).</summary>
    public static Accelerator Shared => _shared.Value.Accelerator;

    /// <summary>A launcher loaded once on <see cref="Shared"/> per delegate type (and <paramref name="key"/>).</summary>
    public static TLauncher Cached<TLauncher>(Func<Accelerator, TLauncher> load, object? key = null) where TLauncher : class =>
        (TLauncher)_kernels.GetOrAdd($"{typeof(TLauncher)}|{load.Method.Name}|{key}", _ => new Lazy<object>(() => load(Shared))).Value;

    /// <summary>Disposes the shared accelerator (at the end of the run).</summary>
    public static void DisposeShared()
    {
        if (_shared.IsValueCreated) _shared.Value.Dispose();
    }

    /// <summary>The accelerator kernels run on.</summary>
    public Accelerator Accelerator { get; }

    public GpuTestDevice()
    {
        _context = Context.Create(b => b.CPU(new CPUDevice(numThreadsPerWarp: 32, numWarpsPerMultiprocessor: 8, numMultiprocessors: 1)).EnableAlgorithms().Optimize(OptimizationLevel.O2));
        Accelerator = _context.Devices[0].CreateAccelerator(_context);
    }

    public void Dispose()
    {
        Accelerator.Dispose();
        _context.Dispose();
    }

    /// <summary>
    /// The PTX of <paramref name="type"/>'s kernel <paramref name="name"/> (instantiated with <paramref name="typeArgs"/>)
    /// compiled for sm_90 at O2, without a GPU.
    /// </summary>
    public static string Ptx(Type type, string name, bool explicitlyGrouped, params Type[] typeArgs)
    {
        using var context = Context.Create(b => b.CPU().EnableAlgorithms().Optimize(OptimizationLevel.O2));
        using var backend = new PTXBackend(context, new CudaCapabilityContext(CudaArchitecture.SM_90), CudaArchitecture.SM_90, CudaInstructionSet.ISA_88, null);
        var method = type.GetMethod(name, BindingFlags.NonPublic | BindingFlags.Static) ?? throw new InvalidOperationException($"no kernel {type.Name}.{name}");
        if (typeArgs.Length > 0) method = method.MakeGenericMethod(typeArgs);
        var entry = explicitlyGrouped ? EntryPointDescription.FromExplicitlyGroupedKernel(method) : EntryPointDescription.FromImplicitlyGroupedKernel(method);
        return ((PTXCompiledKernel)backend.Compile(entry, KernelSpecialization.Empty)).PTXAssembly;
    }

    /// <summary>Asserts the PTX facts every hot kernel must show: global loads (unless it only writes) and stores, no local memory, no calls.</summary>
    public static void AssertHot(string ptx, string what, bool shared, bool loads = true)
    {
        StringAssert.Contains(ptx, ".target sm_");
        if (loads) StringAssert.Contains(ptx, "ld.global", what);
        StringAssert.Contains(ptx, "st.global", what);
        if (shared)
        {
            StringAssert.Contains(ptx, ".shared", what);
            StringAssert.Contains(ptx, "bar.sync", what);
        }
        Assert.IsFalse(ptx.Contains(".local"), $"{what} uses local memory");
        Assert.IsFalse(ptx.Contains("call.uni") || ptx.Contains("\tcall "), $"{what} calls a function:\n" + ptx[..Math.Min(ptx.Length, 4000)]);
    }

    /// <summary>
    /// The bytes of kernel parameters the PTX entry declares (<c>.param .align 8 .b8 _a[1704]</c> is 1704 bytes, <c>.param
    /// .u32 _b</c> 4), to check a by-value argument struct against CUDA's 4 KB limit.
    /// </summary>
    public static int ParamBytes(string ptx)
    {
        int bytes = 0;
        foreach (System.Text.RegularExpressions.Match m in System.Text.RegularExpressions.Regex.Matches(ptx,
            @"^\s*\.param\s+(?:\.align\s+\d+\s+)?\.[a-z](\d+)\s+[^\s\[,)]+(?:\[(\d+)\])?", System.Text.RegularExpressions.RegexOptions.Multiline))
            bytes += int.Parse(m.Groups[1].Value) / 8 * (m.Groups[2].Success ? int.Parse(m.Groups[2].Value) : 1);
        return bytes;
    }

    /// <summary>Uniform values in [-1, 1).</summary>
    public static float[] Random(int n, int seed)
    {
        var r = new Random(seed);
        var a = new float[n];
        for (int i = 0; i < n; i++) a[i] = (float)(r.NextDouble() * 2 - 1);
        return a;
    }
}

