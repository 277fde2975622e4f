using ILGPU;
using ILGPU.Runtime;

namespace Trace.Kernels.Gpu;

/// <summary>
/// <see cref="SgdStepArgs{T}"/> as a kernel argument (flags as bits: ILGPU kernels take no <see cref="bool"/> fields).
/// </summary>
public readonly struct GpuSgdArgs<T> where T : unmanaged
{
    /// <summary>Elements updated.</summary>
    public readonly int N;
    /// <summary>Bit 1: a momentum buffer is passed; 2: Nesterov; 4: maximize; 8: the buffer is uninitialized (first step).</summary>
    public readonly int Flags;
    /// <summary>The step's scalars, as <see cref="SgdStepArgs{T}"/>.</summary>
    public readonly T Lr, WeightDecay, Momentum, OneMinusDampening;

    /// <summary>The launch for <paramref name="n"/> elements of one step, with or without a momentum buffer.</summary>
    /// <exception cref="ArgumentException">A negative n.</exception>
    public GpuSgdArgs(int n, in SgdStepArgs<T> a, bool momentumBuffer)
    {
        if (n < 0) throw new ArgumentException($"GPU SGD step: negative element count {n}.", nameof(n));
        N = n;
        Flags = (momentumBuffer ? 1 : 0) | (a.Nesterov ? 2 : 0) | (a.Maximize ? 4 : 0) | (a.FirstStep ? 8 : 0);
        (Lr, WeightDecay, Momentum, OneMinusDampening) = (a.Lr, a.WeightDecay, a.Momentum, a.OneMinusDampening);
    }
}

/// <summary><see cref="AdamStepArgs{T}"/> as a kernel argument.</summary>
public readonly struct GpuAdamArgs<T> where T : unmanaged
{
    /// <summary>Elements updated.</summary>
    public readonly int N;
    /// <summary>Bit 1: AMSGrad (a max_exp_avg_sq buffer is passed); 4: maximize.</summary>
    public readonly int Flags;
    /// <summary>The step's scalars, as <see cref="AdamStepArgs{T}"/>.</summary>
    public readonly T StepSize, Beta1, OneMinusBeta1, Beta2, OneMinusBeta2, Eps, WeightDecay, ParamScale;

    /// <summary>The launch for <paramref name="n"/> elements of one step, with or without AMSGrad's buffer.</summary>
    /// <exception cref="ArgumentException">A negative n.</exception>
    public GpuAdamArgs(int n, in AdamStepArgs<T> a, bool amsgrad)
    {
        if (n < 0) throw new ArgumentException($"GPU Adam step: negative element count {n}.", nameof(n));
        N = n;
        Flags = (amsgrad ? 1 : 0) | (a.Maximize ? 4 : 0);
        (StepSize, Beta1, OneMinusBeta1, Beta2, OneMinusBeta2) = (a.StepSize, a.Beta1, a.OneMinusBeta1, a.Beta2, a.OneMinusBeta2);
        (Eps, WeightDecay, ParamScale) = (a.Eps, a.WeightDecay, a.ParamScale);
    }
}

/// <summary>
/// Fused optimizer steps: one implicitly grouped launch per parameter tensor (one thread per element, launch
/// <c>N</c> threads) that reads the gradient and state and writes the parameter and state in place, with the
/// element-wise formulas and operation order of <see cref="OptimKernels"/> (so Trace's CPU and GPU steps agree up to
/// the device's rounding: on a GPU the compiler may fuse a multiply and an add).
/// </summary>
public static class GpuOptim
{
    internal static void SgdKernel<T, R>(Index1D i, ArrayView<T> param, ArrayView<T> grad, ArrayView<T> buf, GpuSgdArgs<T> a)
        where T : unmanaged where R : struct, IGpuReal<T>
    {
        T pv = param[i], d = R.Mul(grad[i], (a.Flags & 4) != 0 ? R.Of(-1) : R.One());
        if (!R.Eq(a.WeightDecay, R.Zero())) d = R.Add(d, R.Mul(a.WeightDecay, pv));
        if ((a.Flags & 1) != 0)
        {
            T b = (a.Flags & 8) != 0 ? d : R.Add(R.Mul(a.Momentum, buf[i]), R.Mul(a.OneMinusDampening, d));
            buf[i] = b;
            d = (a.Flags & 2) != 0 ? R.Add(d, R.Mul(a.Momentum, b)) : b;
        }
        param[i] = R.Sub(pv, R.Mul(a.Lr, d));
    }

    internal static void AdamKernel<T, R>(Index1D i, ArrayView<T> param, ArrayView<T> grad, ArrayView<T> m, ArrayView<T> v, ArrayView<T> vmax, GpuAdamArgs<T> a)
        where T : unmanaged where R : struct, IGpuReal<T>
    {
        T pv = param[i], gv = R.Mul(grad[i], (a.Flags & 4) != 0 ? R.Of(-1) : R.One());
        if (!R.Eq(a.WeightDecay, R.Zero())) gv = R.Add(gv, R.Mul(a.WeightDecay, pv));
        if (!R.Eq(a.ParamScale, R.One())) pv = R.Mul(pv, a.ParamScale);
        T mv = R.Add(R.Mul(a.Beta1, m[i]), R.Mul(a.OneMinusBeta1, gv));
        T vv = R.Add(R.Mul(a.Beta2, v[i]), R.Mul(R.Mul(a.OneMinusBeta2, gv), gv));
        m[i] = mv;
        v[i] = vv;
        if ((a.Flags & 1) != 0)
        {
            T old = vmax[i];
            if (R.Gt(old, vv) || R.IsNaN(old)) vv = old;   // T.Max: NaN propagates
            vmax[i] = vv;
        }
        param[i] = R.Sub(pv, R.Div(R.Mul(a.StepSize, mv), R.Add(R.Sqrt(vv), a.Eps)));
    }

    /// <summary>
    /// Loads the SGD step (float32 or float64): launcher arguments param, grad, momentum buffer (any view when
    /// <see cref="GpuSgdArgs{T}.Flags"/> has no buffer bit), args; launch <see cref="GpuSgdArgs{T}.N"/> threads.
    /// </summary>
    /// <exception cref="NotSupportedException">Another element type.</exception>
    public static Action<AcceleratorStream, Index1D, ArrayView<T>, ArrayView<T>, ArrayView<T>, GpuSgdArgs<T>> LoadSgd<T>(Accelerator accelerator) where T : unmanaged
    {
        ArgumentNullException.ThrowIfNull(accelerator);
        if (typeof(T) == typeof(float))
            return (Action<AcceleratorStream, Index1D, ArrayView<T>, ArrayView<T>, ArrayView<T>, GpuSgdArgs<T>>)(object)
                accelerator.LoadAutoGroupedKernel<Index1D, ArrayView<float>, ArrayView<float>, ArrayView<float>, GpuSgdArgs<float>>(SgdKernel<float, F32>);
        if (typeof(T) == typeof(double))
            return (Action<AcceleratorStream, Index1D, ArrayView<T>, ArrayView<T>, ArrayView<T>, GpuSgdArgs<T>>)(object)
                accelerator.LoadAutoGroupedKernel<Index1D, ArrayView<double>, ArrayView<double>, ArrayView<double>, GpuSgdArgs<double>>(SgdKernel<double, F64>);
        throw new NotSupportedException(GpuGroup.NotSupported<T>("GPU SGD step"));
    }

    /// <summary>
    /// Loads the Adam/AdamW step (float32 or float64): launcher arguments param, grad, exp_avg, exp_avg_sq,
    /// max_exp_avg_sq (any view unless AMSGrad), args; launch <see cref="GpuAdamArgs{T}.N"/> threads.
    /// </summary>
    /// <exception cref="NotSupportedException">Another element type.</exception>
    public static Action<AcceleratorStream, Index1D, ArrayView<T>, ArrayView<T>, ArrayView<T>, ArrayView<T>, ArrayView<T>, GpuAdamArgs<T>> LoadAdam<T>(Accelerator accelerator)
        where T : unmanaged
    {
        ArgumentNullException.ThrowIfNull(accelerator);
        if (typeof(T) == typeof(float))
            return (Action<AcceleratorStream, Index1D, ArrayView<T>, ArrayView<T>, ArrayView<T>, ArrayView<T>, ArrayView<T>, GpuAdamArgs<T>>)(object)
                accelerator.LoadAutoGroupedKernel<Index1D, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, GpuAdamArgs<float>>(AdamKernel<float, F32>);
        if (typeof(T) == typeof(double))
            return (Action<AcceleratorStream, Index1D, ArrayView<T>, ArrayView<T>, ArrayView<T>, ArrayView<T>, ArrayView<T>, GpuAdamArgs<T>>)(object)
                accelerator.LoadAutoGroupedKernel<Index1D, ArrayView<double>, ArrayView<double>, ArrayView<double>, ArrayView<double>, ArrayView<double>, GpuAdamArgs<double>>(AdamKernel<double, F64>);
        throw new NotSupportedException(GpuGroup.NotSupported<T>("GPU Adam step"));
    }

    /// <summary>Queues one SGD step over the <see cref="GpuSgdArgs{T}.N"/> elements of the views (the buffer unused without momentum).</summary>
    public static void Sgd<T>(GpuDevice d, ArrayView<T> param, ArrayView<T> grad, ArrayView<T> buf, in GpuSgdArgs<T> a) where T : unmanaged
    {
        CheckLengths("SGD step", a.N, ("gradient", grad.Length), ("parameter view", param.Length));
        if ((a.Flags & 1) != 0) CheckLengths("SGD step", a.N, ("momentum buffer", buf.Length));
        if (a.N == 0) return;
        lock (d.Gate) d.Kernel(("optim", "sgd", typeof(T)), LoadSgd<T>)(d.Stream, a.N, param, grad, buf, a);
    }

    /// <summary>Queues one Adam/AdamW step over the <see cref="GpuAdamArgs{T}.N"/> elements of the views (vmax unused unless AMSGrad).</summary>
    public static void Adam<T>(GpuDevice d, ArrayView<T> param, ArrayView<T> grad, ArrayView<T> m, ArrayView<T> v, ArrayView<T> vmax, in GpuAdamArgs<T> a)
        where T : unmanaged
    {
        CheckLengths("Adam step", a.N, ("gradient", grad.Length), ("parameter view", param.Length), ("exp_avg", m.Length), ("exp_avg_sq", v.Length));
        if ((a.Flags & 1) != 0) CheckLengths("Adam step", a.N, ("max_exp_avg_sq", vmax.Length));
        if (a.N == 0) return;
        lock (d.Gate) d.Kernel(("optim", "adam", typeof(T)), LoadAdam<T>)(d.Stream, a.N, param, grad, m, v, vmax, a);
    }

    /// <summary>Checks that every buffer holds the parameter's <paramref name="n"/> elements (naming the step and the buffer).</summary>
    /// <exception cref="ArgumentException">A buffer of another length.</exception>
    public static void CheckLengths(string step, int n, params (string Name, long Length)[] buffers)
    {
        foreach (var (name, length) in buffers)
            if (length != n)
                throw new ArgumentException($"GPU {step}: the {name} has {length} elements but the parameter has {n}.");
    }
}
