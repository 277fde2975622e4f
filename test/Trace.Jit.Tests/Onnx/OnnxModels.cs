using Trace.Nn;

namespace Trace.Jit.Tests.OnnxFormat;

/// <summary>
/// The models the ONNX tests export and import, as the perf workloads define them (W1–W3 lecture nets, W5's GPT block,
/// W6's CNN), scaled down by the tests for speed; W5's GPT block and W7's LSTM classifier are the perf suite's own
/// (perf/WorkloadModels.cs is compiled into this test project).
/// </summary>
internal static class OnnxModels
{
    /// <summary>W1/W2: Linear → ReLU → Linear.</summary>
    public static Module Mlp(int dIn, int hidden, int dOut, Generator g) =>
        new Sequential(new Linear(dIn, hidden, generator: g), new ReLU(), new Linear(hidden, dOut, generator: g));

    /// <summary>W3: Seq(ParallelBlock(F,H), ParallelBlock(H,H), Linear(H,C)).</summary>
    public static Module ParallelNet(int dIn, int hidden, int dOut, Generator g) =>
        new Sequential(new ParallelBlock(dIn, hidden, g), new ParallelBlock(hidden, hidden, g), new Linear(hidden, dOut, generator: g));

    /// <summary>W6's CNN for <paramref name="side"/>×<paramref name="side"/> single-channel images.</summary>
    public static Module Cnn(int side, Generator g)
    {
        int s = ((side - 2) / 2 - 2) / 2;
        return new Sequential(
            new Conv2d(1, 8, 3, generator: g), new ReLU(), new MaxPool2d(2),
            new Conv2d(8, 16, 3, generator: g), new ReLU(), new MaxPool2d(2),
            new Flatten(), new Linear(16 * s * s, 32, generator: g), new ReLU(), new Linear(32, 10, generator: g));
    }
}
