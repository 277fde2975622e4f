using Microsoft.VisualStudio.TestTools.UnitTesting;

namespace Trace.Jit.Tests;

/// <summary>The compiled CPU backend (fusion groups as vectorized loops, memory plans, GEMM epilogues) against the reference.</summary>
[TestClass]
public class CpuBackendConformanceTests : BackendConformance
{
    /// <inheritdoc/>
    protected override IBackend Backend => CpuBackend.Instance;

    /// <inheritdoc/>
    protected override double Rtol => 1e-5;

    /// <inheritdoc/>
    protected override double Atol => 1e-6;
}
