using Trace.Ops;

namespace Trace;

public sealed partial class Tensor
{
    /// <summary>
    /// <c>trace::lstm_cell</c> (PyTorch's <c>_thnn_fused_lstm_cell</c> without the biases): one LSTM step's pointwise math on
    /// the gates (B, 4H) = <paramref name="inputGates"/> + <paramref name="hiddenGates"/> (absent: zero), order (i, f, g, o):
    /// c' = σ(f)·c + σ(i)·tanh(g) (c = <paramref name="cx"/> (B, H), absent: zero) and h' = σ(o)·tanh(c'). Returns h', c' and
    /// the workspace (B, 4H) of activated gates that the backward reads. h' and c' both carry gradients; the backward is
    /// <c>trace::lstm_cell_backward</c> (one pass), or, when a graph of the backward is recorded (createGraph), the same
    /// formula in tensor ops on gates recomputed from the inputs, so that it can be differentiated again.
    /// </summary>
    internal static (Tensor Hy, Tensor Cy, Tensor Workspace) LstmCell(Tensor inputGates, Tensor? hiddenGates, Tensor? cx, Tensor? @out = null)
    {
        const string op = "trace::lstm_cell";
        ArgumentNullException.ThrowIfNull(inputGates);
        if (inputGates.Dim != 2 || inputGates._shape[1] % 4 != 0)
            throw new ArgumentException($"{op}: input_gates must be 2-D (batch, 4·hidden), got shape {Shapes.Format(inputGates._shape)}.");
        ConvChecks.RequireFloatingOn(inputGates, op);
        int b = inputGates._shape[0], h = inputGates._shape[1] / 4;
        CheckOperand(op, "hidden_gates", hiddenGates, inputGates, [b, 4 * h]);
        CheckOperand(op, "cx", cx, inputGates, [b, h]);
        var kernels = DeviceKernels.For(inputGates.Device, op).Rows;
        Tensor[] Compute()
        {
            var hy = OutBuffer.Or(@out, [b, h], inputGates.DType, inputGates.Device, op);
            var cy = new Tensor([b, h], inputGates.DType, inputGates.Device, op: op);
            var workspace = new Tensor([b, 4 * h], inputGates.DType, inputGates.Device, op: op);
            kernels.LstmCell(RowMajor(inputGates), RowMajor(hiddenGates), RowMajor(cx), hy, cy, workspace);
            return [hy, cy, workspace];
        }
        Tensor?[] inputs = [inputGates, hiddenGates, cx];
        var outputs = @out is not null
            ? Dispatch.Out(new OpCall(op), @out, inputs, Compute)
            : Dispatch.Record(new OpCall(op), Compute, inputs, 2, o => new MultiBackward(grads =>
            {
                var (dGates, dCx) = Autograd.IsEnabled
                    ? LstmCellMath.DifferentiableBackward(inputGates, hiddenGates, cx, grads[0], grads[1])
                    : LstmCellBackward(grads[0], grads[1], cx, o[1], o[2]);
                return [dGates, hiddenGates is null ? null : dGates, cx is null ? null : dCx];
            }, [.. new[] { inputGates, hiddenGates, cx }.OfType<Tensor>(), o[1], o[2]]));
        return (outputs[0], outputs[1], outputs[2]);
    }

    /// <summary>
    /// <c>trace::lstm_cell_backward</c>: the gradients of <see cref="LstmCell"/>'s gates (B, 4H) and of its cx (B, H) from those
    /// of h' and c' (either absent: zero), in one pass over the saved cx, c' and workspace. Runs only where no graph of the
    /// backward is recorded, so its outputs carry no gradient.
    /// </summary>
    internal static (Tensor GradGates, Tensor GradCx) LstmCellBackward(Tensor? gradHy, Tensor? gradCy, Tensor? cx, Tensor cy, Tensor workspace, Tensor? @out = null)
    {
        const string op = "trace::lstm_cell_backward";
        ArgumentNullException.ThrowIfNull(cy);
        ArgumentNullException.ThrowIfNull(workspace);
        if (workspace.Dim != 2 || workspace._shape[1] % 4 != 0)
            throw new ArgumentException($"{op}: workspace must be 2-D (batch, 4·hidden), got shape {Shapes.Format(workspace._shape)}.");
        ConvChecks.RequireFloatingOn(workspace, op);
        int b = workspace._shape[0], h = workspace._shape[1] / 4;
        CheckOperand(op, "cy", cy, workspace, [b, h]);
        CheckOperand(op, "grad_hy", gradHy, workspace, [b, h]);
        CheckOperand(op, "grad_cy", gradCy, workspace, [b, h]);
        CheckOperand(op, "cx", cx, workspace, [b, h]);
        var kernels = DeviceKernels.For(workspace.Device, op).Rows;
        Tensor[] Compute()
        {
            var gradGates = OutBuffer.Or(@out, [b, 4 * h], workspace.DType, workspace.Device, op);
            var gradCx = new Tensor([b, h], workspace.DType, workspace.Device, op: op);
            kernels.LstmCellBackward(RowMajor(gradHy), RowMajor(gradCy), RowMajor(cx), RowMajor(cy), RowMajor(workspace), gradGates, gradCx);
            return [gradGates, gradCx];
        }
        Tensor?[] inputs = [gradHy, gradCy, cx, cy, workspace];
        var outputs = @out is not null
            ? Dispatch.Out(new OpCall(op), @out, inputs, Compute)
            : Dispatch.Record(new OpCall(op), Compute, inputs, (Func<Tensor[], Backward>?)null);
        return (outputs[0], outputs[1]);
    }

    /// <summary>Checks an optional operand's shape, dtype and device against <paramref name="like"/>'s.</summary>
    private static void CheckOperand(string op, string name, Tensor? t, Tensor like, int[] shape)
    {
        if (t is null) return;
        if (!t._shape.AsSpan().SequenceEqual(shape))
            throw new ArgumentException($"{op}: {name} must have shape {Shapes.Format(shape)}, got {Shapes.Format(t._shape)}.");
        if (t.DType != like.DType)
            throw new ArgumentException($"{op}: {name} has dtype {t.DType.TorchName()} but the gates have {like.DType.TorchName()}.");
        ElementwiseDispatch.SameDevice(like, t, op);
    }

    /// <summary>The tensor itself when its rows are dense (unit stride along dim 1), else a contiguous copy: the kernels take a row stride.</summary>
    [return: System.Diagnostics.CodeAnalysis.NotNullIfNotNull(nameof(t))]
    private static Tensor? RowMajor(Tensor? t) => t is null || t._shape[1] <= 1 || t._strides[1] == 1 ? t : t.Contiguous();
}
