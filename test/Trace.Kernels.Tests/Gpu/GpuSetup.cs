using Microsoft.VisualStudio.TestTools.UnitTesting;
using Trace.Kernels.Gpu;
using Trace.Kernels.Tests;

namespace Trace.Kernels.Tests.Gpu;

/// <summary>
/// Maps the CUDA device onto ILGPU's CPU accelerator for this test assembly; at the end disposes it and the simulated
/// 256-thread device the raw kernel tests share (<see cref="GpuTestDevice"/>).
/// </summary>
[TestClass]
public static class GpuSetup
{
    [AssemblyInitialize]
    public static void UseCpuAccelerator(TestContext _) => GpuRuntime.UseCpuAcceleratorForTests();

    [AssemblyCleanup]
    public static void DisposeDevices()
    {
        GpuRuntime.Shutdown();
        GpuTestDevice.DisposeShared();
    }
}
