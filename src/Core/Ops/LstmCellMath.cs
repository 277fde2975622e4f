namespace Trace;

/// <summary>
/// <c>trace::lstm_cell</c> and its backward composed from tensor ops (gate order (i, f, g, o)): what devices without a fused
/// kernel run, and the backward recorded when the backward itself is differentiated (createGraph), as PyTorch's
/// <c>_thnn_differentiable_lstm_cell_backward</c>. With i, f, g, o the activated gates and t = tanh(c'):
/// dc = dc' + dh'·o·(1 − t²), d(gates) = (dc·g·i(1 − i), dc·c·f(1 − f), dc·i·(1 − g²), dh'·t·o(1 − o)), dc_prev = dc·f.
/// </summary>
internal static class LstmCellMath
{
    /// <summary>The activated gates (i, f, g, o) of gates = input + hidden (absent: zero).</summary>
    private static (Tensor I, Tensor F, Tensor G, Tensor O) Activate(Tensor inputGates, Tensor? hiddenGates)
    {
        var gates = (hiddenGates is null ? inputGates : hiddenGates + inputGates).Chunk(4, 1);
        return (gates[0].Sigmoid(), gates[1].Sigmoid(), gates[2].Tanh(), gates[3].Sigmoid());
    }

    /// <summary>c' = f·c + i·g (i·g when c is absent).</summary>
    private static Tensor NextCell(Tensor i, Tensor f, Tensor g, Tensor? cx) => cx is null ? i * g : f * cx + i * g;

    /// <summary>The forward into the given outputs (a device's kernel made of its other kernels).</summary>
    public static void Forward(Tensor inputGates, Tensor? hiddenGates, Tensor? cx, Tensor hy, Tensor cy, Tensor workspace)
    {
        var (i, f, g, o) = Activate(inputGates, hiddenGates);
        workspace.Copy_(Tensor.Cat([i, f, g, o], 1));
        cy.Copy_(NextCell(i, f, g, cx));
        hy.Copy_(o * cy.Tanh());
    }

    /// <summary>The backward from the saved workspace and c' into the given outputs (a device's kernel made of its other kernels).</summary>
    public static void Backward(Tensor? gradHy, Tensor? gradCy, Tensor? cx, Tensor cy, Tensor workspace, Tensor gradGates, Tensor gradCx)
    {
        var w = workspace.Chunk(4, 1);
        var (dGates, dCx) = Grads(w[0], w[1], w[2], w[3], cy.Tanh(), cx, gradHy, gradCy);
        gradGates.Copy_(dGates);
        gradCx.Copy_(dCx);
    }

    /// <summary>The backward recomputed from the inputs with differentiable ops (for a graph of the backward).</summary>
    public static (Tensor GradGates, Tensor GradCx) DifferentiableBackward(Tensor inputGates, Tensor? hiddenGates, Tensor? cx, Tensor? gradHy, Tensor? gradCy)
    {
        var (i, f, g, o) = Activate(inputGates, hiddenGates);
        return Grads(i, f, g, o, NextCell(i, f, g, cx).Tanh(), cx, gradHy, gradCy);
    }

    private static (Tensor GradGates, Tensor GradCx) Grads(Tensor i, Tensor f, Tensor g, Tensor o, Tensor t, Tensor? cx, Tensor? dh, Tensor? dcy)
    {
        var zero = t.ZerosLike();
        dh ??= zero;
        var dc = (dcy ?? zero) + dh * o * (1.0 - t * t);
        var df = cx is null ? zero : dc * cx * f * (1.0 - f);
        var dGates = Tensor.Cat([dc * g * i * (1.0 - i), df, dc * i * (1.0 - g * g), dh * t * o * (1.0 - o)], 1);
        return (dGates, dc * f);
    }
}
