using Microsoft.VisualStudio.TestTools.UnitTesting;
using Trace.Kernels.Gpu;

namespace Trace.Jit.Tests;

[TestClass]
public static class AssemblySetup
{
    /// <summary>
    /// Every graph traced by any test is linted and round-tripped through text; <c>Device.Cuda()</c> is ILGPU's CPU
    /// accelerator here (the one test switch), unless TRACE_TEST_REAL_CUDA=1 runs the CUDA tests on a real GPU.
    /// </summary>
    [AssemblyInitialize]
    public static void Initialize(TestContext _)
    {
        Jit.SelfCheck = true;
        if (Environment.GetEnvironmentVariable("TRACE_TEST_REAL_CUDA") != "1") GpuRuntime.UseCpuAcceleratorForTests();
    }

    /// <summary>Disposes the CUDA device (if a test created it).</summary>
    [AssemblyCleanup]
    public static void Cleanup() => GpuRuntime.Shutdown();
}
