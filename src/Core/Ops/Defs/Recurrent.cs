using static Trace.Ops.OpTraits;

namespace Trace.Ops;

public static partial class OpTable
{
    // The LSTM cell's pointwise math in one pass per batch row, and its backward (what the cell's backward rule emits; it runs
    // only where no graph of the backward is recorded, so no gradient flows through it). Outputs: h', c', the activated gates.
    private static IEnumerable<OpDef> RecurrentOps() =>
    [
        DefN("trace::lstm_cell(Tensor input_gates, Tensor? hidden_gates, Tensor? cx) -> (Tensor, Tensor, Tensor)", FreshOutput | Transcendental,
            a => Triple(Tensor.LstmCell(a.T(0), a.OptT(1), a.OptT(2))), @out: (a, r) => Triple(Tensor.LstmCell(a.T(0), a.OptT(1), a.OptT(2), r))),
        DefN("trace::lstm_cell_backward(Tensor? grad_hy, Tensor? grad_cy, Tensor? cx, Tensor cy, Tensor workspace) -> (Tensor, Tensor)",
            FreshOutput | Transcendental | NonDifferentiable,
            a => Pair(Tensor.LstmCellBackward(a.OptT(0), a.OptT(1), a.OptT(2), a.T(3), a.T(4))),
            @out: (a, r) => Pair(Tensor.LstmCellBackward(a.OptT(0), a.OptT(1), a.OptT(2), a.T(3), a.T(4), r))),
    ];

    private static Tensor[] Pair((Tensor, Tensor) r) => [r.Item1, r.Item2];
}
