using Trace.Nn;

namespace Trace.Jit.Tests;

/// <summary>The lecture's ParallelBlock: relu(linear1(x) ⊙ linear2(x)), shared by the JIT tests.</summary>
internal sealed class ParallelBlock(int dIn, int dOut, Generator g) : Module
{
    private readonly Linear linear1 = new(dIn, dOut, generator: g), linear2 = new(dIn, dOut, generator: g);

    public override Tensor Forward(Tensor x) => (linear1.Forward(x) * linear2.Forward(x)).Clamp(min: 0);
}
