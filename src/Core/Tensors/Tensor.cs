using System.Numerics;

namespace Trace;

/// <summary>
/// An N-dimensional array: a view (shape, strides, offset) into a <see cref="Storage"/> of one dtype on
/// one device. Views share storage; ops return new tensors unless their name ends in '_' (in place).
/// </summary>
public sealed partial class Tensor
{
    internal readonly int[] _shape;
    internal int[] _strides;

    /// <summary>Creates a view of <paramref name="storage"/>; shape and strides are not copied.</summary>
    internal Tensor(Storage storage, int[] shape, int[] strides, int offset)
    {
        Storage = storage;
        _shape = shape;
        _strides = strides;
        StorageOffset = offset;
    }

    /// <summary>
    /// Allocates a contiguous tensor whose contents the caller overwrites entirely (not zeroed) for the op named
    /// <paramref name="op"/>, which a too-large shape or an allocation failure names with the shape and the bytes.
    /// </summary>
    internal Tensor(int[] shape, DType dtype, Device device, bool zeroed = false, string op = "aten::empty")
        : this(AllocateStorage(shape, dtype, device, zeroed, op), shape, Shapes.ContiguousStrides(shape), 0) { }

    /// <summary>A contiguous view of <paramref name="storage"/> from element 0 with <paramref name="shape"/> (which must fit in it).</summary>
    internal static Tensor View(Storage storage, int[] shape)
    {
        if (Shapes.Numel(shape, "view") > storage.Length)
            throw new ArgumentException($"view: shape {Shapes.Format(shape)} does not fit in a storage of {storage.Length} elements.");
        return new Tensor(storage, shape, Shapes.ContiguousStrides(shape), 0);
    }

    private static Storage AllocateStorage(int[] shape, DType dtype, Device device, bool zeroed, string op)
    {
        int n = Shapes.AllocationNumel(shape, dtype, op);
        try
        {
            return Storage.Allocate(dtype, n, device, zeroed);
        }
        catch (OutOfMemoryException e)
        {
            // A device allocator's own message says what it holds (the GPU pool's allocated, reserved and cached bytes).
            string detail = e is Kernels.Gpu.GpuOutOfMemoryException ? $": {e.Message}" : ".";
            throw new InvalidOperationException($"{op}: not enough memory for a {dtype.TorchName()} tensor of shape {Shapes.Format(shape)} on {device} " +
                $"({(long)n * dtype.ElementSize()} bytes){detail}", e);
        }
    }

    /// <summary>The buffer this tensor views.</summary>
    public Storage Storage { get; private set; }

    /// <summary>Offset of element [0, 0, ...] in the storage.</summary>
    public int StorageOffset { get; private set; }

    /// <summary>Sizes of the dimensions.</summary>
    public IReadOnlyList<int> Shape => _shape;

    /// <summary>Element strides of the dimensions.</summary>
    public IReadOnlyList<int> Strides => _strides;

    /// <summary>Number of dimensions (rank).</summary>
    public int Dim => _shape.Length;

    /// <summary>Number of elements.</summary>
    public int Numel => Shapes.Numel(_shape, "numel");

    /// <summary>Element type.</summary>
    public DType DType => Storage.DType;

    /// <summary>Device holding the data.</summary>
    public Device Device => Storage.Device;

    /// <summary>Size of dimension <paramref name="dim"/> (negative counts from the end).</summary>
    public int Size(int dim) => _shape[Shapes.NormDim(dim, Dim, "size")];

    /// <summary>Stride of dimension <paramref name="dim"/> (negative counts from the end).</summary>
    public int Stride(int dim) => _strides[Shapes.NormDim(dim, Dim, "stride")];

    /// <summary>True when elements are laid out row-major with no gaps (size-1 dims ignored).</summary>
    public bool IsContiguous => Shapes.IsContiguous(_shape, _strides);

    /// <summary>True for Float32/Float64 tensors.</summary>
    public bool IsFloatingPoint => DType.IsFloatingPoint();

    /// <summary>The value of a one-element tensor, converted to <typeparamref name="T"/>.</summary>
    public T Item<T>() where T : unmanaged, INumberBase<T>
    {
        const string op = "aten::item";
        if (Numel != 1)
            throw new InvalidOperationException($"{op}: a tensor with {Numel} elements (shape {Shapes.Format(_shape)}) cannot be converted to a scalar; only one-element tensors can.");
        var copy = DeviceKernels.For(Device, op).Copy;
        Storage.CheckAlive(op);
        Dispatch.Read(this, "Item");
        return DType switch
        {
            DType.Float32 => T.CreateTruncating(ReadOne<float>(copy)),
            DType.Float64 => T.CreateTruncating(ReadOne<double>(copy)),
            DType.Int64 => T.CreateTruncating(ReadOne<long>(copy)),
            DType.Int32 => T.CreateTruncating(ReadOne<int>(copy)),
            _ => ReadOne<bool>(copy) ? T.One : T.Zero,
        };
    }

    /// <summary>The one element of this one-element tensor of element type <typeparamref name="TElem"/>, copied to the host.</summary>
    private TElem ReadOne<TElem>(ICopyKernels copy) where TElem : unmanaged
    {
        Span<TElem> one = stackalloc TElem[1];
        copy.CopyToHost(this, one);
        return one[0];
    }

    /// <summary>The value of a one-element tensor as a double.</summary>
    public double Item() => Item<double>();

    /// <summary>The elements in row-major order, converted to <typeparamref name="T"/> if needed.</summary>
    public T[] ToArray<T>() where T : unmanaged
    {
        const string op = "aten::to_array";
        var copy = DeviceKernels.For(Device, op).Copy;
        Storage.CheckAlive(op);
        Dispatch.Read(this, "ToArray");
        using var _ = Dispatch.Internal();
        var t = DType == DTypes.Of<T>() ? this : To(DTypes.Of<T>());
        var c = t.IsContiguous ? t : t.Contiguous();
        var r = GC.AllocateUninitializedArray<T>(c.Numel);   // overwritten entirely
        copy.CopyToHost(c, r);
        return r;
    }

    /// <summary>The elements as a .NET array of the tensor's rank (e.g. <c>float[,]</c> for a matrix).</summary>
    public Array ToNdArray<T>() where T : unmanaged
    {
        var flat = ToArray<T>();
        if (Dim == 0) return flat;
        var arr = Array.CreateInstance(typeof(T), _shape);
        var idx = new int[Dim];
        for (int i = 0; i < flat.Length; i++)
        {
            arr.SetValue(flat[i], idx);
            for (int d = Dim - 1; d >= 0 && ++idx[d] == _shape[d]; d--) idx[d] = 0;
        }
        return arr;
    }
}
