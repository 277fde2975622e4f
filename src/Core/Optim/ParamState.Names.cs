namespace Trace.Optim;

/// <summary>The state buffers by PyTorch's names, for state dicts (<c>exp_avg</c>, <c>momentum_buffer</c>, …).</summary>
public sealed partial class ParamState
{
    /// <summary>Every buffer name, in PyTorch's spelling, with its accessors.</summary>
    internal static readonly (string Name, Func<ParamState, Tensor?> Get, Action<ParamState, Tensor> Set)[] Buffers =
    [
        ("momentum_buffer", s => s.MomentumBuffer, (s, t) => s.MomentumBuffer = t),
        ("exp_avg", s => s.ExpAvg, (s, t) => s.ExpAvg = t),
        ("exp_avg_sq", s => s.ExpAvgSq, (s, t) => s.ExpAvgSq = t),
        ("max_exp_avg_sq", s => s.MaxExpAvgSq, (s, t) => s.MaxExpAvgSq = t),
        ("square_avg", s => s.SquareAvg, (s, t) => s.SquareAvg = t),
        ("grad_avg", s => s.GradAvg, (s, t) => s.GradAvg = t),
        ("sum", s => s.Sum, (s, t) => s.Sum = t),
    ];

    /// <summary>Every buffer name.</summary>
    internal static readonly string[] BufferNames = [.. Buffers.Select(b => b.Name)];
}
