using System.Numerics;
using System.Runtime.Intrinsics;

namespace Trace.Kernels;

/// <summary>
/// The scalars of one SGD step for one parameter, already in the parameter's element type (the
/// optimizer computes them in double). Update, as <c>torch.optim.SGD</c>:
/// d = ±g (+ wd·p); with momentum: buf = d on the first step, else momentum·buf + (1−dampening)·d;
/// d = nesterov ? d + momentum·buf : buf; p = p − lr·d.
/// </summary>
/// <param name="Lr">Learning rate.</param>
/// <param name="WeightDecay">L2 penalty added to the gradient (0: none).</param>
/// <param name="Momentum">Momentum factor (only read when a momentum buffer is passed).</param>
/// <param name="OneMinusDampening">1 − dampening.</param>
/// <param name="Nesterov">Use Nesterov momentum.</param>
/// <param name="Maximize">Ascend instead of descend (the gradient is negated first).</param>
/// <param name="FirstStep">The momentum buffer is uninitialized: set it to the gradient.</param>
public readonly record struct SgdStepArgs<T>(T Lr, T WeightDecay, T Momentum, T OneMinusDampening, bool Nesterov, bool Maximize, bool FirstStep)
    where T : unmanaged;

/// <summary>
/// The scalars of one Adam/AdamW step for one parameter, already in the parameter's element type (the
/// optimizer computes them in double). Update:
/// g = ±g (+ wd·p); p = p·scale; m = β1·m + (1−β1)·g; v = β2·v + (1−β2)·g·g; vmax = max(vmax, v);
/// p = p − stepSize·m / (sqrt(v or vmax) + eps).
/// <c>torch.optim.Adam</c>'s p −= (lr/bc1)·m / (sqrt(v)/sqrt(bc2) + ε) is this update with
/// stepSize = lr·sqrt(bc2)/bc1 and eps = ε·sqrt(bc2): the same value (multiply the fraction through by
/// sqrt(bc2)) with one division per element instead of two: a second division, not memory, would bound the loop.
/// </summary>
/// <param name="StepSize">lr·sqrt(1 − β2^t) / (1 − β1^t).</param>
/// <param name="Beta1">β1.</param>
/// <param name="OneMinusBeta1">1 − β1.</param>
/// <param name="Beta2">β2.</param>
/// <param name="OneMinusBeta2">1 − β2.</param>
/// <param name="Eps">ε·sqrt(1 − β2^t), added to sqrt(v).</param>
/// <param name="WeightDecay">L2 penalty added to the gradient (Adam; 0 for AdamW).</param>
/// <param name="ParamScale">Decoupled decay factor 1 − lr·wd applied to the parameter first (AdamW; 1 for Adam).</param>
/// <param name="Maximize">Ascend instead of descend (the gradient is negated first).</param>
public readonly record struct AdamStepArgs<T>(T StepSize, T Beta1, T OneMinusBeta1, T Beta2, T OneMinusBeta2,
    T Eps, T WeightDecay, T ParamScale, bool Maximize) where T : unmanaged;

/// <summary>
/// Fused optimizer updates: one pass over a parameter's elements that reads the gradient and the state
/// buffers and writes the parameter and the state in place. Vector512 when accelerated, else Vector256,
/// then a scalar tail; large parameters are split across cores. No allocation except the worker closure.
/// </summary>
public static class OptimKernels
{
    /// <summary>Elements per worker: the update is memory bound, reading and writing 3 to 5 streams.</summary>
    public const int Grain = 1 << 15;

    /// <summary>One SGD step over contiguous elements; pass an empty <paramref name="buf"/> for no momentum.</summary>
    public static void SgdStep(Span<float> p, ReadOnlySpan<float> g, Span<float> buf, in SgdStepArgs<float> a) => Sgd(p, g, buf, a);

    /// <summary>One SGD step over contiguous elements; pass an empty <paramref name="buf"/> for no momentum.</summary>
    public static void SgdStep(Span<double> p, ReadOnlySpan<double> g, Span<double> buf, in SgdStepArgs<double> a) => Sgd(p, g, buf, a);

    /// <summary>One Adam/AdamW step over contiguous elements; pass an empty <paramref name="vmax"/> unless AMSGrad.</summary>
    public static void AdamStep(Span<float> p, ReadOnlySpan<float> g, Span<float> m, Span<float> v, Span<float> vmax, in AdamStepArgs<float> a) =>
        Adam(p, g, m, v, vmax, a);

    /// <summary>One Adam/AdamW step over contiguous elements; pass an empty <paramref name="vmax"/> unless AMSGrad.</summary>
    public static void AdamStep(Span<double> p, ReadOnlySpan<double> g, Span<double> m, Span<double> v, Span<double> vmax, in AdamStepArgs<double> a) =>
        Adam(p, g, m, v, vmax, a);

    private static unsafe void Sgd<T>(Span<T> p, ReadOnlySpan<T> g, Span<T> buf, SgdStepArgs<T> a) where T : unmanaged, IFloatingPointIeee754<T>
    {
        int n = p.Length;
        Check("SgdStep", n, g.Length, "gradient");
        if (!buf.IsEmpty) Check("SgdStep", n, buf.Length, "momentum buffer");
        if (n == 0) return;
        fixed (T* pp = p) fixed (T* pg = g) fixed (T* pb = buf)
        {
            T* bp = buf.IsEmpty ? null : pb;
            if (ParallelRange.Workers(n, Grain) <= 1) SgdRange(pp, pg, bp, 0, n, a);
            else
            {
                nint ip = (nint)pp, ig = (nint)pg, ib = (nint)bp;
                ParallelRange.Run(n, Grain, (s, e) => SgdRange((T*)ip, (T*)ig, (T*)ib, s, e, a));
            }
        }
    }

    private static unsafe void SgdRange<T>(T* p, T* g, T* buf, int i, int end, in SgdStepArgs<T> a) where T : unmanaged, IFloatingPointIeee754<T>
    {
        T sign = a.Maximize ? -T.One : T.One;
        bool wd = a.WeightDecay != T.Zero, mom = buf != null, first = a.FirstStep, nest = a.Nesterov;
        if (Vector512.IsHardwareAccelerated && Vector512<T>.IsSupported)
        {
            var vs = Vector512.Create(sign); var vwd = Vector512.Create(a.WeightDecay); var vlr = Vector512.Create(a.Lr);
            var vm = Vector512.Create(a.Momentum); var vd = Vector512.Create(a.OneMinusDampening);
            for (; i <= end - Vector512<T>.Count; i += Vector512<T>.Count)
            {
                var pv = Vector512.Load(p + i);
                var d = Vector512.Load(g + i) * vs;
                if (wd) d += vwd * pv;
                if (mom)
                {
                    var b = first ? d : vm * Vector512.Load(buf + i) + vd * d;
                    b.Store(buf + i);
                    d = nest ? d + vm * b : b;
                }
                (pv - vlr * d).Store(p + i);
            }
        }
        else if (Vector256.IsHardwareAccelerated && Vector256<T>.IsSupported)
        {
            var vs = Vector256.Create(sign); var vwd = Vector256.Create(a.WeightDecay); var vlr = Vector256.Create(a.Lr);
            var vm = Vector256.Create(a.Momentum); var vd = Vector256.Create(a.OneMinusDampening);
            for (; i <= end - Vector256<T>.Count; i += Vector256<T>.Count)
            {
                var pv = Vector256.Load(p + i);
                var d = Vector256.Load(g + i) * vs;
                if (wd) d += vwd * pv;
                if (mom)
                {
                    var b = first ? d : vm * Vector256.Load(buf + i) + vd * d;
                    b.Store(buf + i);
                    d = nest ? d + vm * b : b;
                }
                (pv - vlr * d).Store(p + i);
            }
        }
        for (; i < end; i++)
        {
            T pv = p[i], d = g[i] * sign;
            if (wd) d += a.WeightDecay * pv;
            if (mom)
            {
                T b = first ? d : a.Momentum * buf[i] + a.OneMinusDampening * d;
                buf[i] = b;
                d = nest ? d + a.Momentum * b : b;
            }
            p[i] = pv - a.Lr * d;
        }
    }

    private static unsafe void Adam<T>(Span<T> p, ReadOnlySpan<T> g, Span<T> m, Span<T> v, Span<T> vmax, AdamStepArgs<T> a)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int n = p.Length;
        Check("AdamStep", n, g.Length, "gradient");
        Check("AdamStep", n, m.Length, "exp_avg");
        Check("AdamStep", n, v.Length, "exp_avg_sq");
        if (!vmax.IsEmpty) Check("AdamStep", n, vmax.Length, "max_exp_avg_sq");
        if (n == 0) return;
        fixed (T* pp = p) fixed (T* pg = g) fixed (T* pm = m) fixed (T* pv = v) fixed (T* px = vmax)
        {
            T* xp = vmax.IsEmpty ? null : px;
            if (ParallelRange.Workers(n, Grain) <= 1) AdamRange(pp, pg, pm, pv, xp, 0, n, a);
            else
            {
                nint ip = (nint)pp, ig = (nint)pg, im = (nint)pm, iv = (nint)pv, ix = (nint)xp;
                ParallelRange.Run(n, Grain, (s, e) => AdamRange((T*)ip, (T*)ig, (T*)im, (T*)iv, (T*)ix, s, e, a));
            }
        }
    }

    private static unsafe void AdamRange<T>(T* p, T* g, T* m, T* v, T* vmax, int i, int end, in AdamStepArgs<T> a)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        T sign = a.Maximize ? -T.One : T.One;
        bool wd = a.WeightDecay != T.Zero, scale = a.ParamScale != T.One, ams = vmax != null;
        if (Vector512.IsHardwareAccelerated && Vector512<T>.IsSupported)
        {
            var vs = Vector512.Create(sign); var vwd = Vector512.Create(a.WeightDecay); var vsc = Vector512.Create(a.ParamScale);
            var b1 = Vector512.Create(a.Beta1); var c1 = Vector512.Create(a.OneMinusBeta1);
            var b2 = Vector512.Create(a.Beta2); var c2 = Vector512.Create(a.OneMinusBeta2);
            var eps = Vector512.Create(a.Eps); var step = Vector512.Create(a.StepSize);
            for (; i <= end - Vector512<T>.Count; i += Vector512<T>.Count)
            {
                var pv = Vector512.Load(p + i);
                var gv = Vector512.Load(g + i) * vs;
                if (wd) gv += vwd * pv;
                if (scale) pv *= vsc;
                var mv = b1 * Vector512.Load(m + i) + c1 * gv;
                var vv = b2 * Vector512.Load(v + i) + c2 * gv * gv;
                mv.Store(m + i);
                vv.Store(v + i);
                if (ams)
                {
                    vv = Vector512.Max(Vector512.Load(vmax + i), vv);
                    vv.Store(vmax + i);
                }
                var denom = Vector512.Sqrt(vv) + eps;
                (pv - step * mv / denom).Store(p + i);
            }
        }
        else if (Vector256.IsHardwareAccelerated && Vector256<T>.IsSupported)
        {
            var vs = Vector256.Create(sign); var vwd = Vector256.Create(a.WeightDecay); var vsc = Vector256.Create(a.ParamScale);
            var b1 = Vector256.Create(a.Beta1); var c1 = Vector256.Create(a.OneMinusBeta1);
            var b2 = Vector256.Create(a.Beta2); var c2 = Vector256.Create(a.OneMinusBeta2);
            var eps = Vector256.Create(a.Eps); var step = Vector256.Create(a.StepSize);
            for (; i <= end - Vector256<T>.Count; i += Vector256<T>.Count)
            {
                var pv = Vector256.Load(p + i);
                var gv = Vector256.Load(g + i) * vs;
                if (wd) gv += vwd * pv;
                if (scale) pv *= vsc;
                var mv = b1 * Vector256.Load(m + i) + c1 * gv;
                var vv = b2 * Vector256.Load(v + i) + c2 * gv * gv;
                mv.Store(m + i);
                vv.Store(v + i);
                if (ams)
                {
                    vv = Vector256.Max(Vector256.Load(vmax + i), vv);
                    vv.Store(vmax + i);
                }
                var denom = Vector256.Sqrt(vv) + eps;
                (pv - step * mv / denom).Store(p + i);
            }
        }
        for (; i < end; i++)
        {
            T pv = p[i], gv = g[i] * sign;
            if (wd) gv += a.WeightDecay * pv;
            if (scale) pv *= a.ParamScale;
            T mv = a.Beta1 * m[i] + a.OneMinusBeta1 * gv;
            T vv = a.Beta2 * v[i] + a.OneMinusBeta2 * gv * gv;
            m[i] = mv;
            v[i] = vv;
            if (ams)
            {
                vv = T.Max(vmax[i], vv);
                vmax[i] = vv;
            }
            T denom = T.Sqrt(vv) + a.Eps;
            p[i] = pv - a.StepSize * mv / denom;
        }
    }

    private static void Check(string kernel, int n, int length, string what)
    {
        if (length != n)
            throw new ArgumentException($"OptimKernels.{kernel}: the {what} has {length} elements but the parameter has {n}.");
    }
}
