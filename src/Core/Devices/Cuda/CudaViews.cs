using ILGPU;
using Trace.Kernels.Gpu;

namespace Trace;

/// <summary>Device views and kernel layouts of CUDA tensors, for the CUDA kernel table.</summary>
internal static class CudaViews
{
    /// <summary>The storage of <paramref name="t"/> as a device view of <typeparamref name="T"/> (byte for bool).</summary>
    public static ArrayView<T> Of<T>(Tensor t) where T : unmanaged
    {
        if (t.Storage is not ICudaStorage s)
            throw new InvalidOperationException($"a {t.DType.TorchName()} tensor on {t.Device} reached a CUDA kernel; every operand of a CUDA op must be on the CUDA device.");
        t.Storage.CheckAlive("cuda kernel");
        return s.Block.View<T>(t.Storage.Length);
    }

    /// <summary>
    /// The elements of the contiguous <paramref name="t"/> (or of null: an empty view) as one dense device run from its
    /// first element — for kernels that index a tensor from 0.
    /// </summary>
    public static ArrayView<T> Run<T>(Tensor? t) where T : unmanaged => t is null ? ArrayView<T>.Empty : Of<T>(t).SubView(t.StorageOffset, t.Numel);

    /// <summary>The storage of <paramref name="t"/> as bytes (all of its elements).</summary>
    public static ArrayView<byte> Bytes(Tensor t)
    {
        if (t.Storage is not ICudaStorage s)
            throw new InvalidOperationException($"a {t.DType.TorchName()} tensor on {t.Device} reached a CUDA kernel; every operand of a CUDA op must be on the CUDA device.");
        t.Storage.CheckAlive("cuda kernel");
        return s.Block.View<byte>((long)t.Storage.Length * t.DType.ElementSize());
    }

    /// <summary>The GPU of <paramref name="t"/>.</summary>
    public static GpuDevice Gpu(Tensor t) => t.Storage is ICudaStorage s ? s.Gpu
        : throw new InvalidOperationException($"a tensor on {t.Device} reached a CUDA kernel.");

    /// <summary>
    /// The kernel layout of <paramref name="shape"/> over <paramref name="r"/> (its own strides) and the broadcast
    /// <paramref name="inputs"/>, and whether the contiguous path applies.
    /// </summary>
    public static GpuLayout Layout(string op, int[] shape, out bool dense, Tensor r, params Tensor[] inputs)
    {
        var strides = new int[inputs.Length + 1][];
        var offsets = new int[inputs.Length + 1];
        strides[0] = r._strides;
        offsets[0] = r.StorageOffset;
        for (int i = 0; i < inputs.Length; i++)
        {
            strides[i + 1] = Shapes.BroadcastStrides(inputs[i], shape);
            offsets[i + 1] = inputs[i].StorageOffset;
        }
        return GpuLayout.Create(shape, strides, offsets, op, out dense);
    }

    /// <summary>
    /// The total size and the single stride of the dims <paramref name="dims"/> of <paramref name="t"/> (ascending) taken as
    /// one dim, or null when they do not collapse (each dim's stride must be the next one's stride times its size);
    /// no dims is (1, 0).
    /// </summary>
    public static (int Size, int Stride)? Collapse(Tensor t, int[] dims)
    {
        if (dims.Length == 0) return (1, 0);
        int size = t._shape[dims[^1]], stride = t._strides[dims[^1]];
        for (int q = dims.Length - 2; q >= 0; q--)
        {
            int d = dims[q];
            if (t._strides[d] != stride * size) return null;
            size *= t._shape[d];
        }
        return (size, stride);
    }

    /// <summary>The error of an op this build has no CUDA kernel for: never a silent CPU fallback.</summary>
    public static NotSupportedException NoKernel(string op) =>
        new($"{op}: no CUDA kernel yet in this build; move the tensor with .Cpu()");
}
