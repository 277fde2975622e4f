namespace Trace.Jit;

/// <summary>One input's part of a specialization key.</summary>
internal readonly record struct InputSignature(DType DType, int[] Shape, Device Device, bool RequiresGrad, bool Contiguous)
{
    public static InputSignature Of(Tensor t) => new(t.DType, [.. t.Shape], t.Device, t.RequiresGrad, t.IsContiguous);

    public bool Equals(InputSignature other) => DType == other.DType && Device == other.Device && RequiresGrad == other.RequiresGrad &&
        Contiguous == other.Contiguous && Shape.AsSpan().SequenceEqual(other.Shape);

    public override int GetHashCode()
    {
        var h = new HashCode();
        h.Add(DType);
        h.Add(RequiresGrad);
        foreach (int d in Shape) h.Add(d);
        return h.ToHashCode();
    }

    /// <summary>The fields that differ, e.g. <c>shape (32, 1000) != traced (64, 1000)</c>.</summary>
    public IEnumerable<string> Differences(InputSignature traced)
    {
        if (!Shape.AsSpan().SequenceEqual(traced.Shape)) yield return $"shape {Shapes.Format(Shape)} != traced {Shapes.Format(traced.Shape)}";
        if (DType != traced.DType) yield return $"dtype {DType.TorchName()} != traced {traced.DType.TorchName()}";
        if (Device != traced.Device) yield return $"device {Device} != traced {traced.Device}";
        if (RequiresGrad != traced.RequiresGrad) yield return $"requires_grad {RequiresGrad} != traced {traced.RequiresGrad}";
        if (Contiguous != traced.Contiguous) yield return $"{(Contiguous ? "contiguous" : "strided")} != traced {(traced.Contiguous ? "contiguous" : "strided")}";
    }
}

/// <summary>
/// What a specialization is keyed on: each input's dtype, shape, device, requires_grad and contiguity, grad mode, and the
/// training mode of each module of a traced model (empty for a function).
/// </summary>
internal sealed record Signature(InputSignature[] Inputs, bool GradEnabled, bool[] Training)
{
    public static Signature Of(IReadOnlyList<Tensor> inputs, bool[] training) => new(inputs.Select(InputSignature.Of).ToArray(), Autograd.IsEnabled, training);

    public bool Equals(Signature? other) => other is not null && GradEnabled == other.GradEnabled && Inputs.SequenceEqual(other.Inputs) &&
        Training.AsSpan().SequenceEqual(other.Training);

    public override int GetHashCode() => Inputs.Aggregate(GradEnabled ? 1 : 0, (h, s) => HashCode.Combine(h, s));

    /// <summary>Why this call's signature differs from a traced one, e.g. <c>input 0 (x): shape (32, 1000) != traced (64, 1000)</c>.</summary>
    public string Explain(Signature traced, IReadOnlyList<string> names, IReadOnlyList<string> modules)
    {
        if (Inputs.Length != traced.Inputs.Length) return $"{Inputs.Length} inputs != traced {traced.Inputs.Length}";
        var reasons = new List<string>();
        for (int i = 0; i < Inputs.Length; i++)
            foreach (var d in Inputs[i].Differences(traced.Inputs[i]))
                reasons.Add($"input {i} ({(i < names.Count ? names[i] : "?")}): {d}");
        if (GradEnabled != traced.GradEnabled) reasons.Add($"grad mode {(GradEnabled ? "enabled" : "disabled")} != traced {(traced.GradEnabled ? "enabled" : "disabled")}");
        static string Mode(bool training) => training ? "training" : "eval";
        for (int i = 0; i < Math.Min(Training.Length, traced.Training.Length); i++)
            if (Training[i] != traced.Training[i])
                reasons.Add($"module {(i < modules.Count ? modules[i] : i.ToString(System.Globalization.CultureInfo.InvariantCulture))}: {Mode(Training[i])} mode != traced {Mode(traced.Training[i])} mode");
        if (Training.Length != traced.Training.Length) reasons.Add($"{Training.Length} modules != traced {traced.Training.Length}");
        return string.Join("; ", reasons);
    }
}
