using ILGPU;
using ILGPU.Runtime;

namespace Trace.Kernels.Gpu;

/// <summary>
/// The layout of a row kernel's launch: <see cref="Rows"/> rows of <see cref="Len"/> elements. Element j of row r of X is
/// at <c>XOffset + r·XRowStride + j·XStride</c>, of Y at <c>YOffset + r·YRowStride + j·YStride</c> (in elements).
/// </summary>
public struct GpuRowArgs
{
    /// <summary>Rows (one group each).</summary>
    public int Rows;
    /// <summary>Elements per row (≥ 1).</summary>
    public int Len;
    /// <summary>X's layout.</summary>
    public int XOffset, XRowStride, XStride;
    /// <summary>Y's layout.</summary>
    public int YOffset, YRowStride, YStride;
    /// <summary>Softmax: 1 for log-softmax. Variance: 1 for the standard deviation.</summary>
    public int Flag;
    /// <summary>Layer norm: 1 when a weight is passed; 2 bit: a bias is passed. Variance: the correction (1: Bessel's).</summary>
    public int Extra;
    /// <summary>Layer norm: added to the variance.</summary>
    public double Eps;

    /// <summary>Dense rows: strides <paramref name="len"/> and 1 for both X and Y.</summary>
    public static GpuRowArgs Dense(int rows, int len) => new() { Rows = rows, Len = len, XRowStride = len, XStride = 1, YRowStride = len, YStride = 1 };

    /// <summary>Checks sizes and that every element read or written lies inside its view.</summary>
    /// <exception cref="ArgumentException">Negative or zero sizes, or an extent that exceeds its view.</exception>
    public readonly void Check(string op, long xLength, long yLength)
    {
        if (Rows < 0 || Len < 1)
            throw new ArgumentException($"{op}: needs rows ≥ 0 and a row length ≥ 1 (rows={Rows}, len={Len}).");
        if (Rows == 0) return;
        long xLast = XOffset + (long)(Rows - 1) * XRowStride + (long)(Len - 1) * XStride;
        long yLast = YOffset + (long)(Rows - 1) * YRowStride + (long)(Len - 1) * YStride;
        if (XOffset < 0 || XRowStride < 0 || XStride < 0 || xLast >= xLength)
            throw new ArgumentException($"{op}: X ({Rows}×{Len}, strides {XRowStride}, {XStride}, offset {XOffset}) exceeds its {xLength} elements.");
        if (YOffset < 0 || YRowStride < 0 || YStride < 0 || yLast >= yLength)
            throw new ArgumentException($"{op}: Y ({Rows}×{Len}, strides {YRowStride}, {YStride}, offset {YOffset}) exceeds its {yLength} elements.");
    }
}

/// <summary>
/// Row kernels: one group per row (<see cref="Config"/>: the next power of two ≥ len threads, 32 to 256), each thread
/// walking the row with the group's stride, then a shared-memory tree reduction (<c>log2(group)</c> barriers). A sum
/// over a row of n elements is n/group sequential adds per thread, then a tree: float32 error ~ (n/256 + 8)·ε.
/// Softmax and log-softmax subtract the row's max first (NaN propagates; a row with +inf or of all -inf gives NaN;
/// -inf entries get probability 0, as PyTorch). Layer norm and variance are two-pass (mean, then squared deviations).
/// </summary>
public static class GpuRowKernels
{
    internal static void SoftmaxKernel<T, R>(ArrayView<T> x, ArrayView<T> y, GpuRowArgs p) where T : unmanaged where R : struct, IGpuReal<T>
    {
        var scratch = SharedMemory.Allocate<T>(GpuGroup.MaxThreads);
        int t = Group.IdxX, g = Group.DimX;
        int xb = p.XOffset + Grid.IdxX * p.XRowStride, yb = p.YOffset + Grid.IdxX * p.YRowStride;
        T m = R.Lowest();
        for (int j = t; j < p.Len; j += g) m = MaxOp<T, R>.Combine(x[xb + j * p.XStride], m);
        m = GpuGroup.Reduce<T, MaxOp<T, R>>(scratch, m);
        T s = R.Zero();
        for (int j = t; j < p.Len; j += g) s = R.Add(s, R.Exp(R.Sub(x[xb + j * p.XStride], m)));
        s = GpuGroup.Reduce<T, SumOp<T, R>>(scratch, s);
        if (p.Flag != 0)
        {
            T shift = R.Add(m, R.Log(s));
            for (int j = t; j < p.Len; j += g) y[yb + j * p.YStride] = R.Sub(x[xb + j * p.XStride], shift);
        }
        else
        {
            for (int j = t; j < p.Len; j += g) y[yb + j * p.YStride] = R.Div(R.Exp(R.Sub(x[xb + j * p.XStride], m)), s);
        }
    }

    internal static void LayerNormKernel<T, R>(ArrayView<T> x, ArrayView<T> weight, ArrayView<T> bias, ArrayView<T> y, ArrayView<T> mean, ArrayView<T> rstd, GpuRowArgs p)
        where T : unmanaged where R : struct, IGpuReal<T>
    {
        var scratch = SharedMemory.Allocate<T>(GpuGroup.MaxThreads);
        int t = Group.IdxX, g = Group.DimX, row = Grid.IdxX;
        int xb = p.XOffset + row * p.XRowStride, yb = p.YOffset + row * p.YRowStride;
        T len = R.Of(p.Len);
        T s = R.Zero();
        for (int j = t; j < p.Len; j += g) s = R.Add(s, x[xb + j * p.XStride]);
        T mu = R.Div(GpuGroup.Reduce<T, SumOp<T, R>>(scratch, s), len);
        T q = R.Zero();
        for (int j = t; j < p.Len; j += g)
        {
            T d = R.Sub(x[xb + j * p.XStride], mu);
            q = R.Add(q, R.Mul(d, d));
        }
        T variance = R.Div(GpuGroup.Reduce<T, SumOp<T, R>>(scratch, q), len);
        T rs = R.Div(R.One(), R.Sqrt(R.Add(variance, R.Of(p.Eps))));
        bool hasWeight = (p.Extra & 1) != 0, hasBias = (p.Extra & 2) != 0;
        for (int j = t; j < p.Len; j += g)
        {
            T v = R.Mul(R.Sub(x[xb + j * p.XStride], mu), rs);
            if (hasWeight) v = R.Mul(v, weight[j]);
            if (hasBias) v = R.Add(v, bias[j]);
            y[yb + j * p.YStride] = v;
        }
        if (t == 0)
        {
            mean[row] = mu;
            rstd[row] = rs;
        }
    }

    internal static void VarianceKernel<T, R>(ArrayView<T> x, ArrayView<T> y, GpuRowArgs p) where T : unmanaged where R : struct, IGpuReal<T>
    {
        var scratch = SharedMemory.Allocate<T>(GpuGroup.MaxThreads);
        int t = Group.IdxX, g = Group.DimX, row = Grid.IdxX;
        int xb = p.XOffset + row * p.XRowStride;
        T s = R.Zero();
        for (int j = t; j < p.Len; j += g) s = R.Add(s, x[xb + j * p.XStride]);
        T mu = R.Div(GpuGroup.Reduce<T, SumOp<T, R>>(scratch, s), R.Of(p.Len));
        T q = R.Zero();
        for (int j = t; j < p.Len; j += g)
        {
            T d = R.Sub(x[xb + j * p.XStride], mu);
            q = R.Add(q, R.Mul(d, d));
        }
        q = GpuGroup.Reduce<T, SumOp<T, R>>(scratch, q);
        if (t == 0)
        {
            int divisor = p.Len - p.Extra;
            T v = R.Div(q, R.Of(divisor > 0 ? divisor : 0));   // PyTorch: max(0, n − correction); 0/0 is NaN
            y[p.YOffset + row * p.YRowStride] = p.Flag != 0 ? R.Sqrt(v) : v;
        }
    }

    /// <summary>
    /// Loads softmax (<see cref="GpuRowArgs.Flag"/> 0) / log-softmax (1) for float32 or float64: y = softmax of each row of x.
    /// Launch with <see cref="Config"/>; check the layout first with <see cref="GpuRowArgs.Check"/>.
    /// </summary>
    /// <exception cref="NotSupportedException">Another element type, or groups smaller than 256 threads.</exception>
    public static Action<AcceleratorStream, KernelConfig, ArrayView<T>, ArrayView<T>, GpuRowArgs> LoadSoftmax<T>(Accelerator accelerator) where T : unmanaged
    {
        GpuGroup.RequireGroups(accelerator, "GPU softmax");
        if (typeof(T) == typeof(float))
            return (Action<AcceleratorStream, KernelConfig, ArrayView<T>, ArrayView<T>, GpuRowArgs>)(object)
                accelerator.LoadKernel<ArrayView<float>, ArrayView<float>, GpuRowArgs>(SoftmaxKernel<float, F32>);
        if (typeof(T) == typeof(double))
            return (Action<AcceleratorStream, KernelConfig, ArrayView<T>, ArrayView<T>, GpuRowArgs>)(object)
                accelerator.LoadKernel<ArrayView<double>, ArrayView<double>, GpuRowArgs>(SoftmaxKernel<double, F64>);
        throw new NotSupportedException(GpuGroup.NotSupported<T>("GPU softmax"));
    }

    /// <summary>
    /// Loads layer norm for float32 or float64: launcher arguments are x, weight, bias, y, mean, rstd (the last two dense,
    /// one per row) and the layout; <see cref="GpuRowArgs.Extra"/> bit 1 reads the weight (length len), bit 2 the bias;
    /// pass any view (such as <see cref="ArrayView{T}.Empty"/>) for an absent one. Variance is biased; rstd = 1/√(var + eps).
    /// </summary>
    /// <exception cref="NotSupportedException">Another element type, or groups smaller than 256 threads.</exception>
    public static Action<AcceleratorStream, KernelConfig, ArrayView<T>, ArrayView<T>, ArrayView<T>, ArrayView<T>, ArrayView<T>, ArrayView<T>, GpuRowArgs> LoadLayerNorm<T>(Accelerator accelerator)
        where T : unmanaged
    {
        GpuGroup.RequireGroups(accelerator, "GPU layer_norm");
        if (typeof(T) == typeof(float))
            return (Action<AcceleratorStream, KernelConfig, ArrayView<T>, ArrayView<T>, ArrayView<T>, ArrayView<T>, ArrayView<T>, ArrayView<T>, GpuRowArgs>)(object)
                accelerator.LoadKernel<ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, GpuRowArgs>(LayerNormKernel<float, F32>);
        if (typeof(T) == typeof(double))
            return (Action<AcceleratorStream, KernelConfig, ArrayView<T>, ArrayView<T>, ArrayView<T>, ArrayView<T>, ArrayView<T>, ArrayView<T>, GpuRowArgs>)(object)
                accelerator.LoadKernel<ArrayView<double>, ArrayView<double>, ArrayView<double>, ArrayView<double>, ArrayView<double>, ArrayView<double>, GpuRowArgs>(LayerNormKernel<double, F64>);
        throw new NotSupportedException(GpuGroup.NotSupported<T>("GPU layer_norm"));
    }

    /// <summary>
    /// Loads the row variance for float32 or float64: y[YOffset + r·YRowStride] = Σ(x − mean)² / max(0, len − correction)
    /// (set YStride to 0: one output per row) with the correction in <see cref="GpuRowArgs.Extra"/>, its square root when <see cref="GpuRowArgs.Flag"/> is 1.
    /// </summary>
    /// <exception cref="NotSupportedException">Another element type, or groups smaller than 256 threads.</exception>
    public static Action<AcceleratorStream, KernelConfig, ArrayView<T>, ArrayView<T>, GpuRowArgs> LoadVariance<T>(Accelerator accelerator) where T : unmanaged
    {
        GpuGroup.RequireGroups(accelerator, "GPU var");
        if (typeof(T) == typeof(float))
            return (Action<AcceleratorStream, KernelConfig, ArrayView<T>, ArrayView<T>, GpuRowArgs>)(object)
                accelerator.LoadKernel<ArrayView<float>, ArrayView<float>, GpuRowArgs>(VarianceKernel<float, F32>);
        if (typeof(T) == typeof(double))
            return (Action<AcceleratorStream, KernelConfig, ArrayView<T>, ArrayView<T>, GpuRowArgs>)(object)
                accelerator.LoadKernel<ArrayView<double>, ArrayView<double>, GpuRowArgs>(VarianceKernel<double, F64>);
        throw new NotSupportedException(GpuGroup.NotSupported<T>("GPU var"));
    }

    /// <summary>
    /// Checks a layer norm launch's side buffers: weight and bias (when <see cref="GpuRowArgs.Extra"/> reads them) hold
    /// len elements, mean and rstd one per row.
    /// </summary>
    /// <exception cref="ArgumentException">A buffer of the wrong length, naming it.</exception>
    public static void CheckLayerNorm(in GpuRowArgs p, long weightLength, long biasLength, long meanLength, long rstdLength)
    {
        if ((p.Extra & 1) != 0 && weightLength != p.Len)
            throw new ArgumentException($"GPU layer_norm: the weight has {weightLength} elements but rows have {p.Len}.");
        if ((p.Extra & 2) != 0 && biasLength != p.Len)
            throw new ArgumentException($"GPU layer_norm: the bias has {biasLength} elements but rows have {p.Len}.");
        if (meanLength < p.Rows || rstdLength < p.Rows)
            throw new ArgumentException($"GPU layer_norm: mean ({meanLength}) and rstd ({rstdLength}) need one element per row ({p.Rows}).");
    }

    /// <summary>Queues softmax (log-softmax when <see cref="GpuRowArgs.Flag"/> is 1) of each row of <paramref name="x"/> into <paramref name="y"/>, after checking the layout.</summary>
    public static void Softmax<T>(GpuDevice d, ArrayView<T> x, ArrayView<T> y, in GpuRowArgs p) where T : unmanaged
    {
        p.Check("GPU softmax", x.Length, y.Length);
        if (p.Rows == 0) return;
        lock (d.Gate) d.Kernel(("rows", "softmax", typeof(T)), LoadSoftmax<T>)(d.Stream, Config(p), x, y, p);
    }

    /// <summary>
    /// Queues layer norm of each row of <paramref name="x"/> into <paramref name="y"/> with each row's mean and rstd, after
    /// checking the layout and side buffers (weight and bias read when <see cref="GpuRowArgs.Extra"/> says so).
    /// </summary>
    public static void LayerNorm<T>(GpuDevice d, ArrayView<T> x, ArrayView<T> weight, ArrayView<T> bias, ArrayView<T> y, ArrayView<T> mean, ArrayView<T> rstd, in GpuRowArgs p)
        where T : unmanaged
    {
        p.Check("GPU layer_norm", x.Length, y.Length);
        CheckLayerNorm(p, weight.Length, bias.Length, mean.Length, rstd.Length);
        if (p.Rows == 0) return;
        lock (d.Gate) d.Kernel(("rows", "layer_norm", typeof(T)), LoadLayerNorm<T>)(d.Stream, Config(p), x, weight, bias, y, mean, rstd, p);
    }

    /// <summary>Queues the variance (or standard deviation) of each row of <paramref name="x"/>, one output per row of <paramref name="y"/>.</summary>
    public static void Variance<T>(GpuDevice d, ArrayView<T> x, ArrayView<T> y, in GpuRowArgs p) where T : unmanaged
    {
        p.Check("GPU var", x.Length, y.Length);
        if (p.Rows == 0) return;
        lock (d.Gate) d.Kernel(("rows", "var", typeof(T)), LoadVariance<T>)(d.Stream, Config(p), x, y, p);
    }

    /// <summary>The launch shape: one group per row, the next power of two ≥ len threads (32 to 256). Launch nothing for 0 rows.</summary>
    public static KernelConfig Config(in GpuRowArgs p) => GpuGroup.Config(p.Rows, GpuGroup.ThreadsFor(p.Len));
}
