using Microsoft.VisualStudio.TestTools.UnitTesting;

namespace Trace.Jit.Tests;

/// <summary>
/// The compiled CUDA backend (fusion groups as generated ILGPU kernels, device memory plans, GEMM epilogues) against the
/// reference interpreter on the same CUDA device — ILGPU's CPU accelerator in CI (AssemblySetup), a GPU where there is one.
/// </summary>
[TestClass]
[DoNotParallelize]
public class CudaBackendConformanceTests : BackendConformance
{
    /// <inheritdoc/>
    protected override IBackend Backend => CudaBackend.Instance;

    /// <inheritdoc/>
    protected override Device Device => Device.Cuda();

    /// <inheritdoc/>
    protected override double Rtol => 1e-5;

    /// <inheritdoc/>
    protected override double Atol => 1e-6;

    /// <inheritdoc/>
    /// <remarks>ILGPU's CPU accelerator spends seconds per random graph (every eager and fused launch runs its groups' threads on two cores): 60 keep the slow run within minutes.</remarks>
    protected override int ManyRandomGraphs => 60;
}
