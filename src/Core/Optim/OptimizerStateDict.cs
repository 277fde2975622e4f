using System.Text.Json.Nodes;

namespace Trace.Optim;

/// <summary>
/// An optimizer's state as PyTorch's <c>optimizer.state_dict()</c> lays it out: per-parameter state keyed by the
/// parameter's index over all param groups in order (the first group's parameters are 0, 1, …, the next group's
/// continue the count), and the param groups with their options and the indices of their parameters. A parameter that
/// has not taken a step has no entry in <see cref="State"/>.
/// </summary>
/// <remarks>
/// The tensors are the optimizer's own buffers (not copies), as in PyTorch; <see cref="Optimizer.LoadStateDict"/> copies
/// them. <see cref="Optimizer.Save"/> writes this to a safetensors file: the tensors under <c>state.&lt;index&gt;.&lt;name&gt;</c>,
/// the rest as JSON in the file's metadata.
/// </remarks>
public sealed class OptimizerStateDict
{
    /// <summary>Per-parameter state by parameter index.</summary>
    public Dictionary<int, ParamStateDict> State { get; } = [];

    /// <summary>The param groups, in order.</summary>
    public List<ParamGroupStateDict> ParamGroups { get; } = [];
}

/// <summary>One parameter's entry of an <see cref="OptimizerStateDict"/>: its step count and its buffers by PyTorch's names.</summary>
public sealed class ParamStateDict
{
    /// <summary>Steps taken for the parameter (PyTorch's <c>state["step"]</c>).</summary>
    public long Step { get; set; }

    /// <summary>
    /// The buffers by name: <c>momentum_buffer</c> (SGD, RMSprop), <c>exp_avg</c>, <c>exp_avg_sq</c>, <c>max_exp_avg_sq</c>
    /// (Adam, AdamW), <c>square_avg</c>, <c>grad_avg</c> (RMSprop), <c>sum</c> (Adagrad); each shaped like the parameter.
    /// </summary>
    public Dictionary<string, Tensor> Tensors { get; } = [];
}

/// <summary>One param group of an <see cref="OptimizerStateDict"/>: its options by PyTorch's names and its parameters' indices.</summary>
public sealed class ParamGroupStateDict
{
    /// <summary>
    /// The options, as PyTorch's param group dict without <c>params</c>: <c>lr</c>, <c>weight_decay</c>, <c>betas</c>
    /// (an array of two numbers), <c>amsgrad</c> (a boolean), …, and <c>initial_lr</c> once an LR scheduler has set it.
    /// Infinite and NaN values are the strings <c>"inf"</c>, <c>"-inf"</c>, <c>"nan"</c>.
    /// </summary>
    public JsonObject Options { get; init; } = [];

    /// <summary>The indices of the group's parameters (PyTorch's <c>params</c>).</summary>
    public List<int> Params { get; init; } = [];
}
