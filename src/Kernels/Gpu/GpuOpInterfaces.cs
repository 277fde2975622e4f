namespace Trace.Kernels.Gpu;

/// <summary>A GPU elementwise function of one value (a struct whose static method ILGPU inlines into the kernel).</summary>
public interface IGpuUnaryOp<T> where T : unmanaged
{
    /// <summary>The function.</summary>
    static abstract T Apply(T x);
}

/// <summary>A GPU elementwise function of two values.</summary>
public interface IGpuBinaryOp<T> where T : unmanaged
{
    /// <summary>The function.</summary>
    static abstract T Apply(T a, T b);
}

/// <summary>A GPU comparison or logical op; bool is stored as one byte (0 or 1) on the device.</summary>
public interface IGpuCompareOp<T> where T : unmanaged
{
    /// <summary>The predicate.</summary>
    static abstract bool Apply(T a, T b);
}

/// <summary>A CPU kernel struct whose scalar form ILGPU compiles (plain arithmetic, no SIMD), used on the GPU as is.</summary>
public readonly struct Scalar<T, TOp> : IGpuUnaryOp<T> where T : unmanaged where TOp : IUnaryOp<T>
{
    /// <inheritdoc/>
    public static T Apply(T x) => TOp.Apply(x);
}

/// <summary>A CPU binary kernel struct used on the GPU through its scalar form.</summary>
public readonly struct Scalar2<T, TOp> : IGpuBinaryOp<T> where T : unmanaged where TOp : IBinaryOp<T>
{
    /// <inheritdoc/>
    public static T Apply(T a, T b) => TOp.Apply(a, b);
}

/// <summary>A CPU comparison struct used on the GPU.</summary>
public readonly struct ScalarCompare<T, TOp> : IGpuCompareOp<T> where T : unmanaged where TOp : ICompareOp<T>
{
    /// <inheritdoc/>
    public static bool Apply(T a, T b) => TOp.Apply(a, b);
}

/// <summary>Conversion of a device element type to and from the two carriers of a cast (double and long).</summary>
public interface IGpuElement<T> where T : unmanaged
{
    /// <summary>True for float32/float64 (a cast from it goes through double, else through long).</summary>
    static abstract bool IsFloating { get; }
    /// <summary>The value as double.</summary>
    static abstract double ToDouble(T x);
    /// <summary>The value as long.</summary>
    static abstract long ToLong(T x);
    /// <summary>The value from double (truncating toward zero for integers; bool is x != 0).</summary>
    static abstract T FromDouble(double x);
    /// <summary>The value from long.</summary>
    static abstract T FromLong(long x);
}

/// <summary>float32 on the device.</summary>
public readonly struct F32 : IGpuElement<float>
{
    /// <inheritdoc/>
    public static bool IsFloating => true;
    /// <inheritdoc/>
    public static double ToDouble(float x) => x;
    /// <inheritdoc/>
    public static long ToLong(float x) => (long)x;
    /// <inheritdoc/>
    public static float FromDouble(double x) => (float)x;
    /// <inheritdoc/>
    public static float FromLong(long x) => x;
}

/// <summary>float64 on the device.</summary>
public readonly struct F64 : IGpuElement<double>
{
    /// <inheritdoc/>
    public static bool IsFloating => true;
    /// <inheritdoc/>
    public static double ToDouble(double x) => x;
    /// <inheritdoc/>
    public static long ToLong(double x) => (long)x;
    /// <inheritdoc/>
    public static double FromDouble(double x) => x;
    /// <inheritdoc/>
    public static double FromLong(long x) => x;
}

/// <summary>int64 on the device.</summary>
public readonly struct I64 : IGpuElement<long>
{
    /// <inheritdoc/>
    public static bool IsFloating => false;
    /// <inheritdoc/>
    public static double ToDouble(long x) => x;
    /// <inheritdoc/>
    public static long ToLong(long x) => x;
    /// <inheritdoc/>
    public static long FromDouble(double x) => (long)x;
    /// <inheritdoc/>
    public static long FromLong(long x) => x;
}

/// <summary>int32 on the device.</summary>
public readonly struct I32 : IGpuElement<int>
{
    /// <inheritdoc/>
    public static bool IsFloating => false;
    /// <inheritdoc/>
    public static double ToDouble(int x) => x;
    /// <inheritdoc/>
    public static long ToLong(int x) => x;
    /// <inheritdoc/>
    public static int FromDouble(double x) => (int)x;
    /// <inheritdoc/>
    public static int FromLong(long x) => (int)x;
}

/// <summary>bool on the device: one byte, 0 or 1.</summary>
public readonly struct B8 : IGpuElement<byte>
{
    /// <inheritdoc/>
    public static bool IsFloating => false;
    /// <inheritdoc/>
    public static double ToDouble(byte x) => x;
    /// <inheritdoc/>
    public static long ToLong(byte x) => x;
    /// <inheritdoc/>
    public static byte FromDouble(double x) => x != 0 ? (byte)1 : (byte)0;
    /// <inheritdoc/>
    public static byte FromLong(long x) => x != 0 ? (byte)1 : (byte)0;
}
