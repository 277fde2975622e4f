using ILGPU;

namespace Trace.Kernels.Gpu;

/// <summary>
/// The scalars of <see cref="SgdStepArgs{T}"/> that a whole multi-tensor SGD launch shares (one param group's options;
/// flags as bits: ILGPU kernels take no <see cref="bool"/> fields). The first-step flag is per tensor (<see cref="GpuSgdSlot{T}"/>).
/// </summary>
public readonly struct GpuSgdArgs<T> : IEquatable<GpuSgdArgs<T>> where T : unmanaged
{
    /// <summary>Bit 1: momentum buffers are passed; 2: Nesterov; 4: maximize.</summary>
    public readonly int Flags;
    /// <summary>The step's scalars, as <see cref="SgdStepArgs{T}"/>.</summary>
    public readonly T Lr, WeightDecay, Momentum, OneMinusDampening;

    /// <summary>The shared scalars of <paramref name="a"/>, with or without momentum buffers.</summary>
    public GpuSgdArgs(in SgdStepArgs<T> a, bool momentumBuffer)
    {
        Flags = (momentumBuffer ? 1 : 0) | (a.Nesterov ? 2 : 0) | (a.Maximize ? 4 : 0);
        (Lr, WeightDecay, Momentum, OneMinusDampening) = (a.Lr, a.WeightDecay, a.Momentum, a.OneMinusDampening);
    }

    /// <summary>True when momentum buffers are passed (and read and written).</summary>
    public bool HasMomentumBuffer => (Flags & 1) != 0;

    /// <summary>Same flags and scalars: two tensors' steps can share one launch.</summary>
    public bool Equals(GpuSgdArgs<T> o)
    {
        var c = EqualityComparer<T>.Default;
        return Flags == o.Flags && c.Equals(Lr, o.Lr) && c.Equals(WeightDecay, o.WeightDecay) && c.Equals(Momentum, o.Momentum)
            && c.Equals(OneMinusDampening, o.OneMinusDampening);
    }

    /// <inheritdoc/>
    public override bool Equals(object? obj) => obj is GpuSgdArgs<T> o && Equals(o);

    /// <inheritdoc/>
    public override int GetHashCode() => HashCode.Combine(Flags, Lr, WeightDecay, Momentum, OneMinusDampening);
}

/// <summary>
/// The scalars of <see cref="AdamStepArgs{T}"/> that a whole multi-tensor Adam/AdamW launch shares (one param group's
/// options). The step size and eps depend on a tensor's own step count and are per tensor (<see cref="GpuAdamSlot{T}"/>).
/// </summary>
public readonly struct GpuAdamArgs<T> : IEquatable<GpuAdamArgs<T>> where T : unmanaged
{
    /// <summary>Bit 1: AMSGrad (max_exp_avg_sq buffers are passed); 4: maximize.</summary>
    public readonly int Flags;
    /// <summary>The step's scalars, as <see cref="AdamStepArgs{T}"/>.</summary>
    public readonly T Beta1, OneMinusBeta1, Beta2, OneMinusBeta2, WeightDecay, ParamScale;

    /// <summary>The shared scalars of <paramref name="a"/>, with or without AMSGrad's buffers.</summary>
    public GpuAdamArgs(in AdamStepArgs<T> a, bool amsgrad)
    {
        Flags = (amsgrad ? 1 : 0) | (a.Maximize ? 4 : 0);
        (Beta1, OneMinusBeta1, Beta2, OneMinusBeta2) = (a.Beta1, a.OneMinusBeta1, a.Beta2, a.OneMinusBeta2);
        (WeightDecay, ParamScale) = (a.WeightDecay, a.ParamScale);
    }

    /// <summary>True for AMSGrad: max_exp_avg_sq buffers are passed (and read and written).</summary>
    public bool Amsgrad => (Flags & 1) != 0;

    /// <summary>Same flags and scalars: two tensors' steps can share one launch.</summary>
    public bool Equals(GpuAdamArgs<T> o)
    {
        var c = EqualityComparer<T>.Default;
        return Flags == o.Flags && c.Equals(Beta1, o.Beta1) && c.Equals(OneMinusBeta1, o.OneMinusBeta1) && c.Equals(Beta2, o.Beta2)
            && c.Equals(OneMinusBeta2, o.OneMinusBeta2) && c.Equals(WeightDecay, o.WeightDecay) && c.Equals(ParamScale, o.ParamScale);
    }

    /// <inheritdoc/>
    public override bool Equals(object? obj) => obj is GpuAdamArgs<T> o && Equals(o);

    /// <inheritdoc/>
    public override int GetHashCode() => HashCode.Combine(Flags, Beta1, Beta2, WeightDecay, ParamScale);
}

/// <summary>One tensor of a multi-tensor SGD launch: its parameter, gradient and momentum buffer, and whether the buffer is new.</summary>
public struct GpuSgdSlot<T> : IGpuChunkSlot where T : unmanaged
{
    /// <summary>The parameter's elements (updated in place).</summary>
    public ArrayView<T> Param;
    /// <summary>The gradient's elements.</summary>
    public ArrayView<T> Grad;
    /// <summary>The momentum buffer's elements (any view without momentum).</summary>
    public ArrayView<T> MomentumBuffer;
    /// <summary>1 when the momentum buffer is uninitialized (this tensor's first step: the buffer is set to the gradient), else 0.</summary>
    public int FirstStep;
    /// <summary>The tensor's element count.</summary>
    public int Length;
    /// <summary>Where its elements start in the chunk's range (set when added).</summary>
    public int Start;

    /// <summary>A slot over the <paramref name="param"/> view's elements.</summary>
    /// <exception cref="ArgumentException">A parameter view of more than <see cref="int.MaxValue"/> elements.</exception>
    public GpuSgdSlot(ArrayView<T> param, ArrayView<T> grad, ArrayView<T> momentumBuffer, bool firstStep)
    {
        (Param, Grad, MomentumBuffer, FirstStep) = (param, grad, momentumBuffer, firstStep ? 1 : 0);
        Length = GpuOptim.CheckedLength("SGD step", param.Length);
    }

    readonly int IGpuChunkSlot.Length => Length;
    int IGpuChunkSlot.Start { readonly get => Start; set => Start = value; }
}

/// <summary>One tensor of a multi-tensor Adam/AdamW launch: its parameter, gradient and moments, and its step's step size and eps.</summary>
public struct GpuAdamSlot<T> : IGpuChunkSlot where T : unmanaged
{
    /// <summary>The parameter's elements (updated in place).</summary>
    public ArrayView<T> Param;
    /// <summary>The gradient's elements.</summary>
    public ArrayView<T> Grad;
    /// <summary>exp_avg.</summary>
    public ArrayView<T> ExpAvg;
    /// <summary>exp_avg_sq.</summary>
    public ArrayView<T> ExpAvgSq;
    /// <summary>max_exp_avg_sq (any view unless AMSGrad).</summary>
    public ArrayView<T> MaxExpAvgSq;
    /// <summary><see cref="AdamStepArgs{T}.StepSize"/> at this tensor's step count.</summary>
    public T StepSize;
    /// <summary><see cref="AdamStepArgs{T}.Eps"/> at this tensor's step count.</summary>
    public T Eps;
    /// <summary>The tensor's element count.</summary>
    public int Length;
    /// <summary>Where its elements start in the chunk's range (set when added).</summary>
    public int Start;

    /// <summary>A slot over the <paramref name="param"/> view's elements, with the per-tensor scalars of <paramref name="a"/>.</summary>
    /// <exception cref="ArgumentException">A parameter view of more than <see cref="int.MaxValue"/> elements.</exception>
    public GpuAdamSlot(ArrayView<T> param, ArrayView<T> grad, ArrayView<T> expAvg, ArrayView<T> expAvgSq, ArrayView<T> maxExpAvgSq, in AdamStepArgs<T> a)
    {
        (Param, Grad, ExpAvg, ExpAvgSq, MaxExpAvgSq) = (param, grad, expAvg, expAvgSq, maxExpAvgSq);
        (StepSize, Eps) = (a.StepSize, a.Eps);
        Length = GpuOptim.CheckedLength("Adam step", param.Length);
    }

    readonly int IGpuChunkSlot.Length => Length;
    int IGpuChunkSlot.Start { readonly get => Start; set => Start = value; }
}
