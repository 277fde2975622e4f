using Microsoft.VisualStudio.TestTools.UnitTesting;
using Trace.Kernels.Gpu;

namespace Trace.Kernels.Tests.Gpu;

/// <summary>Maps the CUDA device onto ILGPU's CPU accelerator for this test assembly and disposes it at the end.</summary>
[TestClass]
public static class GpuSetup
{
    [AssemblyInitialize]
    public static void UseCpuAccelerator(TestContext _) => GpuRuntime.UseCpuAcceleratorForTests();

    [AssemblyCleanup]
    public static void DisposeDevice() => GpuRuntime.Shutdown();
}
