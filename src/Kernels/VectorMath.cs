using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace Trace.Kernels;

/// <summary>
/// Vectorized transcendental functions for activations: tanh, sigmoid, erf, exact and tanh-approximated GELU and the
/// GELU derivatives, for <see cref="float"/>, <see cref="double"/>, <see cref="Vector256{T}"/> and
/// <see cref="Vector512{T}"/>, plus span helpers (see <c>VectorMathSpans.cs</c>).
/// </summary>
/// <remarks>
/// <para>
/// The vector overloads are branch-free (all pieces are evaluated and blended). Every overload of a function executes
/// the same sequence of IEEE operations (the scalar overloads run it in a <see cref="Vector128{T}"/>), so scalar,
/// 128-, 256- and 512-bit results are bit-identical (NaN payloads aside): results never depend on array length or on
/// the vector width the hardware offers. Exp is computed in-house (not by <c>Vector512.Exp</c> or <c>MathF.Exp</c>) for
/// that reason.
/// </para>
/// <para>
/// Internal exp results below exp(-84) (float) / exp(-700) (double) are flushed to +0, a margin above the subnormal
/// range chosen so that no intermediate ever becomes subnormal (subnormals cost a ~100-cycle assist per instruction on
/// Intel cores). Subnormal or tiny (|x| &lt; ~1e-19 float) inputs are still computed correctly, just slowly.
/// </para>
/// <para>
/// Accuracy figures in the member docs are maxima measured against high-precision references over a dense grid on
/// [-20, 20] plus log-spaced magnitudes and special values (see <c>VectorMathTests</c>), and for float also against
/// the double kernels on 4M random inputs.
/// </para>
/// </remarks>
public static partial class VectorMath
{
    /// <summary>
    /// Hyperbolic tangent. Odd; saturates to exactly ±1 for large |x| (no overflow); tanh(x) = x for tiny |x|;
    /// NaN for NaN. Measured max error: float 1.5 ulp, double 4.2e-16 relative.
    /// </summary>
    /// <param name="x">The argument.</param>
    /// <returns>tanh(x).</returns>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Tanh(float x) => TanhCore(new F128(Vector128.Create(x))).V.ToScalar();

    /// <inheritdoc cref="Tanh(float)"/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static double Tanh(double x) => TanhCore(new D128(Vector128.Create(x))).V.ToScalar();

    /// <summary>Lane-wise <see cref="Tanh(float)"/>.</summary>
    /// <param name="x">The arguments.</param>
    /// <returns>tanh(x) per lane.</returns>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Tanh(Vector256<float> x) => TanhCore(new F256(x)).V;

    /// <inheritdoc cref="Tanh(Vector256{float})"/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> Tanh(Vector512<float> x) => TanhCore(new F512(x)).V;

    /// <summary>Lane-wise <see cref="Tanh(double)"/>.</summary>
    /// <param name="x">The arguments.</param>
    /// <returns>tanh(x) per lane.</returns>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<double> Tanh(Vector256<double> x) => TanhCore(new D256(x)).V;

    /// <inheritdoc cref="Tanh(Vector256{double})"/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<double> Tanh(Vector512<double> x) => TanhCore(new D512(x)).V;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static T TanhCore<T>(T x) where T : struct, ISimd<T> => T.Tanh(x);

    /// <summary>
    /// Logistic sigmoid 1/(1 + exp(-x)), evaluated from exp(-|x|) so it never overflows: sigmoid(+large) = 1;
    /// sigmoid(-large) is relative-accurate until it drops below exp(-84) ≈ 3.3e-37 (float) or exp(-700) ≈ 9.9e-305
    /// (double) and +0 beyond (so sigmoid(-100) = 3.72e-44 in double, +0 in float). NaN gives NaN.
    /// Measured max error: float 2.6 ulp, double 4.4e-16 relative.
    /// </summary>
    /// <param name="x">The argument.</param>
    /// <returns>sigmoid(x).</returns>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Sigmoid(float x) => SigmoidCore(new F128(Vector128.Create(x))).V.ToScalar();

    /// <inheritdoc cref="Sigmoid(float)"/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static double Sigmoid(double x) => SigmoidCore(new D128(Vector128.Create(x))).V.ToScalar();

    /// <summary>Lane-wise <see cref="Sigmoid(float)"/>.</summary>
    /// <param name="x">The arguments.</param>
    /// <returns>sigmoid(x) per lane.</returns>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Sigmoid(Vector256<float> x) => SigmoidCore(new F256(x)).V;

    /// <inheritdoc cref="Sigmoid(Vector256{float})"/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> Sigmoid(Vector512<float> x) => SigmoidCore(new F512(x)).V;

    /// <summary>Lane-wise <see cref="Sigmoid(double)"/>.</summary>
    /// <param name="x">The arguments.</param>
    /// <returns>sigmoid(x) per lane.</returns>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<double> Sigmoid(Vector256<double> x) => SigmoidCore(new D256(x)).V;

    /// <inheritdoc cref="Sigmoid(Vector256{double})"/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<double> Sigmoid(Vector512<double> x) => SigmoidCore(new D512(x)).V;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static T SigmoidCore<T>(T x) where T : struct, ISimd<T> => SigmoidT(x);

    /// <summary>
    /// Error function erf(x) = 2/√π ∫₀ˣ exp(-t²) dt (piecewise rational approximations of Sun fdlibm / FreeBSD msun).
    /// erf(±0) = ±0, erf(±inf) = ±1, NaN gives NaN. Measured max error: float 0.8 ulp (4.5e-8 absolute),
    /// double 2.3e-16 relative.
    /// </summary>
    /// <param name="x">The argument.</param>
    /// <returns>erf(x).</returns>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Erf(float x) => ErfCore(new F128(Vector128.Create(x))).V.ToScalar();

    /// <inheritdoc cref="Erf(float)"/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static double Erf(double x) => ErfCore(new D128(Vector128.Create(x))).V.ToScalar();

    /// <summary>Lane-wise <see cref="Erf(float)"/>.</summary>
    /// <param name="x">The arguments.</param>
    /// <returns>erf(x) per lane.</returns>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Erf(Vector256<float> x) => ErfCore(new F256(x)).V;

    /// <inheritdoc cref="Erf(Vector256{float})"/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> Erf(Vector512<float> x) => ErfCore(new F512(x)).V;

    /// <summary>Lane-wise <see cref="Erf(double)"/>.</summary>
    /// <param name="x">The arguments.</param>
    /// <returns>erf(x) per lane.</returns>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<double> Erf(Vector256<double> x) => ErfCore(new D256(x)).V;

    /// <inheritdoc cref="Erf(Vector256{double})"/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<double> Erf(Vector512<double> x) => ErfCore(new D512(x)).V;

    /// <summary>
    /// exp(x) for x &lt;= 0 (the arguments x − max of a softmax) with the in-house float64 kernel: exp(0) is exactly 1,
    /// exp(-inf) is +0, NaN gives NaN, results below exp(-700) are flushed to +0. About 1 ulp of float64, so rounding
    /// it to float is correctly rounded but in rare near-halfway cases; identical in every lane width and the scalar form.
    /// </summary>
    /// <param name="x">The argument (&lt;= 0).</param>
    /// <returns>exp(x).</returns>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static double ExpNonPositive(double x) => ExpD(new D128(Vector128.Create(x))).V.ToScalar();

    /// <summary>Lane-wise <see cref="ExpNonPositive(double)"/>.</summary>
    /// <param name="x">The arguments (&lt;= 0).</param>
    /// <returns>exp(x) per lane.</returns>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<double> ExpNonPositive(Vector256<double> x) => ExpD(new D256(x)).V;

    /// <inheritdoc cref="ExpNonPositive(Vector256{double})"/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<double> ExpNonPositive(Vector512<double> x) => ExpD(new D512(x)).V;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static T ErfCore<T>(T x) where T : struct, ISimd<T> => ErfT(x);

    /// <summary>
    /// Exact GELU, 0.5·x·(1 + erf(x/√2)) = x·Φ(x) (PyTorch <c>approximate='none'</c>). For x &lt; 0 it uses
    /// Φ(x) = 0.5·erfc(|x|/√2), so the small negative outputs stay relative-accurate (PyTorch's formula loses them to
    /// cancellation). gelu(+inf) = +inf, gelu(-inf) = NaN (-inf·0, as PyTorch's kernel gives; finite x far below 0 give -0), NaN gives NaN.
    /// Measured max error: float 4.0 ulp, double 9.2e-16 relative.
    /// </summary>
    /// <param name="x">The argument.</param>
    /// <returns>gelu(x).</returns>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Gelu(float x) => GeluCore(new F128(Vector128.Create(x))).V.ToScalar();

    /// <inheritdoc cref="Gelu(float)"/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static double Gelu(double x) => GeluCore(new D128(Vector128.Create(x))).V.ToScalar();

    /// <summary>Lane-wise <see cref="Gelu(float)"/>.</summary>
    /// <param name="x">The arguments.</param>
    /// <returns>gelu(x) per lane.</returns>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Gelu(Vector256<float> x) => GeluCore(new F256(x)).V;

    /// <inheritdoc cref="Gelu(Vector256{float})"/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> Gelu(Vector512<float> x) => GeluCore(new F512(x)).V;

    /// <summary>Lane-wise <see cref="Gelu(double)"/>.</summary>
    /// <param name="x">The arguments.</param>
    /// <returns>gelu(x) per lane.</returns>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<double> Gelu(Vector256<double> x) => GeluCore(new D256(x)).V;

    /// <inheritdoc cref="Gelu(Vector256{double})"/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<double> Gelu(Vector512<double> x) => GeluCore(new D512(x)).V;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static T GeluCore<T>(T x) where T : struct, ISimd<T> => GeluT(x);

    /// <summary>
    /// Tanh-approximated GELU, 0.5·x·(1 + tanh(√(2/π)·(x + 0.044715·x³))) (PyTorch <c>approximate='tanh'</c>),
    /// evaluated as x·sigmoid(2u), the same function without cancellation for negative x. gelu(-inf) = NaN (as PyTorch),
    /// NaN gives NaN. Measured max error: float 2.1 ulp, double 4.4e-16 relative, each times 1 + |2u|·sigmoid(-2u), the
    /// inherent amplification of the rounding of u for negative x (e.g. x4.7 at x = -2, x60 at x = -8.6).
    /// </summary>
    /// <param name="x">The argument.</param>
    /// <returns>geluTanh(x).</returns>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float GeluTanh(float x) => GeluTanhCore(new F128(Vector128.Create(x))).V.ToScalar();

    /// <inheritdoc cref="GeluTanh(float)"/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static double GeluTanh(double x) => GeluTanhCore(new D128(Vector128.Create(x))).V.ToScalar();

    /// <summary>Lane-wise <see cref="GeluTanh(float)"/>.</summary>
    /// <param name="x">The arguments.</param>
    /// <returns>geluTanh(x) per lane.</returns>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> GeluTanh(Vector256<float> x) => GeluTanhCore(new F256(x)).V;

    /// <inheritdoc cref="GeluTanh(Vector256{float})"/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> GeluTanh(Vector512<float> x) => GeluTanhCore(new F512(x)).V;

    /// <summary>Lane-wise <see cref="GeluTanh(double)"/>.</summary>
    /// <param name="x">The arguments.</param>
    /// <returns>geluTanh(x) per lane.</returns>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<double> GeluTanh(Vector256<double> x) => GeluTanhCore(new D256(x)).V;

    /// <inheritdoc cref="GeluTanh(Vector256{double})"/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<double> GeluTanh(Vector512<double> x) => GeluTanhCore(new D512(x)).V;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static T GeluTanhCore<T>(T x) where T : struct, ISimd<T> => GeluTanhT(x);

    /// <summary>
    /// Derivative of <see cref="Gelu(float)"/>: Φ(x) + x·φ(x), with Φ the standard normal CDF and
    /// φ(x) = exp(-x²/2)/√(2π), as in PyTorch's GELU backward (without the incoming-gradient factor). NaN at ±inf (PyTorch's
    /// inf·0), NaN for NaN. Measured max error: float 1.3e-7 absolute, double 2.3e-16 absolute.
    /// </summary>
    /// <param name="x">The argument.</param>
    /// <returns>gelu'(x).</returns>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float GeluGrad(float x) => GeluGradCore(new F128(Vector128.Create(x))).V.ToScalar();

    /// <inheritdoc cref="GeluGrad(float)"/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static double GeluGrad(double x) => GeluGradCore(new D128(Vector128.Create(x))).V.ToScalar();

    /// <summary>Lane-wise <see cref="GeluGrad(float)"/>.</summary>
    /// <param name="x">The arguments.</param>
    /// <returns>gelu'(x) per lane.</returns>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> GeluGrad(Vector256<float> x) => GeluGradCore(new F256(x)).V;

    /// <inheritdoc cref="GeluGrad(Vector256{float})"/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> GeluGrad(Vector512<float> x) => GeluGradCore(new F512(x)).V;

    /// <summary>Lane-wise <see cref="GeluGrad(double)"/>.</summary>
    /// <param name="x">The arguments.</param>
    /// <returns>gelu'(x) per lane.</returns>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<double> GeluGrad(Vector256<double> x) => GeluGradCore(new D256(x)).V;

    /// <inheritdoc cref="GeluGrad(Vector256{double})"/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<double> GeluGrad(Vector512<double> x) => GeluGradCore(new D512(x)).V;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static T GeluGradCore<T>(T x) where T : struct, ISimd<T> => GeluGradT(x);

    /// <summary>
    /// Derivative of <see cref="GeluTanh(float)"/>, the formula PyTorch uses for <c>approximate='tanh'</c>:
    /// 0.5·(1 + t) + 0.5·x·(1 - t²)·√(2/π)·(1 + 3·0.044715·x²) with t = tanh(√(2/π)·(x + 0.044715·x³)), evaluated
    /// without cancellation through sigmoid(2u). NaN at ±inf (as PyTorch's formula gives), NaN for NaN; finite x
    /// beyond ±1.8e19 give the limits 1 and 0, where PyTorch's float kernel overflows x² into NaN. Measured max error: float 1.9e-7
    /// absolute, double 4.5e-16 absolute.
    /// </summary>
    /// <param name="x">The argument.</param>
    /// <returns>geluTanh'(x).</returns>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float GeluTanhGrad(float x) => GeluTanhGradCore(new F128(Vector128.Create(x))).V.ToScalar();

    /// <inheritdoc cref="GeluTanhGrad(float)"/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static double GeluTanhGrad(double x) => GeluTanhGradCore(new D128(Vector128.Create(x))).V.ToScalar();

    /// <summary>Lane-wise <see cref="GeluTanhGrad(float)"/>.</summary>
    /// <param name="x">The arguments.</param>
    /// <returns>geluTanh'(x) per lane.</returns>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> GeluTanhGrad(Vector256<float> x) => GeluTanhGradCore(new F256(x)).V;

    /// <inheritdoc cref="GeluTanhGrad(Vector256{float})"/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> GeluTanhGrad(Vector512<float> x) => GeluTanhGradCore(new F512(x)).V;

    /// <summary>Lane-wise <see cref="GeluTanhGrad(double)"/>.</summary>
    /// <param name="x">The arguments.</param>
    /// <returns>geluTanh'(x) per lane.</returns>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<double> GeluTanhGrad(Vector256<double> x) => GeluTanhGradCore(new D256(x)).V;

    /// <inheritdoc cref="GeluTanhGrad(Vector256{double})"/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<double> GeluTanhGrad(Vector512<double> x) => GeluTanhGradCore(new D512(x)).V;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static T GeluTanhGradCore<T>(T x) where T : struct, ISimd<T> => GeluTanhGradT(x);
}
