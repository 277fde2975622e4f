namespace Trace;

public sealed partial class Tensor
{
    /// <summary>Seeds the default generator (like <c>torch.manual_seed</c>).</summary>
    public static void ManualSeed(ulong seed) => Generator.Default.ManualSeed(seed);

    /// <summary>A zero-filled float32 tensor.</summary>
    public static Tensor Zeros(params int[] shape) => Zeros(shape, DType.Float32);

    /// <summary>A zero-filled tensor of the given dtype and device.</summary>
    public static Tensor Zeros(int[] shape, DType dtype, Device? device = null) =>
        Dispatch.Created(Zeros(shape, dtype, device, "aten::zeros"), new OpCall("aten::zeros", (int[])shape.Clone(), dtype, (device ?? Device.Cpu).ToString()));

    private static Tensor Zeros(int[] shape, DType dtype, Device? device, string op) =>
        new((int[])shape.Clone(), dtype, device ?? Device.Cpu, zeroed: true, op);

    /// <summary>A tensor with unspecified contents (like <c>torch.empty</c>), for outputs you overwrite.</summary>
    public static Tensor Empty(int[] shape, DType dtype = DType.Float32, Device? device = null) => Empty(shape, dtype, device, "aten::empty");

    private static Tensor Empty(int[] shape, DType dtype, Device? device, string op) =>
        new((int[])shape.Clone(), dtype, device ?? Device.Cpu, op: op);

    /// <summary>A float32 tensor of ones.</summary>
    public static Tensor Ones(params int[] shape) => Full(shape, 1.0);

    /// <summary>A tensor of ones of the given dtype.</summary>
    public static Tensor Ones(int[] shape, DType dtype, Device? device = null) => Full(shape, 1.0, dtype, device);

    /// <summary>A tensor filled with <paramref name="value"/> (float32 unless a dtype is given).</summary>
    public static Tensor Full(int[] shape, double value, DType dtype = DType.Float32, Device? device = null)
    {
        var t = Empty(shape, dtype, device, "aten::full");
        t.FillRaw(value);
        return Dispatch.Created(t, new OpCall("aten::full", (int[])shape.Clone(), value, dtype, t.Device.ToString()));
    }

    /// <summary>Zeros with this tensor's shape, dtype and device.</summary>
    public Tensor ZerosLike() => Zeros(_shape, DType, Device);

    /// <summary>Ones with this tensor's shape, dtype and device.</summary>
    public Tensor OnesLike() => Full(_shape, 1.0, DType, Device);

    /// <summary>A tensor of <paramref name="value"/> with this tensor's shape, dtype and device.</summary>
    public Tensor FullLike(double value) => Full(_shape, value, DType, Device);

    /// <summary>Integers 0, 1, ..., end-1 as int64 (like <c>torch.arange(end)</c>).</summary>
    public static Tensor Arange(long end) => Arange(0, end, 1);

    /// <summary>Integers start, start+step, ... below end (above, for negative step) as int64, on <paramref name="device"/> (the CPU by default).</summary>
    public static Tensor Arange(long start, long end, long step = 1, Device? device = null)
    {
        if (step == 0) throw new ArgumentException("aten::arange: step must be nonzero.");
        // In 128 bits: end - start and the rounding below can exceed the long range.
        Int128 count = Int128.Max(0, ((Int128)end - start + step + (step > 0 ? -1 : 1)) / step);
        var t = Empty([ArangeLength(count, start, end, step, DType.Int64)], DType.Int64, device, "aten::arange");
        Factories(t, "aten::arange").Arange(t, start, step);
        return Dispatch.Created(t, new OpCall("aten::arange", start, end, step, t.Device.ToString()));
    }

    /// <summary>Values start, start+step, ... below end, as float32 (or the given floating dtype).</summary>
    public static Tensor Arange(double start, double end, double step, DType dtype = DType.Float32)
    {
        if (step == 0 || double.IsNaN(step)) throw new ArgumentException("aten::arange: step must be nonzero.");
        if (!double.IsFinite(start) || !double.IsFinite(end) || !double.IsFinite(step))
            throw new ArgumentException($"aten::arange: unsupported range: {start} -> {end} (step {step}); bounds and step must be finite.");
        if ((end - start) / step < 0) throw new ArgumentException($"aten::arange: upper bound and step sign are inconsistent (start={start}, end={end}, step={step}).");
        double count = Math.Ceiling((end - start) / step);
        var t = Empty([ArangeLength(count >= (double)Int128.MaxValue ? Int128.MaxValue : (Int128)count, start, end, step, dtype)], dtype, null, "aten::arange");
        Factories(t, "aten::arange").Arange(t, start, step);
        return t;
    }

    /// <summary>The length of an arange, or a clear error when it is more than a tensor can hold.</summary>
    private static int ArangeLength(Int128 count, double start, double end, double step, DType dtype)
    {
        if (count > Shapes.MaxElements)
            throw new ArgumentException($"aten::arange: start={start}, end={end}, step={step} gives {count} elements (shape ({count},), " +
                $"{count * dtype.ElementSize()} bytes of {dtype.TorchName()}), more than the {Shapes.MaxElements} a Trace tensor can hold.");
        return (int)count;
    }

    /// <summary>Identity matrix (n×m, m defaults to n).</summary>
    public static Tensor Eye(int n, int? m = null, DType dtype = DType.Float32)
    {
        int cols = m ?? n;
        const string op = "aten::eye";
        var t = Zeros([n, cols], dtype, null, op);
        // Ones on the diagonal: the device's copy kernel broadcasts a one into a strided view of it.
        var one = Empty([], dtype, t.Device, op);
        one.FillRaw(1);
        DeviceKernels.For(t.Device, op).Copy.Copy(new Tensor(t.Storage, [Math.Min(n, cols)], [cols + 1], 0), one);
        return t;
    }

    /// <summary>Uniform [0, 1) values from the default (or given) generator, on <paramref name="device"/> (the CPU by default).</summary>
    public static Tensor Rand(int[] shape, DType dtype = DType.Float32, Generator? generator = null, Device? device = null)
    {
        RequireFloat(dtype, "aten::rand");
        return Dispatch.Record(new OpCall("aten::rand", shape, dtype, (device ?? Device.Cpu).ToString()), () =>
        {
            var t = Empty(shape, dtype, device, "aten::rand");
            Factories(t, "aten::rand").Uniform(t, generator ?? Generator.Default);
            return t;
        }, [], backward: null, ReplayWith(generator, () => Rand(shape, dtype, generator, device)));
    }

    /// <summary>Uniform [0, 1) float32 values from the default generator.</summary>
    public static Tensor Rand(params int[] shape) => Rand(shape, DType.Float32);

    /// <summary>Standard normal values from the default (or given) generator, on <paramref name="device"/> (the CPU by default).</summary>
    public static Tensor Randn(int[] shape, DType dtype = DType.Float32, Generator? generator = null, Device? device = null)
    {
        RequireFloat(dtype, "aten::randn");
        return Dispatch.Record(new OpCall("aten::randn", shape, dtype, (device ?? Device.Cpu).ToString()), () =>
        {
            var t = Empty(shape, dtype, device, "aten::randn");
            Factories(t, "aten::randn").Normal(t, generator ?? Generator.Default);
            return t;
        }, [], backward: null, ReplayWith(generator, () => Randn(shape, dtype, generator, device)));
    }

    /// <summary>Standard normal float32 values from the default generator.</summary>
    public static Tensor Randn(params int[] shape) => Randn(shape, DType.Float32);

    /// <summary>Integers uniform in [low, high) as int64, on <paramref name="device"/> (the CPU by default).</summary>
    public static Tensor Randint(long low, long high, int[] shape, Generator? generator = null, Device? device = null)
    {
        return Dispatch.Record(new OpCall("aten::randint", low, high, shape, (device ?? Device.Cpu).ToString()), () =>
        {
            var t = Empty(shape, DType.Int64, device, "aten::randint");
            Factories(t, "aten::randint").Randint(t, generator ?? Generator.Default, low, high);
            return t;
        }, [], backward: null, ReplayWith(generator, () => Randint(low, high, shape, generator, device)));
    }

    /// <summary>
    /// How observers re-run a random op: by its name and arguments (which a graph may compute at each call) when it
    /// draws from the default generator, as the registry's op does; with its own generator, only by this replay.
    /// </summary>
    private static Func<Tensor?[], Tensor>? ReplayWith(Generator? generator, Func<Tensor> draw) => generator is null ? null : _ => draw();

    /// <summary>A 0-dim tensor (float32 for a double, like <c>torch.tensor(3.0)</c>, unless a dtype is given).</summary>
    public static Tensor Scalar(double value, DType dtype = DType.Float32)
    {
        var t = Zeros([], dtype);
        t.FillRaw(value);
        return t;
    }

    /// <summary>A 0-dim int64 tensor.</summary>
    public static Tensor Scalar(long value) => From(new[] { value }, []);

    /// <summary>A 0-dim bool tensor.</summary>
    public static Tensor Scalar(bool value) => From(new[] { value }, []);

    /// <summary>
    /// Copies a .NET array of any rank (<c>float[]</c>, <c>float[,]</c>, <c>double[,,]</c>, <c>long[]</c>,
    /// <c>int[]</c>, <c>bool[]</c>...) into a tensor of the same shape and matching dtype.
    /// </summary>
    public static Tensor From(Array data)
    {
        ArgumentNullException.ThrowIfNull(data);
        var elem = data.GetType().GetElementType()!;
        DType dtype = elem == typeof(float) ? DType.Float32 : elem == typeof(double) ? DType.Float64 :
            elem == typeof(long) ? DType.Int64 : elem == typeof(int) ? DType.Int32 : elem == typeof(bool) ? DType.Bool :
            throw new ArgumentException($"Tensor.From: arrays of {elem.Name} are not supported; use float, double, long, int or bool.");
        var shape = new int[data.Rank];
        for (int d = 0; d < data.Rank; d++) shape[d] = data.GetLength(d);
        var t = Empty(shape, dtype, null, "Tensor.From");
        var copy = DeviceKernels.For(t.Device, "Tensor.From").Copy;
        switch (dtype)
        {
            case DType.Float32: copy.CopyFromHost(Elements<float>(data), t); break;
            case DType.Float64: copy.CopyFromHost(Elements<double>(data), t); break;
            case DType.Int64: copy.CopyFromHost(Elements<long>(data), t); break;
            case DType.Int32: copy.CopyFromHost(Elements<int>(data), t); break;
            default: copy.CopyFromHost(Elements<bool>(data), t); break;
        }
        return t;
    }

    /// <summary>The elements of a .NET array of any rank with element type <typeparamref name="T"/>, row-major as .NET stores them.</summary>
    private static ReadOnlySpan<T> Elements<T>(Array data) where T : unmanaged =>
        System.Runtime.InteropServices.MemoryMarshal.CreateReadOnlySpan(
            ref System.Runtime.CompilerServices.Unsafe.As<byte, T>(ref System.Runtime.InteropServices.MemoryMarshal.GetArrayDataReference(data)), data.Length);

    /// <summary>Copies a .NET array into a 1-D tensor.</summary>
    public static Tensor From<T>(T[] data) where T : unmanaged
    {
        ArgumentNullException.ThrowIfNull(data);
        return From(data, [data.Length]);
    }

    /// <summary>Copies a flat array into a tensor of the given shape (<c>[]</c> makes a 0-dim tensor of one element).</summary>
    public static Tensor From<T>(T[] data, int[] shape) where T : unmanaged
    {
        ArgumentNullException.ThrowIfNull(data);
        int n = Shapes.Numel(shape, "Tensor.From");
        if (n != data.Length)
            throw new ArgumentException($"Tensor.From: shape {Shapes.Format(shape)} needs {n} elements but the array has {data.Length}.");
        var t = Empty(shape, DTypes.Of<T>(), null, "Tensor.From");
        DeviceKernels.For(t.Device, "Tensor.From").Copy.CopyFromHost<T>(data, t);
        return t;
    }

    private static DType RequireFloat(DType dtype, string op) => dtype.IsFloatingPoint() ? dtype :
        throw new ArgumentException($"{op}: dtype {dtype.TorchName()} is not supported; expected a floating point dtype.");

    /// <summary>Sets every element of a freshly allocated contiguous tensor.</summary>
    private void FillRaw(double value) => Factories(this, "aten::full").Fill(this, value);

    /// <summary>The fill kernels of <paramref name="t"/>'s device, for the factory <paramref name="op"/>.</summary>
    private static IFactoryKernels Factories(Tensor t, string op) => DeviceKernels.For(t.Device, op).Factory;
}
