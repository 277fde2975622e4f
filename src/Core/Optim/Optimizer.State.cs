using System.Text.Json.Nodes;

namespace Trace.Optim;

/// <summary>An optimizer's state dict (PyTorch's <c>state_dict()</c> / <c>load_state_dict()</c>).</summary>
public abstract partial class Optimizer
{
    /// <summary>
    /// The names of the state buffers this optimizer keeps (PyTorch's, e.g. <c>exp_avg</c>); a state dict naming another
    /// buffer does not load. Every buffer name of <see cref="ParamState"/> unless an optimizer says otherwise.
    /// </summary>
    private protected virtual IReadOnlyCollection<string> StateNames => ParamState.BufferNames;

    /// <summary>
    /// The optimizer's state in PyTorch's layout (see <see cref="OptimizerStateDict"/>): each parameter that has state, by
    /// its index over all groups, with its step count and buffers (the optimizer's own tensors, not copies), and each group's
    /// options with its parameters' indices.
    /// </summary>
    public OptimizerStateDict StateDict()
    {
        var d = new OptimizerStateDict();
        int index = 0;
        foreach (var g in _groups)
        {
            var gd = new ParamGroupStateDict { Options = g.OptionsToJson() };
            foreach (var p in g.Params)
            {
                if (_state.TryGetValue(p, out var s))
                {
                    var e = new ParamStateDict { Step = s.Step };
                    foreach (var (name, get, _) in ParamState.Buffers)
                        if (get(s) is { } t) e.Tensors[name] = t;
                    d.State[index] = e;
                }
                gd.Params.Add(index++);
            }
            d.ParamGroups.Add(gd);
        }
        return d;
    }

    /// <summary>
    /// Replaces the optimizer's state and its groups' options with <paramref name="state"/>'s (PyTorch's
    /// <c>load_state_dict</c>): the saved parameter indices map, group by group and in order, onto this optimizer's
    /// parameters; buffers are copied, converted to each parameter's dtype and moved to its device. Everything is checked
    /// before anything changes: the number of groups and of parameters in each, the indices, the buffer names and shapes,
    /// and the options (names this optimizer uses, values it accepts).
    /// </summary>
    /// <exception cref="ArgumentException">The state dict does not fit this optimizer; the message says what does not match.</exception>
    public void LoadStateDict(OptimizerStateDict state) => PrepareLoad(state)();

    /// <summary>Checks <paramref name="state"/> and returns what loads it (so that a checkpoint loads everything or nothing).</summary>
    internal Action PrepareLoad(OptimizerStateDict state)
    {
        ArgumentNullException.ThrowIfNull(state);
        string api = $"{Name}.LoadStateDict";
        if (state.ParamGroups.Count != _groups.Count)
            throw new ArgumentException($"{api}: loaded state dict has a different number of parameter groups: {state.ParamGroups.Count} in the state dict, {_groups.Count} in the optimizer.", nameof(state));
        var paramOf = new Dictionary<int, (Tensor Param, int Group)>();
        var options = new ParamGroup[_groups.Count];
        for (int gi = 0; gi < _groups.Count; gi++)
        {
            var saved = state.ParamGroups[gi] ?? throw new ArgumentException($"{api}: param group {gi} of the state dict is null.", nameof(state));
            var group = _groups[gi];
            if (saved.Params.Count != group.Params.Count)
                throw new ArgumentException(
                    $"{api}: loaded state dict contains a parameter group that doesn't match the size of optimizer's group: param group {gi} has {saved.Params.Count} parameters in the state dict, {group.Params.Count} in the optimizer.", nameof(state));
            for (int i = 0; i < saved.Params.Count; i++)
                if (!paramOf.TryAdd(saved.Params[i], (group.Params[i], gi)))
                    throw new ArgumentException($"{api}: parameter index {saved.Params[i]} appears more than once in the state dict's param groups.", nameof(state));
            string where = $"{api}: param group {gi} of the state dict";
            var probe = group.WithOptions(saved.Options ?? [], where);
            ValidateOptions(probe, $" in param group {gi} of the state dict");
            options[gi] = probe;
        }
        foreach (var (index, entry) in state.State)
        {
            if (!paramOf.TryGetValue(index, out var owner))
                throw new ArgumentException($"{api}: the state dict has state for parameter index {index}, which none of its param groups lists (indices: {string.Join(", ", paramOf.Keys.Order())}).", nameof(state));
            var p = owner.Param;
            string what = $"parameter {index} (param group {owner.Group}, shape {Shapes.Format(p.Shape)})";
            if (entry is null) throw new ArgumentException($"{api}: the state of {what} is null.", nameof(state));
            if (entry.Step < 0) throw new ArgumentException($"{api}: the state of {what} has step {entry.Step}; a step count is >= 0.", nameof(state));
            foreach (var (name, t) in entry.Tensors)
            {
                if (!StateNames.Contains(name))
                    throw new ArgumentException($"{api}: the state of {what} has '{name}', which {Name} does not keep (it keeps: {string.Join(", ", StateNames)}).", nameof(state));
                if (t is null) throw new ArgumentException($"{api}: '{name}' of {what} is null.", nameof(state));
                if (!t.Shape.SequenceEqual(p.Shape))
                    throw new ArgumentException($"{api}: '{name}' of {what} has shape {Shapes.Format(t.Shape)} in the state dict; it must have the parameter's shape.", nameof(state));
                if (!t.IsFloatingPoint)
                    throw new ArgumentException($"{api}: '{name}' of {what} has dtype {t.DType.TorchName()}; state buffers are floating point.", nameof(state));
                t.Storage.CheckAlive(api);
            }
        }
        // Everything fits: the buffers are copied now (so that the state dict may change afterwards), then swapped in.
        var loaded = new Dictionary<Tensor, ParamState>(ReferenceEqualityComparer.Instance);
        using (Autograd.NoGrad())
            foreach (var (index, entry) in state.State)
            {
                var p = paramOf[index].Param;
                var s = new ParamState { Step = entry.Step };
                foreach (var (name, _, set) in ParamState.Buffers)
                    if (entry.Tensors.TryGetValue(name, out var t)) set(s, ZerosLike(p).Copy_(t));
                loaded[p] = s;
            }
        return () =>
        {
            for (int gi = 0; gi < _groups.Count; gi++) _groups[gi].CopyOptionsFrom(options[gi]);
            _state.Clear();
            foreach (var (p, s) in loaded) _state[p] = s;
        };
    }
}
