using ILGPU.Algorithms;
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
public readonly struct F32 : IGpuElement<float>, IGpuReal<float>
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

    // Arithmetic of the group-per-output kernels (rows, reductions, indexing).
    /// <inheritdoc/>
    public static float Zero() => 0f;
    /// <inheritdoc/>
    public static float One() => 1f;
    /// <inheritdoc/>
    public static float Lowest() => float.NegativeInfinity;
    /// <inheritdoc/>
    public static float Highest() => float.PositiveInfinity;
    /// <inheritdoc/>
    public static float Add(float a, float b) => a + b;
    /// <inheritdoc/>
    public static float Sub(float a, float b) => a - b;
    /// <inheritdoc/>
    public static float Mul(float a, float b) => a * b;
    /// <inheritdoc/>
    public static bool Gt(float a, float b) => a > b;
    /// <inheritdoc/>
    public static bool Lt(float a, float b) => a < b;
    /// <inheritdoc/>
    public static bool Eq(float a, float b) => a == b;
    /// <inheritdoc/>
    public static bool IsNaN(float a) => float.IsNaN(a);
    /// <inheritdoc/>
    public static float Div(float a, float b) => a / b;
    /// <inheritdoc/>
    public static float Exp(float a) => XMath.Exp(a);
    /// <inheritdoc/>
    public static float Log(float a) => XMath.Log(a);
    /// <inheritdoc/>
    public static float Sqrt(float a) => XMath.Sqrt(a);
    /// <inheritdoc/>
    public static float Of(double a) => (float)a;
    /// <inheritdoc/>
    public static float OfSingle(float a) => a;
    /// <inheritdoc/>
    public static float Gelu(float a) => GpuMath.Gelu(a);
    /// <inheritdoc/>
    public static float GeluTanh(float a) => GpuMath.GeluTanh(a);
}

/// <summary>float64 on the device.</summary>
public readonly struct F64 : IGpuElement<double>, IGpuReal<double>
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

    // Arithmetic of the group-per-output kernels (rows, reductions, indexing).
    /// <inheritdoc/>
    public static double Zero() => 0d;
    /// <inheritdoc/>
    public static double One() => 1d;
    /// <inheritdoc/>
    public static double Lowest() => double.NegativeInfinity;
    /// <inheritdoc/>
    public static double Highest() => double.PositiveInfinity;
    /// <inheritdoc/>
    public static double Add(double a, double b) => a + b;
    /// <inheritdoc/>
    public static double Sub(double a, double b) => a - b;
    /// <inheritdoc/>
    public static double Mul(double a, double b) => a * b;
    /// <inheritdoc/>
    public static bool Gt(double a, double b) => a > b;
    /// <inheritdoc/>
    public static bool Lt(double a, double b) => a < b;
    /// <inheritdoc/>
    public static bool Eq(double a, double b) => a == b;
    /// <inheritdoc/>
    public static bool IsNaN(double a) => double.IsNaN(a);
    /// <inheritdoc/>
    public static double Div(double a, double b) => a / b;
    /// <inheritdoc/>
    public static double Exp(double a) => GpuMath.Exp(a);   // XMath's float64 exp/log compile to calls and local memory
    /// <inheritdoc/>
    public static double Log(double a) => GpuMath.Log(a);
    /// <inheritdoc/>
    public static double Sqrt(double a) => XMath.Sqrt(a);
    /// <inheritdoc/>
    public static double Of(double a) => a;
    /// <inheritdoc/>
    public static double OfSingle(float a) => a;
    /// <inheritdoc/>
    public static double Gelu(double a) => GpuMath.Gelu(a);
    /// <inheritdoc/>
    public static double GeluTanh(double a) => GpuMath.GeluTanh(a);
}

/// <summary>int64 on the device.</summary>
public readonly struct I64 : IGpuElement<long>, IGpuNumber<long>
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

    // Arithmetic of the group-per-output kernels (rows, reductions, indexing).
    /// <inheritdoc/>
    public static long Zero() => 0L;
    /// <inheritdoc/>
    public static long One() => 1L;
    /// <inheritdoc/>
    public static long Lowest() => long.MinValue;
    /// <inheritdoc/>
    public static long Highest() => long.MaxValue;
    /// <inheritdoc/>
    public static long Add(long a, long b) => unchecked(a + b);
    /// <inheritdoc/>
    public static long Sub(long a, long b) => unchecked(a - b);
    /// <inheritdoc/>
    public static long Mul(long a, long b) => unchecked(a * b);
    /// <inheritdoc/>
    public static bool Gt(long a, long b) => a > b;
    /// <inheritdoc/>
    public static bool Lt(long a, long b) => a < b;
    /// <inheritdoc/>
    public static bool Eq(long a, long b) => a == b;
    /// <inheritdoc/>
    public static bool IsNaN(long a) => false;
}

/// <summary>int32 on the device.</summary>
public readonly struct I32 : IGpuElement<int>, IGpuNumber<int>
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

    // Arithmetic of the group-per-output kernels (rows, reductions, indexing).
    /// <inheritdoc/>
    public static int Zero() => 0;
    /// <inheritdoc/>
    public static int One() => 1;
    /// <inheritdoc/>
    public static int Lowest() => int.MinValue;
    /// <inheritdoc/>
    public static int Highest() => int.MaxValue;
    /// <inheritdoc/>
    public static int Add(int a, int b) => unchecked(a + b);
    /// <inheritdoc/>
    public static int Sub(int a, int b) => unchecked(a - b);
    /// <inheritdoc/>
    public static int Mul(int a, int b) => unchecked(a * b);
    /// <inheritdoc/>
    public static bool Gt(int a, int b) => a > b;
    /// <inheritdoc/>
    public static bool Lt(int a, int b) => a < b;
    /// <inheritdoc/>
    public static bool Eq(int a, int b) => a == b;
    /// <inheritdoc/>
    public static bool IsNaN(int a) => false;
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
