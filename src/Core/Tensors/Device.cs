namespace Trace;

/// <summary>Kind of device a tensor lives on.</summary>
public enum DeviceType
{
    /// <summary>Host memory, computed by the SIMD CPU kernels.</summary>
    Cpu,
    /// <summary>A CUDA GPU (through ILGPU).</summary>
    Cuda,
}

/// <summary>A device: its kind and index (<c>cpu</c>, <c>cuda:0</c>).</summary>
public readonly record struct Device(DeviceType Type, int Index = 0)
{
    /// <summary>The host CPU.</summary>
    public static readonly Device Cpu = new(DeviceType.Cpu);

    /// <summary>The CUDA device with the given index.</summary>
    public static Device Cuda(int index = 0) => new(DeviceType.Cuda, index);

    /// <summary>PyTorch-style name: <c>cpu</c> or <c>cuda:0</c>.</summary>
    public override string ToString() => Type == DeviceType.Cpu ? "cpu" : $"cuda:{Index}";

    /// <summary>Parses <c>cpu</c>, <c>cuda</c> or <c>cuda:N</c>.</summary>
    public static Device Parse(string s)
    {
        if (s == "cpu") return Cpu;
        if (s == "cuda") return Cuda(0);
        if (s.StartsWith("cuda:", StringComparison.Ordinal) && int.TryParse(s.AsSpan(5), out int i) && i >= 0) return Cuda(i);
        throw new FormatException($"Unknown device '{s}': expected 'cpu', 'cuda' or 'cuda:N'.");
    }
}
