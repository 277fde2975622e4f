using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Jobs;
using BenchmarkDotNet.Toolchains.InProcess.Emit;
using Trace.Kernels;

namespace Trace.Perf;

/// <summary>In-process BenchmarkDotNet configuration (skips the per-run project build).</summary>
public class InProcessConfig : ManualConfig
{
    public InProcessConfig() => AddJob(Job.ShortRun.WithToolchain(InProcessEmitToolchain.Instance));
}

/// <summary>Square SGEMM through the kernel API.</summary>
[Config(typeof(InProcessConfig))]
public class GemmBenchmarks
{
    private float[] _a = [], _b = [], _c = [];

    [Params(256, 512, 1024)]
    public int N;

    [GlobalSetup]
    public void Setup()
    {
        var rng = new Random(1);
        _a = Enumerable.Range(0, N * N).Select(_ => (float)rng.NextDouble()).ToArray();
        _b = Enumerable.Range(0, N * N).Select(_ => (float)rng.NextDouble()).ToArray();
        _c = new float[N * N];
    }

    [Benchmark]
    public void Sgemm() => Gemm.Sgemm(N, N, N, 1f, _a, N, 1, _b, N, 1, 0f, _c, N);
}

/// <summary>Eager elementwise ops on 4M floats.</summary>
[Config(typeof(InProcessConfig))]
public class ElementwiseBenchmarks
{
    private Tensor _a = Tensor.Zeros(1), _b = Tensor.Zeros(1);

    [GlobalSetup]
    public void Setup()
    {
        _a = Tensor.Randn(4 * 1024 * 1024);
        _b = Tensor.Randn(4 * 1024 * 1024);
    }

    [Benchmark]
    public Tensor Add() => _a.Add(_b);

    [Benchmark]
    public Tensor TanhChainEager() => (_a * 0.5 + _b).Tanh() * _a + _b;

    [Benchmark]
    public Tensor Sum() => _a.Sum();
}

/// <summary>W1–W7 (docs/BENCHMARKS.md), eager and traced, each a BenchmarkDotNet case.</summary>
[Config(typeof(InProcessConfig))]
public class WorkloadBenchmarks
{
    private Workloads.Workload _w = null!;

    [Params("W1", "W2", "W3", "W4", "W5", "W6", "W7")]
    public string Id = "W1";

    [GlobalSetup]
    public void Setup() => _w = Workloads.All.Select(f => f()).First(w => w.Id == Id);

    [Benchmark(Baseline = true)]
    public void Eager() => _w.Eager();

    [Benchmark]
    public void Traced() => _w.Traced();
}
