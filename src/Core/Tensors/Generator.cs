namespace Trace;

/// <summary>
/// A seedable pseudo-random generator (xoshiro256**, seeded by splitmix64). Sequences are reproducible
/// for a seed; they are not PyTorch's (mt19937/Philox) sequences. Thread-safe.
/// Draws for CUDA tensors come from a counter-based Philox4x32-10 stream keyed by <see cref="InitialSeed"/>: each
/// draw takes the next offset (<see cref="NextDeviceOffset"/>), so a seeded generator repeats its CUDA values too,
/// whatever the launch shape — but they differ from its CPU values, as in PyTorch.
/// </summary>
public sealed class Generator
{
    private ulong _s0, _s1, _s2, _s3;
    private double? _spareNormal;
    private readonly object _lock = new();

    /// <summary>Creates a generator with the given seed.</summary>
    public Generator(ulong seed) => ManualSeed(seed);

    /// <summary>The process-wide generator used by <c>Rand</c>, <c>Randn</c>, init and dropout.</summary>
    public static Generator Default { get; } = new(0x5EED);

    /// <summary>The seed this generator was last reset with.</summary>
    public ulong InitialSeed { get; private set; }

    /// <summary>Resets the state from a seed.</summary>
    public Generator ManualSeed(ulong seed)
    {
        lock (_lock)
        {
            InitialSeed = seed;
            ulong x = seed;
            _s0 = SplitMix(ref x); _s1 = SplitMix(ref x); _s2 = SplitMix(ref x); _s3 = SplitMix(ref x);
            _spareNormal = null;
            _deviceOffset = 0;
        }
        return this;
    }

    private ulong _deviceOffset;

    /// <summary>The Philox offset of the next device draw (then advanced): one per draw, as each draw indexes its own elements.</summary>
    internal ulong NextDeviceOffset()
    {
        lock (_lock) return _deviceOffset++;
    }

    private static ulong SplitMix(ref ulong x)
    {
        ulong z = x += 0x9E3779B97F4A7C15UL;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }

    private ulong NextRaw()
    {
        ulong result = ulong.RotateLeft(_s1 * 5, 7) * 9;
        ulong t = _s1 << 17;
        _s2 ^= _s0; _s3 ^= _s1; _s1 ^= _s2; _s0 ^= _s3;
        _s2 ^= t;
        _s3 = ulong.RotateLeft(_s3, 45);
        return result;
    }

    /// <summary>Fills with uniform values in [0, 1).</summary>
    public void FillUniform(Span<double> dst)
    {
        lock (_lock)
            for (int i = 0; i < dst.Length; i++) dst[i] = (NextRaw() >> 11) * (1.0 / (1UL << 53));
    }

    /// <summary>Fills with uniform values in [0, 1) at float precision.</summary>
    public void FillUniform(Span<float> dst)
    {
        lock (_lock)
            for (int i = 0; i < dst.Length; i++) dst[i] = (NextRaw() >> 40) * (1.0f / (1 << 24));
    }

    /// <summary>Fills with standard normal values (Box–Muller).</summary>
    public void FillNormal(Span<double> dst)
    {
        lock (_lock)
            for (int i = 0; i < dst.Length; i++) dst[i] = NextNormal();
    }

    /// <summary>Fills with standard normal values (Box–Muller, computed in double).</summary>
    public void FillNormal(Span<float> dst)
    {
        lock (_lock)
            for (int i = 0; i < dst.Length; i++) dst[i] = (float)NextNormal();
    }

    /// <summary>Fills with integers uniform in [low, high), without modulo bias.</summary>
    public void FillInt(Span<long> dst, long low, long high)
    {
        if (high <= low) throw new ArgumentException($"aten::randint: expected low < high, got low={low}, high={high}.");
        ulong range = (ulong)(high - low);
        lock (_lock)
            for (int i = 0; i < dst.Length; i++) dst[i] = low + (long)NextBelow(range);
    }

    /// <summary>Uniform integer in [0, n).</summary>
    public long NextInt64(long n)
    {
        if (n <= 0) throw new ArgumentOutOfRangeException(nameof(n), $"Generator.NextInt64: n must be positive, got {n}.");
        lock (_lock) return (long)NextBelow((ulong)n);
    }

    /// <summary>Uniform double in [0, 1).</summary>
    public double NextDouble()
    {
        lock (_lock) return (NextRaw() >> 11) * (1.0 / (1UL << 53));
    }

    private ulong NextBelow(ulong range)
    {
        // Lemire's nearly-divisionless method.
        ulong x = NextRaw();
        UInt128 m = (UInt128)x * range;
        ulong l = (ulong)m;
        if (l < range)
        {
            ulong t = (0 - range) % range;
            while (l < t)
            {
                x = NextRaw();
                m = (UInt128)x * range;
                l = (ulong)m;
            }
        }
        return (ulong)(m >> 64);
    }

    private double NextNormal()
    {
        if (_spareNormal is double spare)
        {
            _spareNormal = null;
            return spare;
        }
        double u1 = ((NextRaw() >> 11) + 1) * (1.0 / (1UL << 53)); // (0, 1]
        double u2 = (NextRaw() >> 11) * (1.0 / (1UL << 53));
        double r = Math.Sqrt(-2.0 * Math.Log(u1));
        _spareNormal = r * Math.Sin(2 * Math.PI * u2);
        return r * Math.Cos(2 * Math.PI * u2);
    }
}
