namespace Trace.Kernels;

/// <summary>The activations with dedicated span loops in <see cref="VectorMath"/>.</summary>
public enum VectorMathFunction
{
    /// <summary>tanh.</summary>
    Tanh,
    /// <summary>Logistic sigmoid.</summary>
    Sigmoid,
    /// <summary>Error function.</summary>
    Erf,
    /// <summary>Exact GELU.</summary>
    Gelu,
    /// <summary>Tanh-approximated GELU.</summary>
    GeluTanh,
}

/// <summary>
/// Row kernel for the <see cref="VectorMath"/> activations: contiguous rows use its unrolled span loops
/// (faster than the generic <see cref="SpanKernels.Unary{T, TOp}"/> for these large function bodies),
/// strided rows the scalar forms, which give bit-identical results. Operands (y, x).
/// </summary>
public readonly struct VectorMathRows(float[]? yf, float[]? xf, double[]? yd, double[]? xd, VectorMathFunction f) : IRowKernel
{
    /// <summary>Float32 form.</summary>
    public VectorMathRows(float[] y, float[] x, VectorMathFunction f) : this(y, x, null, null, f) { }

    /// <summary>Float64 form.</summary>
    public VectorMathRows(double[] y, double[] x, VectorMathFunction f) : this(null, null, y, x, f) { }

    /// <inheritdoc/>
    public void Row(ReadOnlySpan<int> off, ReadOnlySpan<int> st, int n)
    {
        if (st[0] == 1 && st[1] == 1)
        {
            if (yf is not null) Span(xf!.AsSpan(off[1], n), yf.AsSpan(off[0], n));
            else Span(xd!.AsSpan(off[1], n), yd!.AsSpan(off[0], n));
            return;
        }
        if (yf is not null)
            for (int i = 0, o = off[0], p = off[1]; i < n; i++, o += st[0], p += st[1]) yf[o] = Scalar(xf![p]);
        else
            for (int i = 0, o = off[0], p = off[1]; i < n; i++, o += st[0], p += st[1]) yd![o] = Scalar(xd![p]);
    }

    private void Span(ReadOnlySpan<float> x, Span<float> y)
    {
        switch (f)
        {
            case VectorMathFunction.Tanh: VectorMath.Tanh(x, y); break;
            case VectorMathFunction.Sigmoid: VectorMath.Sigmoid(x, y); break;
            case VectorMathFunction.Erf: VectorMath.Erf(x, y); break;
            case VectorMathFunction.Gelu: VectorMath.Gelu(x, y); break;
            default: VectorMath.GeluTanh(x, y); break;
        }
    }

    private void Span(ReadOnlySpan<double> x, Span<double> y)
    {
        switch (f)
        {
            case VectorMathFunction.Tanh: VectorMath.Tanh(x, y); break;
            case VectorMathFunction.Sigmoid: VectorMath.Sigmoid(x, y); break;
            case VectorMathFunction.Erf: VectorMath.Erf(x, y); break;
            case VectorMathFunction.Gelu: VectorMath.Gelu(x, y); break;
            default: VectorMath.GeluTanh(x, y); break;
        }
    }

    private float Scalar(float x) => f switch
    {
        VectorMathFunction.Tanh => VectorMath.Tanh(x),
        VectorMathFunction.Sigmoid => VectorMath.Sigmoid(x),
        VectorMathFunction.Erf => VectorMath.Erf(x),
        VectorMathFunction.Gelu => VectorMath.Gelu(x),
        _ => VectorMath.GeluTanh(x),
    };

    private double Scalar(double x) => f switch
    {
        VectorMathFunction.Tanh => VectorMath.Tanh(x),
        VectorMathFunction.Sigmoid => VectorMath.Sigmoid(x),
        VectorMathFunction.Erf => VectorMath.Erf(x),
        VectorMathFunction.Gelu => VectorMath.Gelu(x),
        _ => VectorMath.GeluTanh(x),
    };
}
