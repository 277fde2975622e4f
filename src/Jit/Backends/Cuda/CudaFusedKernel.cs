using System.Reflection;
using Trace.Kernels.Gpu;

namespace Trace.Jit;

/// <summary>
/// A fusion group compiled to one ILGPU kernel: the body's expression tree (the CPU generator's, in scalar form, with the
/// GPU twins of transcendental ops) is written into a struct emitted at run time (<see cref="CudaFusedTypes"/>) and run by
/// one of <see cref="GpuFused"/>'s scaffolds over the fixed launch ABI <see cref="GpuFusedArgs{T}"/> — a flat grid-stride
/// loop (4-wide vector loads and stores when every full-shape operand starts 16-byte aligned), broadcast rows, a group per
/// row for a final row sum, or a deterministic two-pass full sum. Inputs are made contiguous (and converted to the
/// group's dtype, bool masks read as bytes) before the launch; sizes are launch arguments, so symbolic groups compile once.
/// </summary>
internal sealed class CudaFusedKernel
{
    private readonly GpuFusedShape _shape;
    private readonly MethodInfo _kernel;
    private readonly DType _dtype;
    private readonly int[] _outputShape;   // the group's output sizes (symbolic entries evaluated per call)
    private readonly int[] _domain;        // the elementwise domain: the output's, or a sum's input's
    private readonly int _blockDims;       // rows and row sums: trailing dims per row
    private readonly InputKind[] _kinds;   // per body input
    private readonly int[] _slots;         // per body input: its X (or B, for a mask) slot
    private readonly bool[] _masks;        // per body input: read as bool bytes
    private readonly RowProgram? _rows;    // row programs: the stages

    private CudaFusedKernel(GpuFusedShape shape, MethodInfo kernel, DType dtype, int[] outputShape, int[] domain, int blockDims,
        InputKind[] kinds, int[] slots, bool[] masks, string body, RowProgram? rows = null)
    {
        (_shape, _kernel, _dtype, _outputShape, _domain, _blockDims, _kinds, _slots, _masks, _rows) = (shape, kernel, dtype, outputShape, domain, blockDims, kinds, slots, masks, rows);
        Source = body;
    }

    /// <summary>The generated body's C#-like source.</summary>
    public string Source { get; }

    /// <summary>The scaffold kernel over the generated body (what is compiled for the device, and for PTX checks).</summary>
    public MethodInfo Kernel => _kernel;

    /// <summary>How the kernel runs, in one line.</summary>
    public string Description => _shape switch
    {
        GpuFusedShape.Flat => $"one ILGPU kernel {GpuDevice.Describe(_kernel)}: grid-stride over the elements, 4-wide vector loads and stores when aligned",
        GpuFusedShape.Rows => $"one ILGPU kernel {GpuDevice.Describe(_kernel)}: grid-stride over the elements, broadcast inputs read by row and column",
        GpuFusedShape.RowSum => $"one ILGPU kernel {GpuDevice.Describe(_kernel)}: a thread group per row sums the fused values (shared-memory tree)",
        GpuFusedShape.RowProgram => $"one ILGPU kernel {GpuDevice.Describe(_kernel)}: a thread group per row runs {_rows!.Stages.Count} row reduction(s) " +
            $"({string.Join(", ", _rows.Stages.Select(n => RowProgram.KindOf(n).ToString().ToLowerInvariant()))}), then {(_rows.StoresRows ? "stores the last per row" : "stores the row's results")}",
        _ => $"ILGPU kernels {GpuDevice.Describe(_kernel)} + the full-reduction pass: deterministic two-pass sum of the fused values",
    };

    /// <summary>True when the kernel is explicitly grouped (row and full sums: shared memory and barriers).</summary>
    public bool Grouped => _shape is GpuFusedShape.RowSum or GpuFusedShape.FullSum or GpuFusedShape.RowProgram;

    /// <summary>Compiles a fusion-group body for the GPU, or returns null with the reason when it has something the generator cannot express.</summary>
    public static CudaFusedKernel? TryCompile(Graph body, out string? reason)
    {
        reason = null;
        var outType = body.Outputs.Count == 1 ? body.Outputs[0].TensorType : null;
        if (outType is null || outType.DType is not (DType.Float32 or DType.Float64)) { reason = "output is not a single float32 or float64 tensor"; return null; }
        try
        {
            FusedKernel.CheckExpressible(body);
            return outType.DType == DType.Float32 ? Build<float>(body) : Build<double>(body);
        }
        catch (Exception e) when (e is NotSupportedException or InvalidOperationException or ArgumentException)
        {
            reason = e.Message;
            return null;
        }
    }

    private static CudaFusedKernel Build<T>(Graph body) where T : unmanaged
    {
        if (RowProgram.Needed(body)) return BuildRows<T>(body, RowProgram.Lower(body));
        var sum = FusedKernel.FinalSum(body);
        var result = sum?.Inputs[0] ?? body.Outputs[0];
        var domain = result.TensorType!.Shape;
        GpuFusedShape shape;
        int k;
        if (sum is null)
        {
            k = FusionLayout.BlockDims(body.Inputs.Select(v => v.TensorType?.Shape ?? []), domain)
                ?? throw new NotSupportedException("an input does not broadcast as a block of trailing dims, one value per block, or one value");
            shape = GpuFusedShape.Flat;
        }
        else
        {
            k = FusedKernel.TrailingSum(sum)!.Value;
            shape = FusedKernel.IsFullSum(sum) ? GpuFusedShape.FullSum : GpuFusedShape.RowSum;
            if (shape == GpuFusedShape.FullSum) k = Math.Max(1, k);
        }
        var kinds = body.Inputs.Select(v => v.TensorType is { } t ? FusionLayout.Classify(t.Shape, domain, k)
            ?? throw new NotSupportedException($"an input does not broadcast over rows of the last {k} dims") : InputKind.Scalar).ToArray();
        if (shape == GpuFusedShape.Flat && kinds.Any(c => c is InputKind.Row or InputKind.Column)) shape = GpuFusedShape.Rows;
        if (shape == GpuFusedShape.FullSum && kinds.Any(c => c is InputKind.Row or InputKind.Column))
            throw new NotSupportedException("a summed group reads a row- or column-broadcast input");

        var (slots, masks) = Slots<T>(body);
        var type = CudaFusedTypes.Define<T>(body, result, kinds, slots, masks, vectorized: shape == GpuFusedShape.Flat);
        return new CudaFusedKernel(shape, GpuFused.Kernel<T>(shape, type), DTypes.Of<T>(), body.Outputs[0].TensorType!.Shape,
            domain, k, kinds, slots, masks, CodePrinter.Print(body, type.Name));
    }

    private static CudaFusedKernel BuildRows<T>(Graph body, RowProgram p) where T : unmanaged
    {
        var (slots, masks) = Slots<T>(p.Body);
        var type = CudaFusedTypes.DefineRows<T>(p, slots, masks);
        return new CudaFusedKernel(GpuFusedShape.RowProgram, GpuFused.Kernel<T>(GpuFusedShape.RowProgram, type), DTypes.Of<T>(), body.Outputs[0].TensorType!.Shape,
            p.Domain, p.BlockDims, p.Kinds, slots, masks, CodePrinter.Print(body, type.Name), p);
    }

    /// <summary>Per body input, its X slot (or B slot for a bool mask) and whether it is a mask.</summary>
    private static (int[] Slots, bool[] Masks) Slots<T>(Graph body) where T : unmanaged
    {
        var masks = body.Inputs.Select(v => v.TensorType?.DType == DType.Bool).ToArray();
        var slots = new int[body.Inputs.Count];
        int xs = 0, bs = 0;
        for (int i = 0; i < slots.Length; i++) slots[i] = masks[i] ? bs++ : xs++;
        if (xs > GpuFusedArgs<T>.MaxInputs || bs > GpuFusedArgs<T>.MaxMasks)
            throw new NotSupportedException($"the group reads {xs} tensor and {bs} bool inputs; a fused GPU kernel reads at most {GpuFusedArgs<T>.MaxInputs} and {GpuFusedArgs<T>.MaxMasks}");
        return (slots, masks);
    }

    /// <summary>
    /// Compiles the kernel for <paramref name="gpu"/> now (cached by the device); a kernel ILGPU cannot compile is an
    /// <see cref="InvalidOperationException"/> (the device then recreates its context).
    /// </summary>
    public void Load(GpuDevice gpu)
    {
        if (_dtype == DType.Float32) GpuFused.Load<float>(gpu, _shape, _kernel);
        else GpuFused.Load<double>(gpu, _shape, _kernel);
    }

    /// <summary>
    /// Queues the kernel on the inputs' device into a new tensor, or into <paramref name="into"/> (contiguous from element 0
    /// of its storage, of the output's shape and dtype, on that device); <paramref name="symbols"/> are the size symbols' values.
    /// </summary>
    /// <exception cref="ArgumentException"><paramref name="into"/> does not have the output's layout.</exception>
    public Tensor Run(Tensor[] inputs, long[]? symbols, Tensor? into = null)
    {
        var shape = SymbolicDims.Evaluate(_outputShape, symbols);
        var domain = SymbolicDims.Evaluate(_domain, symbols);
        var device = into?.Device ?? inputs.Select(t => t.Device).FirstOrDefault(d => d.Type == DeviceType.Cuda, Device.Cuda());
        if (into is not null && (into.DType != _dtype || into.StorageOffset != 0 || !into.IsContiguous || !into.Shape.SequenceEqual(shape) || into.Device != device))
            throw new ArgumentException($"prim::FusionGroup: the out= tensor ({into.DType.TorchName()} {Shapes.Format(into.Shape)} on {into.Device}, offset {into.StorageOffset}) " +
                $"must be a contiguous {_dtype.TorchName()} tensor of shape {Shapes.Format(shape)} on {device} from element 0 of its storage.");
        var output = into ?? Tensor.Empty(shape, _dtype, device);
        if (_dtype == DType.Float32) Launch<float>(inputs, output, domain, device);
        else Launch<double>(inputs, output, domain, device);
        return output;
    }

    private void Launch<T>(Tensor[] inputs, Tensor output, int[] domain, Device device) where T : unmanaged
    {
        var a = new GpuFusedArgs<T> { Out = CudaViews.Run<T>(output), N = Shapes.Numel(domain, "prim::FusionGroup") };
        if (_shape is GpuFusedShape.Rows or GpuFusedShape.RowSum or GpuFusedShape.RowProgram)
        {
            a.Inner = FusionLayout.Inner(domain, _blockDims);
            a.Rows = a.Inner == 0 ? Shapes.Numel(domain[..^_blockDims], "prim::FusionGroup") : a.N / a.Inner;
        }
        if (_rows is not null)
        {
            a.Stages = _rows.Stages.Count;
            for (int s = 0; s < a.Stages; s++)
                if (RowProgram.KindOf(_rows.Stages[s]) == RowReduce.Max) a.MaxStages |= 1 << s;
            a.StoreRows = _rows.StoresRows ? 1 : 0;
        }
        bool aligned = true;
        using (Dispatch.Internal())
        {
            for (int k = 0; k < inputs.Length; k++)
            {
                var t = inputs[k];
                if (t.Device != device) t = t.To(device);
                if (_masks[k])
                {
                    if (!t.IsContiguous) t = t.Contiguous();
                    a.SetMask(_slots[k], CudaViews.Run<byte>(t));
                }
                else
                {
                    if (t.DType != _dtype) t = t.To(_dtype);
                    if (!t.IsContiguous) t = t.Contiguous();
                    a.SetInput(_slots[k], CudaViews.Run<T>(t));
                }
                if (_kinds[k] == InputKind.Full && (t.StorageOffset & 3) != 0) aligned = false;
            }
        }
        if (_shape == GpuFusedShape.Flat && aligned && a.N >= 16) a.Quads = a.N / 4;
        GpuFused.Launch(CudaViews.Gpu(output), _shape, _kernel, a);
    }
}
