namespace Trace;

/// <summary>
/// A device's fill kernels for factories (full, arange, rand, randn, randint). The op has checked its arguments and
/// allocated the contiguous output; a kernel only writes every element of it. Random fills draw from a
/// <see cref="Generator"/>, whose state stays with the caller: a kernel consumes its stream in element order, so a
/// seeded generator gives the same values on every device.
/// </summary>
internal interface IFactoryKernels
{
    /// <summary>Sets every element of <paramref name="dst"/> to <paramref name="value"/> converted to its dtype (a C# cast; bool: value != 0).</summary>
    void Fill(Tensor dst, double value);

    /// <summary>Element i of the int64 <paramref name="dst"/> = <paramref name="start"/> + i·<paramref name="step"/> (in int64).</summary>
    void Arange(Tensor dst, long start, long step);

    /// <summary>Element i of <paramref name="dst"/> = <paramref name="start"/> + i·<paramref name="step"/>, computed in double and cast to its dtype.</summary>
    void Arange(Tensor dst, double start, double step);

    /// <summary>Fills the floating <paramref name="dst"/> with uniform [0, 1) values from <paramref name="generator"/>.</summary>
    void Uniform(Tensor dst, Generator generator);

    /// <summary>Fills the floating <paramref name="dst"/> with standard normal values from <paramref name="generator"/>.</summary>
    void Normal(Tensor dst, Generator generator);

    /// <summary>Fills the int64 <paramref name="dst"/> with integers uniform in [<paramref name="low"/>, <paramref name="high"/>) from <paramref name="generator"/>.</summary>
    void Randint(Tensor dst, Generator generator, long low, long high);
}
