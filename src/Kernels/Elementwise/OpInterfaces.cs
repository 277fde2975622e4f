using System.Runtime.Intrinsics;

namespace Trace.Kernels;

/// <summary>An elementwise function of one value, with scalar and vector forms that agree.</summary>
public interface IUnaryOp<T> where T : unmanaged
{
    /// <summary>Scalar form (used for tails and strided data).</summary>
    static abstract T Apply(T x);
    /// <summary>Vector512 form.</summary>
    static abstract Vector512<T> Apply(Vector512<T> x);
    /// <summary>Vector256 form.</summary>
    static abstract Vector256<T> Apply(Vector256<T> x);
}

/// <summary>An elementwise function of two values, with scalar and vector forms that agree.</summary>
public interface IBinaryOp<T> where T : unmanaged
{
    /// <summary>Scalar form.</summary>
    static abstract T Apply(T a, T b);
    /// <summary>Vector512 form.</summary>
    static abstract Vector512<T> Apply(Vector512<T> a, Vector512<T> b);
    /// <summary>Vector256 form.</summary>
    static abstract Vector256<T> Apply(Vector256<T> a, Vector256<T> b);
}

/// <summary>A comparison producing a boolean per element.</summary>
public interface ICompareOp<T> where T : unmanaged
{
    /// <summary>Compares two values.</summary>
    static abstract bool Apply(T a, T b);
}
