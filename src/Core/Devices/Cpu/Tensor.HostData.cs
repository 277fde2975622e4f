namespace Trace;

public sealed partial class Tensor
{
    /// <summary>
    /// The host array behind a CPU tensor (its whole storage; the tensor's elements start at <see cref="StorageOffset"/>).
    /// Only the CPU kernels (src/Core/Devices/Cpu) read it; ops reach data through their device's kernel table.
    /// </summary>
    internal T[] Data<T>() where T : unmanaged
    {
        if (Storage is CpuStorage<T> cpu) return cpu.Data;
        if (Device.Type != DeviceType.Cpu)
            throw new NotSupportedException($"a {DType.TorchName()} tensor on {Device} reached CPU-only code that reads host memory; move the tensor with .Cpu() first.");
        throw new InvalidOperationException($"tensor of dtype {DType.TorchName()} on {Device} does not hold host data of type {typeof(T).Name}.");
    }
}
