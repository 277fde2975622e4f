using System.Reflection;
using ILGPU;
using ILGPU.Algorithms;
using ILGPU.Backends.EntryPoints;
using ILGPU.Backends.PTX;
using ILGPU.Runtime;
using ILGPU.Runtime.CPU;
using ILGPU.Runtime.Cuda;

namespace Trace.Kernels.Gpu;

/// <summary>
/// Compiles a kernel to PTX for sm_90 (H100/H200) without a GPU, with the optimization level the runtime uses (O2,
/// where loads become <c>ld.global</c>): for CI checks of the generated code. The driver alone can say whether it loads.
/// </summary>
public static class GpuPtx
{
    /// <summary>
    /// The PTX text of <paramref name="kernel"/>: an implicitly grouped kernel (index first, then views and structs), or with
    /// <paramref name="explicitlyGrouped"/> one launched with a group configuration (shared memory, barriers).
    /// </summary>
    public static string Compile(MethodInfo kernel, bool explicitlyGrouped = false)
    {
        using var context = Context.Create(b => b.CPU().EnableAlgorithms().Optimize(OptimizationLevel.O2));
        using var backend = new PTXBackend(context, new CudaCapabilityContext(CudaArchitecture.SM_90), CudaArchitecture.SM_90, CudaInstructionSet.ISA_88, null);
        var entry = explicitlyGrouped ? EntryPointDescription.FromExplicitlyGroupedKernel(kernel) : EntryPointDescription.FromImplicitlyGroupedKernel(kernel);
        var compiled = (PTXCompiledKernel)backend.Compile(entry, KernelSpecialization.Empty);
        return compiled.PTXAssembly;
    }

    /// <summary>The kernel method behind a kernel delegate (<c>GpuPtx.Compile(GpuPtx.Method(...))</c>).</summary>
    public static MethodInfo Method(Delegate kernel) => kernel.Method;
}
