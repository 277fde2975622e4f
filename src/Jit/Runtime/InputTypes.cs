namespace Trace.Jit;

/// <summary>
/// Checks the tensors a graph is run on against the types its inputs declare. Compiled code trusts the
/// declared types (a fusion group's loop runs over its declared shape and converts to its declared dtype), so a
/// call with other tensors would be cut or converted silently; here it is an error naming the input. It runs on
/// every call: the happy path compares ints and allocates nothing.
/// </summary>
internal static class InputTypes
{
    /// <summary>
    /// Throws <see cref="ArgumentException"/> unless <paramref name="inputs"/> has one tensor per input of
    /// <paramref name="graph"/>, each matching its declared type (<see cref="Matches"/>). <paramref name="what"/>
    /// names the graph in the message ("graph", "prim::FusionGroup body"). A symbolic size (<see cref="SymbolicDims"/>)
    /// is compared with its value at <paramref name="symbols"/>, the call's size symbols.
    /// </summary>
    public static void Check(Graph graph, IReadOnlyList<Tensor> inputs, string what, long[]? symbols = null)
    {
        var declared = graph.Inputs;
        if (inputs.Count != declared.Count)
            throw new ArgumentException($"JIT: the {what} takes {declared.Count} input(s) ({string.Join(", ", declared.Select(v => $"%{v.Name} : {v.Type}"))}), but the call passed {inputs.Count}.");
        for (int i = 0; i < declared.Count; i++)
        {
            var t = inputs[i];
            if (t is null || !Matches(declared[i].Type, t, symbols)) throw Mismatch(what, i, declared[i], t, symbols);
        }
    }

    /// <summary>
    /// The one rule for what a declared input type admits: <c>Tensor</c> admits any tensor; a specialized tensor
    /// type admits tensors of its dtype, device and sizes — a symbolic size the value of its expression at
    /// <paramref name="symbols"/>. Strides and requires_grad are not compared: kernels read any layout, and gradients
    /// are recorded as usual.
    /// </summary>
    public static bool Matches(JitType declared, Tensor actual, long[]? symbols = null)
    {
        if (declared is not TensorType d) return declared is ScalarType { Name: "Tensor" };
        if (actual.DType != d.DType || actual.Device != d.Device || actual._shape.Length != d.Shape.Length) return false;
        for (int k = 0; k < d.Shape.Length; k++)
        {
            int size = d.Shape[k];
            if (size >= 0 ? actual._shape[k] != size : symbols is null || SymbolicDims.Decode(size).Evaluate(symbols) != actual._shape[k]) return false;
        }
        return true;
    }

    private static ArgumentException Mismatch(string what, int index, Value declared, Tensor? actual, long[]? symbols)
    {
        string passed = actual is null ? "null" : TensorType.Of(actual).ToString();
        string why = actual is null ? "a tensor is required"
            : declared.Type is not TensorType d ? $"the {what} takes a {declared.Type}, not a tensor"
            : actual.DType != d.DType ? $"dtype {actual.DType.TorchName()} != declared {d.DType.TorchName()}"
            : actual.Device != d.Device ? $"device {actual.Device} != declared {d.Device}"
            : $"shape {Shapes.Format(actual._shape)} != declared {SymbolicDims.FormatShape(d.Shape)}" +
              (d.IsSymbolic && symbols is not null ? $" at {string.Join(", ", symbols.Select((v, s) => $"s{s} = {v}"))}" : "");
        return new ArgumentException($"JIT: {what} input {index} (%{declared.Name}) is declared {declared.Type}, but the call passed {passed}: {why}.");
    }
}
