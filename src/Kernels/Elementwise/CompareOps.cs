using System.Numerics;

namespace Trace.Kernels;

/// <summary>a == b.</summary>
public readonly struct EqOp<T> : ICompareOp<T> where T : unmanaged, IEqualityOperators<T, T, bool>
{
    /// <inheritdoc/>
    public static bool Apply(T a, T b) => a == b;
}

/// <summary>a != b.</summary>
public readonly struct NeOp<T> : ICompareOp<T> where T : unmanaged, IEqualityOperators<T, T, bool>
{
    /// <inheritdoc/>
    public static bool Apply(T a, T b) => a != b;
}

/// <summary>a &lt; b.</summary>
public readonly struct LtOp<T> : ICompareOp<T> where T : unmanaged, IComparisonOperators<T, T, bool>
{
    /// <inheritdoc/>
    public static bool Apply(T a, T b) => a < b;
}

/// <summary>a &lt;= b.</summary>
public readonly struct LeOp<T> : ICompareOp<T> where T : unmanaged, IComparisonOperators<T, T, bool>
{
    /// <inheritdoc/>
    public static bool Apply(T a, T b) => a <= b;
}

/// <summary>a &gt; b.</summary>
public readonly struct GtOp<T> : ICompareOp<T> where T : unmanaged, IComparisonOperators<T, T, bool>
{
    /// <inheritdoc/>
    public static bool Apply(T a, T b) => a > b;
}

/// <summary>a &gt;= b.</summary>
public readonly struct GeOp<T> : ICompareOp<T> where T : unmanaged, IComparisonOperators<T, T, bool>
{
    /// <inheritdoc/>
    public static bool Apply(T a, T b) => a >= b;
}

/// <summary>a &amp;&amp; b on bools.</summary>
public readonly struct AndOp : ICompareOp<bool>
{
    /// <inheritdoc/>
    public static bool Apply(bool a, bool b) => a && b;
}

/// <summary>a || b on bools.</summary>
public readonly struct OrOp : ICompareOp<bool>
{
    /// <inheritdoc/>
    public static bool Apply(bool a, bool b) => a || b;
}

/// <summary>a ^ b on bools.</summary>
public readonly struct XorOp : ICompareOp<bool>
{
    /// <inheritdoc/>
    public static bool Apply(bool a, bool b) => a ^ b;
}
