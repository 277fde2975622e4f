namespace Trace;

/// <summary>
/// Elementwise closeness as <c>torch.isclose</c> defines it — the one definition every comparison in Trace uses
/// (the JIT's trace check, <c>TraceAssert</c>, <see cref="Autograd.GradCheck"/>): equal values (equal infinities,
/// ±0) are close; otherwise an infinity is close to nothing, NaN only to NaN when <c>equalNan</c>, and finite
/// values when <c>|actual − expected| ≤ atol + rtol·|expected|</c>.
/// </summary>
public static class Closeness
{
    /// <summary>Whether <paramref name="actual"/> is close to <paramref name="expected"/>.</summary>
    public static bool IsClose(double actual, double expected, double rtol, double atol, bool equalNan = true)
    {
        if (actual == expected) return true;
        if (double.IsNaN(actual) || double.IsNaN(expected)) return equalNan && double.IsNaN(actual) && double.IsNaN(expected);
        if (double.IsInfinity(actual) || double.IsInfinity(expected)) return false;
        return Math.Abs(actual - expected) <= atol + rtol * Math.Abs(expected);
    }

    /// <summary>The first flat index where <paramref name="actual"/> is not close to <paramref name="expected"/>, or -1.</summary>
    public static int FirstMismatch(ReadOnlySpan<double> actual, ReadOnlySpan<double> expected, double rtol, double atol, bool equalNan = true)
    {
        if (actual.Length != expected.Length)
            throw new ArgumentException($"Closeness: {actual.Length} values compared with {expected.Length}.");
        for (int i = 0; i < actual.Length; i++)
            if (!IsClose(actual[i], expected[i], rtol, atol, equalNan)) return i;
        return -1;
    }
}

public sealed partial class Tensor
{
    /// <summary>
    /// True when every element of this tensor is close to the matching element of <paramref name="other"/>
    /// (broadcast together), as <c>torch.allclose</c>: <c>|self − other| ≤ atol + rtol·|other|</c>, equal infinities
    /// close, NaN close to NaN only with <paramref name="equalNan"/>.
    /// </summary>
    public bool AllClose(Tensor other, double rtol = 1e-5, double atol = 1e-8, bool equalNan = false)
    {
        ArgumentNullException.ThrowIfNull(other);
        var shape = Shapes.Broadcast(_shape, other._shape, "aten::allclose");
        // The answer is control flow in .NET: a trace guards both tensors' values.
        Dispatch.Read(this, "AllClose");
        Dispatch.Read(other, "AllClose");
        using var _ = Dispatch.Internal();
        double[] a = Expand(shape).To(DType.Float64).ToArray<double>(), b = other.Expand(shape).To(DType.Float64).ToArray<double>();
        return Closeness.FirstMismatch(a, b, rtol, atol, equalNan) < 0;
    }
}
