namespace Trace;

/// <summary>
/// Where an op writes its result: a new tensor, or the buffer of its out= form (<see cref="Dispatch.Out(OpCall, Tensor, Tensor?[], Func{Tensor})"/>),
/// which must be exactly what the op would allocate — a contiguous tensor of the result's shape, dtype and device.
/// </summary>
internal static class OutBuffer
{
    /// <summary><paramref name="into"/> when given (checked), else a new contiguous tensor whose contents the op overwrites.</summary>
    /// <exception cref="ArgumentException"><paramref name="into"/> differs in shape, dtype or device from the result, or is not contiguous.</exception>
    public static Tensor Or(Tensor? into, int[] shape, DType dtype, Device device, string op)
    {
        if (into is null) return new Tensor(shape, dtype, device, op: op);
        Check(into, shape, dtype, device, op);
        return into;
    }

    /// <summary>Checks that <paramref name="into"/> can hold an op's result of <paramref name="shape"/> and <paramref name="dtype"/>.</summary>
    public static void Check(Tensor into, ReadOnlySpan<int> shape, DType dtype, Device device, string op)
    {
        if (into.DType != dtype || into.Device != device || !into._shape.AsSpan().SequenceEqual(shape) || !into.IsContiguous)
            throw new ArgumentException($"{op}: the out= tensor ({into.DType.TorchName()} {Shapes.Format(into._shape)} on {into.Device}{(into.IsContiguous ? "" : ", not contiguous")}) " +
                $"must be a contiguous {dtype.TorchName()} tensor of shape {Shapes.Format(shape.ToArray())} on {device}, as the op's result.");
    }
}
