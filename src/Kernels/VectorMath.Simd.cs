// The wrappers below are identical up to register width, element type and (for the x2 pairs, which hold two
// registers processed in lockstep) register count; they were produced from one template, keep them in sync.
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace Trace.Kernels;

public static partial class VectorMath
{
    /// <summary>
    /// One SIMD register of <c>float</c> or <c>double</c> lanes. The kernels in this class are written once against
    /// this interface and the JIT specialises them per wrapper struct, so scalar (one <see cref="Vector128{T}"/> lane),
    /// 256-bit and 512-bit evaluation execute the identical sequence of IEEE operations and agree bit for bit.
    /// Masks are registers whose lanes are all-ones or all-zeros.
    /// </summary>
    private interface ISimd<TSelf> where TSelf : struct, ISimd<TSelf>
    {
        /// <summary>Broadcast; float wrappers round the value to float (pass float literals for float-exact constants).</summary>
        static abstract TSelf C(double value);
        static abstract TSelf operator +(TSelf a, TSelf b);
        static abstract TSelf operator -(TSelf a, TSelf b);
        static abstract TSelf operator *(TSelf a, TSelf b);
        static abstract TSelf operator /(TSelf a, TSelf b);
        static abstract TSelf operator -(TSelf a);
        /// <summary>a * b + c with a single rounding.</summary>
        static abstract TSelf Fma(TSelf a, TSelf b, TSelf c);
        static abstract TSelf Abs(TSelf x);
        static abstract TSelf CopySign(TSelf magnitude, TSelf sign);
        /// <summary>Platform min; NaN behaviour unspecified, so callers never rely on it for NaN propagation.</summary>
        static abstract TSelf MinNative(TSelf a, TSelf b);
        /// <summary>Platform max; NaN behaviour unspecified, so callers never rely on it for NaN propagation.</summary>
        static abstract TSelf MaxNative(TSelf a, TSelf b);
        /// <summary>Mask of a &lt; b (false where either is NaN).</summary>
        static abstract TSelf LessThan(TSelf a, TSelf b);
        static abstract TSelf Select(TSelf mask, TSelf ifTrue, TSelf ifFalse);
        /// <summary>Reinterprets the lanes as integers and shifts them left by the mantissa width (23 or 52).</summary>
        static abstract TSelf ShiftIntoExponent(TSelf bits);
        /// <summary>Element-type specific exp for arguments &lt;= ~1 (+0 below exp(-84) float / exp(-700) double).</summary>
        static abstract TSelf Exp(TSelf x);
        /// <summary>exp(hi + lo) for a two-part argument, see <c>ExpF</c>/<c>ExpD</c>.</summary>
        static abstract TSelf Exp(TSelf hi, TSelf lo);
        static abstract TSelf Tanh(TSelf x);
        /// <summary>erf(a) and erfc(a) for a &gt;= 0 (or NaN), given a*a = a2Hi + a2Lo.</summary>
        static abstract TSelf ErfErfc(TSelf a, TSelf a2Hi, TSelf a2Lo, out TSelf erfc);
    }

    private readonly struct F128(Vector128<float> v) : ISimd<F128>
    {
        public readonly Vector128<float> V = v;
        [MethodImpl(MethodImplOptions.AggressiveInlining)] public static F128 C(double value) => new(Vector128.Create((float)value));
        [MethodImpl(MethodImplOptions.AggressiveInlining)] public static F128 operator +(F128 a, F128 b) => new(a.V + b.V);
        [MethodImpl(MethodImplOptions.AggressiveInlining)] public static F128 operator -(F128 a, F128 b) => new(a.V - b.V);
        [MethodImpl(MethodImplOptions.AggressiveInlining)] public static F128 operator *(F128 a, F128 b) => new(a.V * b.V);
        [MethodImpl(MethodImplOptions.AggressiveInlining)] public static F128 operator /(F128 a, F128 b) => new(a.V / b.V);
        [MethodImpl(MethodImplOptions.AggressiveInlining)] public static F128 operator -(F128 a) => new(-a.V);
        [MethodImpl(MethodImplOptions.AggressiveInlining)] public static F128 Fma(F128 a, F128 b, F128 c) => new(Vector128.FusedMultiplyAdd(a.V, b.V, c.V));
        [MethodImpl(MethodImplOptions.AggressiveInlining)] public static F128 Abs(F128 x) => new(Vector128.Abs(x.V));
        [MethodImpl(MethodImplOptions.AggressiveInlining)] public static F128 CopySign(F128 m, F128 s) => new(Vector128.CopySign(m.V, s.V));
        [MethodImpl(MethodImplOptions.AggressiveInlining)] public static F128 MinNative(F128 a, F128 b) => new(Vector128.MinNative(a.V, b.V));
        [MethodImpl(MethodImplOptions.AggressiveInlining)] public static F128 MaxNative(F128 a, F128 b) => new(Vector128.MaxNative(a.V, b.V));
        [MethodImpl(MethodImplOptions.AggressiveInlining)] public static F128 LessThan(F128 a, F128 b) => new(Vector128.LessThan(a.V, b.V));
        [MethodImpl(MethodImplOptions.AggressiveInlining)] public static F128 Select(F128 m, F128 t, F128 f) => new(Vector128.ConditionalSelect(m.V, t.V, f.V));
        [MethodImpl(MethodImplOptions.AggressiveInlining)] public static F128 ShiftIntoExponent(F128 b) => new(Vector128.ShiftLeft(b.V.AsInt32(), 23).AsSingle());
        [MethodImpl(MethodImplOptions.AggressiveInlining)] public static F128 Exp(F128 x) => ExpF(x);
        [MethodImpl(MethodImplOptions.AggressiveInlining)] public static F128 Exp(F128 hi, F128 lo) => ExpF(hi, lo);
        [MethodImpl(MethodImplOptions.AggressiveInlining)] public static F128 Tanh(F128 x) => TanhF(x);
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static F128 ErfErfc(F128 a, F128 a2Hi, F128 a2Lo, out F128 erfc) => ErfErfcF(a, a2Hi, a2Lo, out erfc);
    }

    private readonly struct F256(Vector256<float> v) : ISimd<F256>
    {
        public readonly Vector256<float> V = v;
        [MethodImpl(MethodImplOptions.AggressiveInlining)] public static F256 C(double value) => new(Vector256.Create((float)value));
        [MethodImpl(MethodImplOptions.AggressiveInlining)] public static F256 operator +(F256 a, F256 b) => new(a.V + b.V);
        [MethodImpl(MethodImplOptions.AggressiveInlining)] public static F256 operator -(F256 a, F256 b) => new(a.V - b.V);
        [MethodImpl(MethodImplOptions.AggressiveInlining)] public static F256 operator *(F256 a, F256 b) => new(a.V * b.V);
        [MethodImpl(MethodImplOptions.AggressiveInlining)] public static F256 operator /(F256 a, F256 b) => new(a.V / b.V);
        [MethodImpl(MethodImplOptions.AggressiveInlining)] public static F256 operator -(F256 a) => new(-a.V);
        [MethodImpl(MethodImplOptions.AggressiveInlining)] public static F256 Fma(F256 a, F256 b, F256 c) => new(Vector256.FusedMultiplyAdd(a.V, b.V, c.V));
        [MethodImpl(MethodImplOptions.AggressiveInlining)] public static F256 Abs(F256 x) => new(Vector256.Abs(x.V));
        [MethodImpl(MethodImplOptions.AggressiveInlining)] public static F256 CopySign(F256 m, F256 s) => new(Vector256.CopySign(m.V, s.V));
        [MethodImpl(MethodImplOptions.AggressiveInlining)] public static F256 MinNative(F256 a, F256 b) => new(Vector256.MinNative(a.V, b.V));
        [MethodImpl(MethodImplOptions.AggressiveInlining)] public static F256 MaxNative(F256 a, F256 b) => new(Vector256.MaxNative(a.V, b.V));
        [MethodImpl(MethodImplOptions.AggressiveInlining)] public static F256 LessThan(F256 a, F256 b) => new(Vector256.LessThan(a.V, b.V));
        [MethodImpl(MethodImplOptions.AggressiveInlining)] public static F256 Select(F256 m, F256 t, F256 f) => new(Vector256.ConditionalSelect(m.V, t.V, f.V));
        [MethodImpl(MethodImplOptions.AggressiveInlining)] public static F256 ShiftIntoExponent(F256 b) => new(Vector256.ShiftLeft(b.V.AsInt32(), 23).AsSingle());
        [MethodImpl(MethodImplOptions.AggressiveInlining)] public static F256 Exp(F256 x) => ExpF(x);
        [MethodImpl(MethodImplOptions.AggressiveInlining)] public static F256 Exp(F256 hi, F256 lo) => ExpF(hi, lo);
        [MethodImpl(MethodImplOptions.AggressiveInlining)] public static F256 Tanh(F256 x) => TanhF(x);
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static F256 ErfErfc(F256 a, F256 a2Hi, F256 a2Lo, out F256 erfc) => ErfErfcF(a, a2Hi, a2Lo, out erfc);
    }

    private readonly struct F512(Vector512<float> v) : ISimd<F512>
    {
        public readonly Vector512<float> V = v;
        [MethodImpl(MethodImplOptions.AggressiveInlining)] public static F512 C(double value) => new(Vector512.Create((float)value));
        [MethodImpl(MethodImplOptions.AggressiveInlining)] public static F512 operator +(F512 a, F512 b) => new(a.V + b.V);
        [MethodImpl(MethodImplOptions.AggressiveInlining)] public static F512 operator -(F512 a, F512 b) => new(a.V - b.V);
        [MethodImpl(MethodImplOptions.AggressiveInlining)] public static F512 operator *(F512 a, F512 b) => new(a.V * b.V);
        [MethodImpl(MethodImplOptions.AggressiveInlining)] public static F512 operator /(F512 a, F512 b) => new(a.V / b.V);
        [MethodImpl(MethodImplOptions.AggressiveInlining)] public static F512 operator -(F512 a) => new(-a.V);
        [MethodImpl(MethodImplOptions.AggressiveInlining)] public static F512 Fma(F512 a, F512 b, F512 c) => new(Vector512.FusedMultiplyAdd(a.V, b.V, c.V));
        [MethodImpl(MethodImplOptions.AggressiveInlining)] public static F512 Abs(F512 x) => new(Vector512.Abs(x.V));
        [MethodImpl(MethodImplOptions.AggressiveInlining)] public static F512 CopySign(F512 m, F512 s) => new(Vector512.CopySign(m.V, s.V));
        [MethodImpl(MethodImplOptions.AggressiveInlining)] public static F512 MinNative(F512 a, F512 b) => new(Vector512.MinNative(a.V, b.V));
        [MethodImpl(MethodImplOptions.AggressiveInlining)] public static F512 MaxNative(F512 a, F512 b) => new(Vector512.MaxNative(a.V, b.V));
        [MethodImpl(MethodImplOptions.AggressiveInlining)] public static F512 LessThan(F512 a, F512 b) => new(Vector512.LessThan(a.V, b.V));
        [MethodImpl(MethodImplOptions.AggressiveInlining)] public static F512 Select(F512 m, F512 t, F512 f) => new(Vector512.ConditionalSelect(m.V, t.V, f.V));
        [MethodImpl(MethodImplOptions.AggressiveInlining)] public static F512 ShiftIntoExponent(F512 b) => new(Vector512.ShiftLeft(b.V.AsInt32(), 23).AsSingle());
        [MethodImpl(MethodImplOptions.AggressiveInlining)] public static F512 Exp(F512 x) => ExpF(x);
        [MethodImpl(MethodImplOptions.AggressiveInlining)] public static F512 Exp(F512 hi, F512 lo) => ExpF(hi, lo);
        [MethodImpl(MethodImplOptions.AggressiveInlining)] public static F512 Tanh(F512 x) => TanhF(x);
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static F512 ErfErfc(F512 a, F512 a2Hi, F512 a2Lo, out F512 erfc) => ErfErfcF(a, a2Hi, a2Lo, out erfc);
    }

    private readonly struct D128(Vector128<double> v) : ISimd<D128>
    {
        public readonly Vector128<double> V = v;
        [MethodImpl(MethodImplOptions.AggressiveInlining)] public static D128 C(double value) => new(Vector128.Create((double)value));
        [MethodImpl(MethodImplOptions.AggressiveInlining)] public static D128 operator +(D128 a, D128 b) => new(a.V + b.V);
        [MethodImpl(MethodImplOptions.AggressiveInlining)] public static D128 operator -(D128 a, D128 b) => new(a.V - b.V);
        [MethodImpl(MethodImplOptions.AggressiveInlining)] public static D128 operator *(D128 a, D128 b) => new(a.V * b.V);
        [MethodImpl(MethodImplOptions.AggressiveInlining)] public static D128 operator /(D128 a, D128 b) => new(a.V / b.V);
        [MethodImpl(MethodImplOptions.AggressiveInlining)] public static D128 operator -(D128 a) => new(-a.V);
        [MethodImpl(MethodImplOptions.AggressiveInlining)] public static D128 Fma(D128 a, D128 b, D128 c) => new(Vector128.FusedMultiplyAdd(a.V, b.V, c.V));
        [MethodImpl(MethodImplOptions.AggressiveInlining)] public static D128 Abs(D128 x) => new(Vector128.Abs(x.V));
        [MethodImpl(MethodImplOptions.AggressiveInlining)] public static D128 CopySign(D128 m, D128 s) => new(Vector128.CopySign(m.V, s.V));
        [MethodImpl(MethodImplOptions.AggressiveInlining)] public static D128 MinNative(D128 a, D128 b) => new(Vector128.MinNative(a.V, b.V));
        [MethodImpl(MethodImplOptions.AggressiveInlining)] public static D128 MaxNative(D128 a, D128 b) => new(Vector128.MaxNative(a.V, b.V));
        [MethodImpl(MethodImplOptions.AggressiveInlining)] public static D128 LessThan(D128 a, D128 b) => new(Vector128.LessThan(a.V, b.V));
        [MethodImpl(MethodImplOptions.AggressiveInlining)] public static D128 Select(D128 m, D128 t, D128 f) => new(Vector128.ConditionalSelect(m.V, t.V, f.V));
        [MethodImpl(MethodImplOptions.AggressiveInlining)] public static D128 ShiftIntoExponent(D128 b) => new(Vector128.ShiftLeft(b.V.AsInt64(), 52).AsDouble());
        [MethodImpl(MethodImplOptions.AggressiveInlining)] public static D128 Exp(D128 x) => ExpD(x);
        [MethodImpl(MethodImplOptions.AggressiveInlining)] public static D128 Exp(D128 hi, D128 lo) => ExpD(hi, lo);
        [MethodImpl(MethodImplOptions.AggressiveInlining)] public static D128 Tanh(D128 x) => TanhD(x);
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static D128 ErfErfc(D128 a, D128 a2Hi, D128 a2Lo, out D128 erfc) => ErfErfcD(a, a2Hi, a2Lo, out erfc);
    }

    private readonly struct D256(Vector256<double> v) : ISimd<D256>
    {
        public readonly Vector256<double> V = v;
        [MethodImpl(MethodImplOptions.AggressiveInlining)] public static D256 C(double value) => new(Vector256.Create((double)value));
        [MethodImpl(MethodImplOptions.AggressiveInlining)] public static D256 operator +(D256 a, D256 b) => new(a.V + b.V);
        [MethodImpl(MethodImplOptions.AggressiveInlining)] public static D256 operator -(D256 a, D256 b) => new(a.V - b.V);
        [MethodImpl(MethodImplOptions.AggressiveInlining)] public static D256 operator *(D256 a, D256 b) => new(a.V * b.V);
        [MethodImpl(MethodImplOptions.AggressiveInlining)] public static D256 operator /(D256 a, D256 b) => new(a.V / b.V);
        [MethodImpl(MethodImplOptions.AggressiveInlining)] public static D256 operator -(D256 a) => new(-a.V);
        [MethodImpl(MethodImplOptions.AggressiveInlining)] public static D256 Fma(D256 a, D256 b, D256 c) => new(Vector256.FusedMultiplyAdd(a.V, b.V, c.V));
        [MethodImpl(MethodImplOptions.AggressiveInlining)] public static D256 Abs(D256 x) => new(Vector256.Abs(x.V));
        [MethodImpl(MethodImplOptions.AggressiveInlining)] public static D256 CopySign(D256 m, D256 s) => new(Vector256.CopySign(m.V, s.V));
        [MethodImpl(MethodImplOptions.AggressiveInlining)] public static D256 MinNative(D256 a, D256 b) => new(Vector256.MinNative(a.V, b.V));
        [MethodImpl(MethodImplOptions.AggressiveInlining)] public static D256 MaxNative(D256 a, D256 b) => new(Vector256.MaxNative(a.V, b.V));
        [MethodImpl(MethodImplOptions.AggressiveInlining)] public static D256 LessThan(D256 a, D256 b) => new(Vector256.LessThan(a.V, b.V));
        [MethodImpl(MethodImplOptions.AggressiveInlining)] public static D256 Select(D256 m, D256 t, D256 f) => new(Vector256.ConditionalSelect(m.V, t.V, f.V));
        [MethodImpl(MethodImplOptions.AggressiveInlining)] public static D256 ShiftIntoExponent(D256 b) => new(Vector256.ShiftLeft(b.V.AsInt64(), 52).AsDouble());
        [MethodImpl(MethodImplOptions.AggressiveInlining)] public static D256 Exp(D256 x) => ExpD(x);
        [MethodImpl(MethodImplOptions.AggressiveInlining)] public static D256 Exp(D256 hi, D256 lo) => ExpD(hi, lo);
        [MethodImpl(MethodImplOptions.AggressiveInlining)] public static D256 Tanh(D256 x) => TanhD(x);
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static D256 ErfErfc(D256 a, D256 a2Hi, D256 a2Lo, out D256 erfc) => ErfErfcD(a, a2Hi, a2Lo, out erfc);
    }

    private readonly struct D512(Vector512<double> v) : ISimd<D512>
    {
        public readonly Vector512<double> V = v;
        [MethodImpl(MethodImplOptions.AggressiveInlining)] public static D512 C(double value) => new(Vector512.Create((double)value));
        [MethodImpl(MethodImplOptions.AggressiveInlining)] public static D512 operator +(D512 a, D512 b) => new(a.V + b.V);
        [MethodImpl(MethodImplOptions.AggressiveInlining)] public static D512 operator -(D512 a, D512 b) => new(a.V - b.V);
        [MethodImpl(MethodImplOptions.AggressiveInlining)] public static D512 operator *(D512 a, D512 b) => new(a.V * b.V);
        [MethodImpl(MethodImplOptions.AggressiveInlining)] public static D512 operator /(D512 a, D512 b) => new(a.V / b.V);
        [MethodImpl(MethodImplOptions.AggressiveInlining)] public static D512 operator -(D512 a) => new(-a.V);
        [MethodImpl(MethodImplOptions.AggressiveInlining)] public static D512 Fma(D512 a, D512 b, D512 c) => new(Vector512.FusedMultiplyAdd(a.V, b.V, c.V));
        [MethodImpl(MethodImplOptions.AggressiveInlining)] public static D512 Abs(D512 x) => new(Vector512.Abs(x.V));
        [MethodImpl(MethodImplOptions.AggressiveInlining)] public static D512 CopySign(D512 m, D512 s) => new(Vector512.CopySign(m.V, s.V));
        [MethodImpl(MethodImplOptions.AggressiveInlining)] public static D512 MinNative(D512 a, D512 b) => new(Vector512.MinNative(a.V, b.V));
        [MethodImpl(MethodImplOptions.AggressiveInlining)] public static D512 MaxNative(D512 a, D512 b) => new(Vector512.MaxNative(a.V, b.V));
        [MethodImpl(MethodImplOptions.AggressiveInlining)] public static D512 LessThan(D512 a, D512 b) => new(Vector512.LessThan(a.V, b.V));
        [MethodImpl(MethodImplOptions.AggressiveInlining)] public static D512 Select(D512 m, D512 t, D512 f) => new(Vector512.ConditionalSelect(m.V, t.V, f.V));
        [MethodImpl(MethodImplOptions.AggressiveInlining)] public static D512 ShiftIntoExponent(D512 b) => new(Vector512.ShiftLeft(b.V.AsInt64(), 52).AsDouble());
        [MethodImpl(MethodImplOptions.AggressiveInlining)] public static D512 Exp(D512 x) => ExpD(x);
        [MethodImpl(MethodImplOptions.AggressiveInlining)] public static D512 Exp(D512 hi, D512 lo) => ExpD(hi, lo);
        [MethodImpl(MethodImplOptions.AggressiveInlining)] public static D512 Tanh(D512 x) => TanhD(x);
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static D512 ErfErfc(D512 a, D512 a2Hi, D512 a2Lo, out D512 erfc) => ErfErfcD(a, a2Hi, a2Lo, out erfc);
    }

    /// <summary>Two registers processed in lockstep, so the long dependency chains of two vectors interleave.</summary>
    private readonly struct F256x2(Vector256<float> a, Vector256<float> b) : ISimd<F256x2>
    {
        public readonly Vector256<float> A = a, B = b;
        [MethodImpl(MethodImplOptions.AggressiveInlining)] public static F256x2 C(double value) { var c = Vector256.Create((float)value); return new(c, c); }
        [MethodImpl(MethodImplOptions.AggressiveInlining)] public static F256x2 operator +(F256x2 x, F256x2 y) => new(x.A + y.A, x.B + y.B);
        [MethodImpl(MethodImplOptions.AggressiveInlining)] public static F256x2 operator -(F256x2 x, F256x2 y) => new(x.A - y.A, x.B - y.B);
        [MethodImpl(MethodImplOptions.AggressiveInlining)] public static F256x2 operator *(F256x2 x, F256x2 y) => new(x.A * y.A, x.B * y.B);
        [MethodImpl(MethodImplOptions.AggressiveInlining)] public static F256x2 operator /(F256x2 x, F256x2 y) => new(x.A / y.A, x.B / y.B);
        [MethodImpl(MethodImplOptions.AggressiveInlining)] public static F256x2 operator -(F256x2 x) => new(-x.A, -x.B);
        [MethodImpl(MethodImplOptions.AggressiveInlining)] public static F256x2 Fma(F256x2 x, F256x2 y, F256x2 z) => new(Vector256.FusedMultiplyAdd(x.A, y.A, z.A), Vector256.FusedMultiplyAdd(x.B, y.B, z.B));
        [MethodImpl(MethodImplOptions.AggressiveInlining)] public static F256x2 Abs(F256x2 x) => new(Vector256.Abs(x.A), Vector256.Abs(x.B));
        [MethodImpl(MethodImplOptions.AggressiveInlining)] public static F256x2 CopySign(F256x2 m, F256x2 s) => new(Vector256.CopySign(m.A, s.A), Vector256.CopySign(m.B, s.B));
        [MethodImpl(MethodImplOptions.AggressiveInlining)] public static F256x2 MinNative(F256x2 x, F256x2 y) => new(Vector256.MinNative(x.A, y.A), Vector256.MinNative(x.B, y.B));
        [MethodImpl(MethodImplOptions.AggressiveInlining)] public static F256x2 MaxNative(F256x2 x, F256x2 y) => new(Vector256.MaxNative(x.A, y.A), Vector256.MaxNative(x.B, y.B));
        [MethodImpl(MethodImplOptions.AggressiveInlining)] public static F256x2 LessThan(F256x2 x, F256x2 y) => new(Vector256.LessThan(x.A, y.A), Vector256.LessThan(x.B, y.B));
        [MethodImpl(MethodImplOptions.AggressiveInlining)] public static F256x2 Select(F256x2 m, F256x2 t, F256x2 f) => new(Vector256.ConditionalSelect(m.A, t.A, f.A), Vector256.ConditionalSelect(m.B, t.B, f.B));
        [MethodImpl(MethodImplOptions.AggressiveInlining)] public static F256x2 ShiftIntoExponent(F256x2 b) => new(Vector256.ShiftLeft(b.A.AsInt32(), 23).AsSingle(), Vector256.ShiftLeft(b.B.AsInt32(), 23).AsSingle());
        [MethodImpl(MethodImplOptions.AggressiveInlining)] public static F256x2 Exp(F256x2 x) => ExpF(x);
        [MethodImpl(MethodImplOptions.AggressiveInlining)] public static F256x2 Exp(F256x2 hi, F256x2 lo) => ExpF(hi, lo);
        [MethodImpl(MethodImplOptions.AggressiveInlining)] public static F256x2 Tanh(F256x2 x) => TanhF(x);
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static F256x2 ErfErfc(F256x2 a, F256x2 a2Hi, F256x2 a2Lo, out F256x2 erfc) => ErfErfcF(a, a2Hi, a2Lo, out erfc);
    }

    /// <summary>Two registers processed in lockstep, so the long dependency chains of two vectors interleave.</summary>
    private readonly struct F512x2(Vector512<float> a, Vector512<float> b) : ISimd<F512x2>
    {
        public readonly Vector512<float> A = a, B = b;
        [MethodImpl(MethodImplOptions.AggressiveInlining)] public static F512x2 C(double value) { var c = Vector512.Create((float)value); return new(c, c); }
        [MethodImpl(MethodImplOptions.AggressiveInlining)] public static F512x2 operator +(F512x2 x, F512x2 y) => new(x.A + y.A, x.B + y.B);
        [MethodImpl(MethodImplOptions.AggressiveInlining)] public static F512x2 operator -(F512x2 x, F512x2 y) => new(x.A - y.A, x.B - y.B);
        [MethodImpl(MethodImplOptions.AggressiveInlining)] public static F512x2 operator *(F512x2 x, F512x2 y) => new(x.A * y.A, x.B * y.B);
        [MethodImpl(MethodImplOptions.AggressiveInlining)] public static F512x2 operator /(F512x2 x, F512x2 y) => new(x.A / y.A, x.B / y.B);
        [MethodImpl(MethodImplOptions.AggressiveInlining)] public static F512x2 operator -(F512x2 x) => new(-x.A, -x.B);
        [MethodImpl(MethodImplOptions.AggressiveInlining)] public static F512x2 Fma(F512x2 x, F512x2 y, F512x2 z) => new(Vector512.FusedMultiplyAdd(x.A, y.A, z.A), Vector512.FusedMultiplyAdd(x.B, y.B, z.B));
        [MethodImpl(MethodImplOptions.AggressiveInlining)] public static F512x2 Abs(F512x2 x) => new(Vector512.Abs(x.A), Vector512.Abs(x.B));
        [MethodImpl(MethodImplOptions.AggressiveInlining)] public static F512x2 CopySign(F512x2 m, F512x2 s) => new(Vector512.CopySign(m.A, s.A), Vector512.CopySign(m.B, s.B));
        [MethodImpl(MethodImplOptions.AggressiveInlining)] public static F512x2 MinNative(F512x2 x, F512x2 y) => new(Vector512.MinNative(x.A, y.A), Vector512.MinNative(x.B, y.B));
        [MethodImpl(MethodImplOptions.AggressiveInlining)] public static F512x2 MaxNative(F512x2 x, F512x2 y) => new(Vector512.MaxNative(x.A, y.A), Vector512.MaxNative(x.B, y.B));
        [MethodImpl(MethodImplOptions.AggressiveInlining)] public static F512x2 LessThan(F512x2 x, F512x2 y) => new(Vector512.LessThan(x.A, y.A), Vector512.LessThan(x.B, y.B));
        [MethodImpl(MethodImplOptions.AggressiveInlining)] public static F512x2 Select(F512x2 m, F512x2 t, F512x2 f) => new(Vector512.ConditionalSelect(m.A, t.A, f.A), Vector512.ConditionalSelect(m.B, t.B, f.B));
        [MethodImpl(MethodImplOptions.AggressiveInlining)] public static F512x2 ShiftIntoExponent(F512x2 b) => new(Vector512.ShiftLeft(b.A.AsInt32(), 23).AsSingle(), Vector512.ShiftLeft(b.B.AsInt32(), 23).AsSingle());
        [MethodImpl(MethodImplOptions.AggressiveInlining)] public static F512x2 Exp(F512x2 x) => ExpF(x);
        [MethodImpl(MethodImplOptions.AggressiveInlining)] public static F512x2 Exp(F512x2 hi, F512x2 lo) => ExpF(hi, lo);
        [MethodImpl(MethodImplOptions.AggressiveInlining)] public static F512x2 Tanh(F512x2 x) => TanhF(x);
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static F512x2 ErfErfc(F512x2 a, F512x2 a2Hi, F512x2 a2Lo, out F512x2 erfc) => ErfErfcF(a, a2Hi, a2Lo, out erfc);
    }

    /// <summary>Two registers processed in lockstep, so the long dependency chains of two vectors interleave.</summary>
    private readonly struct D256x2(Vector256<double> a, Vector256<double> b) : ISimd<D256x2>
    {
        public readonly Vector256<double> A = a, B = b;
        [MethodImpl(MethodImplOptions.AggressiveInlining)] public static D256x2 C(double value) { var c = Vector256.Create((double)value); return new(c, c); }
        [MethodImpl(MethodImplOptions.AggressiveInlining)] public static D256x2 operator +(D256x2 x, D256x2 y) => new(x.A + y.A, x.B + y.B);
        [MethodImpl(MethodImplOptions.AggressiveInlining)] public static D256x2 operator -(D256x2 x, D256x2 y) => new(x.A - y.A, x.B - y.B);
        [MethodImpl(MethodImplOptions.AggressiveInlining)] public static D256x2 operator *(D256x2 x, D256x2 y) => new(x.A * y.A, x.B * y.B);
        [MethodImpl(MethodImplOptions.AggressiveInlining)] public static D256x2 operator /(D256x2 x, D256x2 y) => new(x.A / y.A, x.B / y.B);
        [MethodImpl(MethodImplOptions.AggressiveInlining)] public static D256x2 operator -(D256x2 x) => new(-x.A, -x.B);
        [MethodImpl(MethodImplOptions.AggressiveInlining)] public static D256x2 Fma(D256x2 x, D256x2 y, D256x2 z) => new(Vector256.FusedMultiplyAdd(x.A, y.A, z.A), Vector256.FusedMultiplyAdd(x.B, y.B, z.B));
        [MethodImpl(MethodImplOptions.AggressiveInlining)] public static D256x2 Abs(D256x2 x) => new(Vector256.Abs(x.A), Vector256.Abs(x.B));
        [MethodImpl(MethodImplOptions.AggressiveInlining)] public static D256x2 CopySign(D256x2 m, D256x2 s) => new(Vector256.CopySign(m.A, s.A), Vector256.CopySign(m.B, s.B));
        [MethodImpl(MethodImplOptions.AggressiveInlining)] public static D256x2 MinNative(D256x2 x, D256x2 y) => new(Vector256.MinNative(x.A, y.A), Vector256.MinNative(x.B, y.B));
        [MethodImpl(MethodImplOptions.AggressiveInlining)] public static D256x2 MaxNative(D256x2 x, D256x2 y) => new(Vector256.MaxNative(x.A, y.A), Vector256.MaxNative(x.B, y.B));
        [MethodImpl(MethodImplOptions.AggressiveInlining)] public static D256x2 LessThan(D256x2 x, D256x2 y) => new(Vector256.LessThan(x.A, y.A), Vector256.LessThan(x.B, y.B));
        [MethodImpl(MethodImplOptions.AggressiveInlining)] public static D256x2 Select(D256x2 m, D256x2 t, D256x2 f) => new(Vector256.ConditionalSelect(m.A, t.A, f.A), Vector256.ConditionalSelect(m.B, t.B, f.B));
        [MethodImpl(MethodImplOptions.AggressiveInlining)] public static D256x2 ShiftIntoExponent(D256x2 b) => new(Vector256.ShiftLeft(b.A.AsInt64(), 52).AsDouble(), Vector256.ShiftLeft(b.B.AsInt64(), 52).AsDouble());
        [MethodImpl(MethodImplOptions.AggressiveInlining)] public static D256x2 Exp(D256x2 x) => ExpD(x);
        [MethodImpl(MethodImplOptions.AggressiveInlining)] public static D256x2 Exp(D256x2 hi, D256x2 lo) => ExpD(hi, lo);
        [MethodImpl(MethodImplOptions.AggressiveInlining)] public static D256x2 Tanh(D256x2 x) => TanhD(x);
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static D256x2 ErfErfc(D256x2 a, D256x2 a2Hi, D256x2 a2Lo, out D256x2 erfc) => ErfErfcD(a, a2Hi, a2Lo, out erfc);
    }

    /// <summary>Two registers processed in lockstep, so the long dependency chains of two vectors interleave.</summary>
    private readonly struct D512x2(Vector512<double> a, Vector512<double> b) : ISimd<D512x2>
    {
        public readonly Vector512<double> A = a, B = b;
        [MethodImpl(MethodImplOptions.AggressiveInlining)] public static D512x2 C(double value) { var c = Vector512.Create((double)value); return new(c, c); }
        [MethodImpl(MethodImplOptions.AggressiveInlining)] public static D512x2 operator +(D512x2 x, D512x2 y) => new(x.A + y.A, x.B + y.B);
        [MethodImpl(MethodImplOptions.AggressiveInlining)] public static D512x2 operator -(D512x2 x, D512x2 y) => new(x.A - y.A, x.B - y.B);
        [MethodImpl(MethodImplOptions.AggressiveInlining)] public static D512x2 operator *(D512x2 x, D512x2 y) => new(x.A * y.A, x.B * y.B);
        [MethodImpl(MethodImplOptions.AggressiveInlining)] public static D512x2 operator /(D512x2 x, D512x2 y) => new(x.A / y.A, x.B / y.B);
        [MethodImpl(MethodImplOptions.AggressiveInlining)] public static D512x2 operator -(D512x2 x) => new(-x.A, -x.B);
        [MethodImpl(MethodImplOptions.AggressiveInlining)] public static D512x2 Fma(D512x2 x, D512x2 y, D512x2 z) => new(Vector512.FusedMultiplyAdd(x.A, y.A, z.A), Vector512.FusedMultiplyAdd(x.B, y.B, z.B));
        [MethodImpl(MethodImplOptions.AggressiveInlining)] public static D512x2 Abs(D512x2 x) => new(Vector512.Abs(x.A), Vector512.Abs(x.B));
        [MethodImpl(MethodImplOptions.AggressiveInlining)] public static D512x2 CopySign(D512x2 m, D512x2 s) => new(Vector512.CopySign(m.A, s.A), Vector512.CopySign(m.B, s.B));
        [MethodImpl(MethodImplOptions.AggressiveInlining)] public static D512x2 MinNative(D512x2 x, D512x2 y) => new(Vector512.MinNative(x.A, y.A), Vector512.MinNative(x.B, y.B));
        [MethodImpl(MethodImplOptions.AggressiveInlining)] public static D512x2 MaxNative(D512x2 x, D512x2 y) => new(Vector512.MaxNative(x.A, y.A), Vector512.MaxNative(x.B, y.B));
        [MethodImpl(MethodImplOptions.AggressiveInlining)] public static D512x2 LessThan(D512x2 x, D512x2 y) => new(Vector512.LessThan(x.A, y.A), Vector512.LessThan(x.B, y.B));
        [MethodImpl(MethodImplOptions.AggressiveInlining)] public static D512x2 Select(D512x2 m, D512x2 t, D512x2 f) => new(Vector512.ConditionalSelect(m.A, t.A, f.A), Vector512.ConditionalSelect(m.B, t.B, f.B));
        [MethodImpl(MethodImplOptions.AggressiveInlining)] public static D512x2 ShiftIntoExponent(D512x2 b) => new(Vector512.ShiftLeft(b.A.AsInt64(), 52).AsDouble(), Vector512.ShiftLeft(b.B.AsInt64(), 52).AsDouble());
        [MethodImpl(MethodImplOptions.AggressiveInlining)] public static D512x2 Exp(D512x2 x) => ExpD(x);
        [MethodImpl(MethodImplOptions.AggressiveInlining)] public static D512x2 Exp(D512x2 hi, D512x2 lo) => ExpD(hi, lo);
        [MethodImpl(MethodImplOptions.AggressiveInlining)] public static D512x2 Tanh(D512x2 x) => TanhD(x);
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static D512x2 ErfErfc(D512x2 a, D512x2 a2Hi, D512x2 a2Lo, out D512x2 erfc) => ErfErfcD(a, a2Hi, a2Lo, out erfc);
    }
}
