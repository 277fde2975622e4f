using Microsoft.VisualStudio.TestTools.UnitTesting;
using Trace.Kernels.Gpu;

namespace Trace.Core.Tests.Cuda;

/// <summary>
/// The one test switch: <c>Device.Cuda()</c> is ILGPU's CPU accelerator in this test assembly (the same test classes
/// run on a real GPU when the switch is left off there). The device is disposed at the end.
/// </summary>
[TestClass]
public static class CudaSetup
{
    [AssemblyInitialize]
    public static void UseCpuAccelerator(TestContext _)
    {
        if (Environment.GetEnvironmentVariable("TRACE_TEST_REAL_CUDA") != "1") GpuRuntime.UseCpuAcceleratorForTests();
    }

    [AssemblyCleanup]
    public static void DisposeDevice() => GpuRuntime.Shutdown();
}
