using System.Runtime.CompilerServices;
using ILGPU;
using ILGPU.Runtime;

namespace Trace.Kernels.Gpu;

/// <summary>
/// Fused multi-tensor optimizer steps: one launch updates a chunk of up to <see cref="GpuChunk{TSlot}.Capacity"/>
/// tensors (PyTorch's <c>multi_tensor_apply</c>), reading each gradient and state and writing the parameter and state in
/// place, with the element-wise formulas and operation order of <see cref="OptimKernels"/> (so Trace's CPU and GPU steps
/// agree up to the device's rounding: on a GPU the compiler may fuse a multiply and an add). The launch is a grid-stride
/// loop over the chunk's concatenated elements (<c>d.LaunchThreads(Total)</c> threads): each thread walks the slots in
/// order and takes its elements of each, so consecutive threads touch consecutive elements of one tensor.
/// </summary>
public static class GpuOptim
{
    internal static void SgdKernel<T, R>(Index1D i, GpuChunk<GpuSgdSlot<T>> c, GpuSgdArgs<T> a, int stride)
        where T : unmanaged where R : struct, IGpuReal<T>
    {
        for (int k = 0; k < c.Count; k++)
        {
            var s = c.Get(k);
            int end = s.Start + s.Length;
            for (int j = GpuChunk<GpuSgdSlot<T>>.First(i, s.Start, end, stride); j < end; j = GpuElementwise.Next(j, end, stride))
                SgdElement<T, R>(s, j - s.Start, a);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void SgdElement<T, R>(GpuSgdSlot<T> s, int i, GpuSgdArgs<T> a) where T : unmanaged where R : struct, IGpuReal<T>
    {
        T pv = s.Param[i], d = R.Mul(s.Grad[i], (a.Flags & 4) != 0 ? R.Of(-1) : R.One());
        if (!R.Eq(a.WeightDecay, R.Zero())) d = R.Add(d, R.Mul(a.WeightDecay, pv));
        if ((a.Flags & 1) != 0)
        {
            T b = s.FirstStep != 0 ? d : R.Add(R.Mul(a.Momentum, s.MomentumBuffer[i]), R.Mul(a.OneMinusDampening, d));
            s.MomentumBuffer[i] = b;
            d = (a.Flags & 2) != 0 ? R.Add(d, R.Mul(a.Momentum, b)) : b;
        }
        s.Param[i] = R.Sub(pv, R.Mul(a.Lr, d));
    }

    internal static void AdamKernel<T, R>(Index1D i, GpuChunk<GpuAdamSlot<T>> c, GpuAdamArgs<T> a, int stride)
        where T : unmanaged where R : struct, IGpuReal<T>
    {
        for (int k = 0; k < c.Count; k++)
        {
            var s = c.Get(k);
            int end = s.Start + s.Length;
            for (int j = GpuChunk<GpuAdamSlot<T>>.First(i, s.Start, end, stride); j < end; j = GpuElementwise.Next(j, end, stride))
                AdamElement<T, R>(s, j - s.Start, a);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void AdamElement<T, R>(GpuAdamSlot<T> s, int i, GpuAdamArgs<T> a) where T : unmanaged where R : struct, IGpuReal<T>
    {
        T pv = s.Param[i], gv = R.Mul(s.Grad[i], (a.Flags & 4) != 0 ? R.Of(-1) : R.One());
        if (!R.Eq(a.WeightDecay, R.Zero())) gv = R.Add(gv, R.Mul(a.WeightDecay, pv));
        if (!R.Eq(a.ParamScale, R.One())) pv = R.Mul(pv, a.ParamScale);
        T mv = R.Add(R.Mul(a.Beta1, s.ExpAvg[i]), R.Mul(a.OneMinusBeta1, gv));
        T vv = R.Add(R.Mul(a.Beta2, s.ExpAvgSq[i]), R.Mul(R.Mul(a.OneMinusBeta2, gv), gv));
        s.ExpAvg[i] = mv;
        s.ExpAvgSq[i] = vv;
        if ((a.Flags & 1) != 0)
        {
            T old = s.MaxExpAvgSq[i];
            if (R.Gt(old, vv) || R.IsNaN(old)) vv = old;   // T.Max: NaN propagates
            s.MaxExpAvgSq[i] = vv;
        }
        s.Param[i] = R.Sub(pv, R.Div(R.Mul(s.StepSize, mv), R.Add(R.Sqrt(vv), s.Eps)));
    }

    /// <summary>
    /// Loads the multi-tensor SGD step (float32 or float64): launcher arguments chunk, shared args, stride (the
    /// launched thread count); launch <c>LaunchThreads(chunk.Total)</c> threads.
    /// </summary>
    /// <exception cref="NotSupportedException">Another element type.</exception>
    public static Action<AcceleratorStream, Index1D, GpuChunk<GpuSgdSlot<T>>, GpuSgdArgs<T>, int> LoadSgd<T>(Accelerator accelerator) where T : unmanaged
    {
        ArgumentNullException.ThrowIfNull(accelerator);
        if (typeof(T) == typeof(float))
            return (Action<AcceleratorStream, Index1D, GpuChunk<GpuSgdSlot<T>>, GpuSgdArgs<T>, int>)(object)
                accelerator.LoadAutoGroupedKernel<Index1D, GpuChunk<GpuSgdSlot<float>>, GpuSgdArgs<float>, int>(SgdKernel<float, F32>);
        if (typeof(T) == typeof(double))
            return (Action<AcceleratorStream, Index1D, GpuChunk<GpuSgdSlot<T>>, GpuSgdArgs<T>, int>)(object)
                accelerator.LoadAutoGroupedKernel<Index1D, GpuChunk<GpuSgdSlot<double>>, GpuSgdArgs<double>, int>(SgdKernel<double, F64>);
        throw new NotSupportedException(GpuGroup.NotSupported<T>("GPU SGD step"));
    }

    /// <summary>
    /// Loads the multi-tensor Adam/AdamW step (float32 or float64): launcher arguments chunk, shared args, stride (the
    /// launched thread count); launch <c>LaunchThreads(chunk.Total)</c> threads.
    /// </summary>
    /// <exception cref="NotSupportedException">Another element type.</exception>
    public static Action<AcceleratorStream, Index1D, GpuChunk<GpuAdamSlot<T>>, GpuAdamArgs<T>, int> LoadAdam<T>(Accelerator accelerator) where T : unmanaged
    {
        ArgumentNullException.ThrowIfNull(accelerator);
        if (typeof(T) == typeof(float))
            return (Action<AcceleratorStream, Index1D, GpuChunk<GpuAdamSlot<T>>, GpuAdamArgs<T>, int>)(object)
                accelerator.LoadAutoGroupedKernel<Index1D, GpuChunk<GpuAdamSlot<float>>, GpuAdamArgs<float>, int>(AdamKernel<float, F32>);
        if (typeof(T) == typeof(double))
            return (Action<AcceleratorStream, Index1D, GpuChunk<GpuAdamSlot<T>>, GpuAdamArgs<T>, int>)(object)
                accelerator.LoadAutoGroupedKernel<Index1D, GpuChunk<GpuAdamSlot<double>>, GpuAdamArgs<double>, int>(AdamKernel<double, F64>);
        throw new NotSupportedException(GpuGroup.NotSupported<T>("GPU Adam step"));
    }

    /// <summary>Queues one SGD step over every tensor of <paramref name="c"/> as one launch (none for an empty chunk).</summary>
    /// <exception cref="ArgumentException">A gradient or momentum buffer whose length is not its parameter's.</exception>
    public static void Sgd<T>(GpuDevice d, in GpuChunk<GpuSgdSlot<T>> c, in GpuSgdArgs<T> a) where T : unmanaged
    {
        ArgumentNullException.ThrowIfNull(d);
        for (int k = 0; k < c.Count; k++)
        {
            var s = c.Get(k);
            CheckLengths("SGD step", s.Length, ("gradient", s.Grad.Length), ("parameter view", s.Param.Length));
            if (a.HasMomentumBuffer) CheckLengths("SGD step", s.Length, ("momentum buffer", s.MomentumBuffer.Length));
        }
        if (c.Total == 0) return;
        int threads = d.LaunchThreads(c.Total);
        lock (d.Gate) d.Kernel(("optim", "sgd", typeof(T)), LoadSgd<T>)(d.Stream, threads, c, a, threads);
    }

    /// <summary>Queues one Adam/AdamW step over every tensor of <paramref name="c"/> as one launch (none for an empty chunk).</summary>
    /// <exception cref="ArgumentException">A gradient or state buffer whose length is not its parameter's.</exception>
    public static void Adam<T>(GpuDevice d, in GpuChunk<GpuAdamSlot<T>> c, in GpuAdamArgs<T> a) where T : unmanaged
    {
        ArgumentNullException.ThrowIfNull(d);
        for (int k = 0; k < c.Count; k++)
        {
            var s = c.Get(k);
            CheckLengths("Adam step", s.Length, ("gradient", s.Grad.Length), ("parameter view", s.Param.Length), ("exp_avg", s.ExpAvg.Length),
                ("exp_avg_sq", s.ExpAvgSq.Length));
            if (a.Amsgrad) CheckLengths("Adam step", s.Length, ("max_exp_avg_sq", s.MaxExpAvgSq.Length));
        }
        if (c.Total == 0) return;
        int threads = d.LaunchThreads(c.Total);
        lock (d.Gate) d.Kernel(("optim", "adam", typeof(T)), LoadAdam<T>)(d.Stream, threads, c, a, threads);
    }

    /// <summary>Checks that every buffer holds the parameter's <paramref name="n"/> elements (naming the step and the buffer).</summary>
    /// <exception cref="ArgumentException">A buffer of another length.</exception>
    public static void CheckLengths(string step, int n, params (string Name, long Length)[] buffers)
    {
        foreach (var (name, length) in buffers)
            if (length != n)
                throw new ArgumentException($"GPU {step}: the {name} has {length} elements but the parameter has {n}.");
    }

    /// <summary>A parameter view's length as an int (a slot's element count).</summary>
    /// <exception cref="ArgumentException">More than <see cref="int.MaxValue"/> elements.</exception>
    internal static int CheckedLength(string step, long length) =>
        length <= int.MaxValue ? (int)length : throw new ArgumentException($"GPU {step}: a parameter of {length} elements is more than one launch indexes.");
}
