namespace Trace.Nn;

/// <summary>Parameter initializers (like <c>torch.nn.init</c>); each fills a tensor in place without recording a graph.</summary>
public static class Init
{
    /// <summary>Fills with U(low, high).</summary>
    public static Tensor Uniform_(Tensor t, double low = 0, double high = 1, Generator? generator = null)
    {
        var u = Tensor.Rand(t.Shape.ToArray(), t.DType.IsFloatingPoint() ? t.DType : DType.Float64, generator, t.Device);
        using var _ = Autograd.NoGrad();
        return t.Copy_(u.Mul(high - low).Add(low));
    }

    /// <summary>Fills with N(mean, std²).</summary>
    public static Tensor Normal_(Tensor t, double mean = 0, double std = 1, Generator? generator = null)
    {
        var n = Tensor.Randn(t.Shape.ToArray(), t.DType.IsFloatingPoint() ? t.DType : DType.Float64, generator, t.Device);
        using var _ = Autograd.NoGrad();
        return t.Copy_(n.Mul(std).Add(mean));
    }

    /// <summary>Fills with a constant.</summary>
    public static Tensor Constant_(Tensor t, double value)
    {
        using var _ = Autograd.NoGrad();
        return t.Fill_(value);
    }

    /// <summary>Fills with zeros.</summary>
    public static Tensor Zeros_(Tensor t) => Constant_(t, 0);

    /// <summary>Fills with ones.</summary>
    public static Tensor Ones_(Tensor t) => Constant_(t, 1);

    /// <summary>(fan_in, fan_out) of a weight: dims 1 and 0 times the receptive field (product of dims 2..).</summary>
    public static (int FanIn, int FanOut) CalculateFans(Tensor t)
    {
        if (t.Dim < 2)
            throw new ArgumentException($"Init: fan in and fan out can not be computed for a tensor with fewer than 2 dimensions (shape {Shapes.Format(t.Shape)}).");
        int receptive = 1;
        for (int d = 2; d < t.Dim; d++) receptive *= t.Shape[d];
        return (t.Shape[1] * receptive, t.Shape[0] * receptive);
    }

    /// <summary>
    /// Kaiming/He uniform: U(-b, b) with b = gain·√(3/fan_in), gain = √(2/(1+a²)) (leaky-ReLU slope a).
    /// With a = √5 this is PyTorch's default for Linear weights, b = 1/√fan_in.
    /// </summary>
    public static Tensor KaimingUniform_(Tensor t, double a = 0, Generator? generator = null)
    {
        double gain = Math.Sqrt(2.0 / (1 + a * a));
        double bound = gain * Math.Sqrt(3.0 / CalculateFans(t).FanIn);
        return Uniform_(t, -bound, bound, generator);
    }

    /// <summary>Xavier/Glorot uniform: U(-b, b) with b = gain·√(6/(fan_in+fan_out)).</summary>
    public static Tensor XavierUniform_(Tensor t, double gain = 1, Generator? generator = null)
    {
        var (fanIn, fanOut) = CalculateFans(t);
        double bound = gain * Math.Sqrt(6.0 / (fanIn + fanOut));
        return Uniform_(t, -bound, bound, generator);
    }
}
