namespace Trace;

/// <summary>Which GELU formula to use (PyTorch's <c>approximate</c> argument).</summary>
public enum GeluApproximation
{
    /// <summary>Exact: 0.5·x·(1 + erf(x/√2)).</summary>
    None,
    /// <summary>Tanh approximation: 0.5·x·(1 + tanh(√(2/π)(x + 0.044715x³))).</summary>
    Tanh,
}

public sealed partial class Tensor
{
    /// <summary>A 0-dim tensor holding a .NET scalar, typed as PyTorch types a Python number next to this tensor.</summary>
    internal Tensor WrapScalar(double value, ScalarKind kind)
    {
        var t = Scalar(value, DTypes.ResultType(DType, kind));
        t.IsWrappedNumber = true;
        return t;
    }

    /// <summary>True for 0-dim tensors made from a .NET number by an op overload (PyTorch's wrapped numbers); tracers print them as constants.</summary>
    public bool IsWrappedNumber { get; private set; }

    /// <summary>Elementwise sum with broadcasting.</summary>
    public Tensor Add(Tensor other) => Dispatch.Record("aten::add", () => ElementwiseDispatch.Binary(BinaryKind.Add, this, other, "aten::add"),
        this, g => g.SumTo(this), other, g => g.SumTo(other));
    /// <summary>Adds a scalar.</summary>
    public Tensor Add(double other) => Add(WrapScalar(other, ScalarKind.Floating));
    /// <summary>Adds an integer scalar (keeps integer dtypes).</summary>
    public Tensor Add(long other) => Add(WrapScalar(other, ScalarKind.Integer));
    /// <summary>Elementwise difference with broadcasting.</summary>
    public Tensor Sub(Tensor other) => Dispatch.Record("aten::sub", () => ElementwiseDispatch.Binary(BinaryKind.Sub, this, other, "aten::sub"),
        this, g => g.SumTo(this), other, g => g.Neg().SumTo(other));
    /// <summary>Subtracts a scalar.</summary>
    public Tensor Sub(double other) => Sub(WrapScalar(other, ScalarKind.Floating));
    /// <summary>Subtracts an integer scalar.</summary>
    public Tensor Sub(long other) => Sub(WrapScalar(other, ScalarKind.Integer));
    /// <summary>Elementwise product with broadcasting.</summary>
    public Tensor Mul(Tensor other) => Dispatch.Record("aten::mul", () => ElementwiseDispatch.Binary(BinaryKind.Mul, this, other, "aten::mul"),
        this, g => g.Mul(other).SumTo(this), other, g => g.Mul(this).SumTo(other), this, other);
    /// <summary>Multiplies by a scalar.</summary>
    public Tensor Mul(double other) => Mul(WrapScalar(other, ScalarKind.Floating));
    /// <summary>Multiplies by an integer scalar.</summary>
    public Tensor Mul(long other) => Mul(WrapScalar(other, ScalarKind.Integer));
    /// <summary>True division with broadcasting (integers are promoted to float32).</summary>
    public Tensor Div(Tensor other)
    {
        return Dispatch.Record("aten::div", () => ElementwiseDispatch.Binary(BinaryKind.Div, this, other, "aten::div"), [this, other],
            r => new Backward([g => g.Div(other).SumTo(this), g => g.Mul(r).Div(other).Neg().SumTo(other)], other, r));
    }
    /// <summary>Divides by a scalar.</summary>
    public Tensor Div(double other) => Div(WrapScalar(other, ScalarKind.Floating));
    /// <summary>Elementwise power with broadcasting.</summary>
    public Tensor Pow(Tensor exponent)
    {
        return Dispatch.Record("aten::pow", () => ElementwiseDispatch.Binary(BinaryKind.Pow, this, exponent, "aten::pow"), [this, exponent], r => new Backward(
            [
                // d/da a^b = b·a^(b−1), defined as 0 where b == 0 (PyTorch's pow_backward_self: 0·inf would be NaN at a = 0).
                g => Where(exponent.Eq(0.0), 0.0, g.Mul(exponent).Mul(Pow(exponent.Sub(1.0)))).SumTo(this),
                // d/db a^b = a^b log a, defined as 0 where a == 0 and b >= 0 (as PyTorch does).
                g => g.Mul(Where(Eq(0.0).LogicalAnd(exponent.Ge(0.0)), 0.0, r.Mul(Log()))).SumTo(exponent),
            ],
            this, exponent, r));
    }
    /// <summary>Raises to a scalar power (x² is computed as x·x).</summary>
    public Tensor Pow(double exponent) => exponent == 2 ? (IsFloatingPoint ? this : To(DTypes.DefaultFloat)).Square()
        : Pow(WrapScalar(exponent, ScalarKind.Floating));
    /// <summary>Raises to an integer power (keeps integer dtypes).</summary>
    public Tensor Pow(long exponent) => exponent == 2 && DType != DType.Bool ? Square()
        : Pow(WrapScalar(exponent, ScalarKind.Integer));
    /// <summary>Elementwise maximum (NaN propagates).</summary>
    public Tensor Maximum(Tensor other) => Dispatch.Record("aten::maximum", () => ElementwiseDispatch.Binary(BinaryKind.Maximum, this, other, "aten::maximum"),
        this, g => g.Mul(GradientShare(this, other, this.Lt(other))).SumTo(this),
        other, g => g.Mul(GradientShare(this, other, this.Gt(other))).SumTo(other), this, other);
    /// <summary>Elementwise minimum (NaN propagates).</summary>
    public Tensor Minimum(Tensor other) => Dispatch.Record("aten::minimum", () => ElementwiseDispatch.Binary(BinaryKind.Minimum, this, other, "aten::minimum"),
        this, g => g.Mul(GradientShare(this, other, this.Gt(other))).SumTo(this),
        other, g => g.Mul(GradientShare(this, other, this.Lt(other))).SumTo(other), this, other);

    /// <summary>
    /// PyTorch's maximum/minimum backward, where(a == b, 1/2, 1) masked to 0 where this side <paramref name="loses"/>:
    /// ties split the gradient, and where either side is NaN (no comparison holds) both sides get all of it.
    /// </summary>
    private static Tensor GradientShare(Tensor a, Tensor b, Tensor loses)
    {
        var dt = DTypes.ResultType(a, b);
        return 1.0 - loses.To(dt).Add(a.Eq(b).To(dt).Mul(0.5));   // the two masks never overlap
    }

    /// <summary>Clamps into [min, max]; either bound may be omitted. With min &gt; max every element becomes max.</summary>
    public Tensor Clamp(double? min = null, double? max = null)
    {
        if (min is null && max is null) throw new ArgumentException("aten::clamp: at least one of 'min' or 'max' must not be None.");
        // The gradient passes where the input is inside [min, max] (boundaries included), as in PyTorch.
        return Dispatch.Record(new OpCall("aten::clamp", min, max), () => ClampKernel(min, max), this, g =>
        {
            var inside = Ge(min ?? double.NegativeInfinity).LogicalAnd(Le(max ?? double.PositiveInfinity));
            return Where(inside, g, 0.0);
        }, this);
    }

    /// <summary>PyTorch's clamp kernels: lo where lo &gt; x, then hi where hi &lt; that (NaN and -0 pass through); a NaN bound fills NaN.</summary>
    private Tensor ClampKernel(double? min, double? max)
    {
        if (IsFloatingPoint && (double.IsNaN(min ?? 0) || double.IsNaN(max ?? 0)))
            return Full((int[])_shape.Clone(), double.NaN, DType, Device);
        var kind = IsFloatingPoint ? ScalarKind.Floating : ScalarKind.Integer;
        var r = this;
        if (min is double lo) r = ElementwiseDispatch.Binary(BinaryKind.ClampMin, r, WrapScalar(lo, kind), "aten::clamp");
        if (max is double hi) r = ElementwiseDispatch.Binary(BinaryKind.ClampMax, r, r.WrapScalar(hi, kind), "aten::clamp");
        return r;
    }

    /// <summary>-x.</summary>
    public Tensor Neg() => Dispatch.Record("aten::neg", () => ElementwiseDispatch.Unary(UnaryKind.Neg, this, "aten::neg"), this, g => g.Neg());
    /// <summary>|x| (gradient sign(x), 0 at 0).</summary>
    public Tensor Abs() => Dispatch.Record("aten::abs", () => ElementwiseDispatch.Unary(UnaryKind.Abs, this, "aten::abs"), this, g => g.Mul(Sign()), this);
    /// <summary>-1, 0 or 1 by the sign of each element (no gradient).</summary>
    public Tensor Sign() => Gt(0.0).To(DType).Sub(Lt(0.0).To(DType));
    /// <summary>e^x.</summary>
    public Tensor Exp()
    {
        return Dispatch.Record("aten::exp", () => ElementwiseDispatch.Unary(UnaryKind.Exp, this, "aten::exp"), [this], r => new(g => g.Mul(r), r));
    }
    /// <summary>Natural logarithm.</summary>
    public Tensor Log() => Dispatch.Record("aten::log", () => ElementwiseDispatch.Unary(UnaryKind.Log, this, "aten::log"), this, g => g.Div(this), this);
    /// <summary>Square root.</summary>
    public Tensor Sqrt()
    {
        return Dispatch.Record("aten::sqrt", () => ElementwiseDispatch.Unary(UnaryKind.Sqrt, this, "aten::sqrt"), [this], r => new(g => g.Div(r.Mul(2.0)), r));
    }
    /// <summary>1/√x.</summary>
    public Tensor Rsqrt()
    {
        return Dispatch.Record("aten::rsqrt", () => ElementwiseDispatch.Unary(UnaryKind.Rsqrt, this, "aten::rsqrt"), [this], r => new(g => g.Mul(r.Mul(r).Mul(r)).Mul(-0.5), r));
    }
    /// <summary>x·x.</summary>
    public Tensor Square() => Dispatch.Record("aten::square", () => ElementwiseDispatch.Unary(UnaryKind.Square, this, "aten::square"), this, g => g.Mul(this).Mul(2.0), this);
    /// <summary>Hyperbolic tangent.</summary>
    public Tensor Tanh()
    {
        return Dispatch.Record("aten::tanh", () => ElementwiseDispatch.Unary(UnaryKind.Tanh, this, "aten::tanh"), [this], r => new(g => g.Mul(1.0 - r.Mul(r)), r));
    }
    /// <summary>Logistic sigmoid.</summary>
    public Tensor Sigmoid()
    {
        return Dispatch.Record("aten::sigmoid", () => ElementwiseDispatch.Unary(UnaryKind.Sigmoid, this, "aten::sigmoid"), [this], r => new(g => g.Mul(r).Mul(1.0 - r), r));
    }
    /// <summary>
    /// max(x, 0) as PyTorch's clamp_min(x, 0): NaN stays NaN and -0 stays -0. Gradient as PyTorch's
    /// threshold_backward(g, result, 0): 0 where the result is &lt;= 0, g elsewhere (so g passes at NaN).
    /// </summary>
    public Tensor Relu()
    {
        return Dispatch.Record("aten::relu", () => ElementwiseDispatch.Unary(UnaryKind.Relu, this, "aten::relu"), [this], r => new(g => Where(r.Le(0.0), 0.0, g), r));
    }
    /// <summary>Error function.</summary>
    public Tensor Erf() => Dispatch.Record("aten::erf", () => ElementwiseDispatch.Unary(UnaryKind.Erf, this, "aten::erf"),
        this, g => g.Mul(Square().Neg().Exp().Mul(2 / Math.Sqrt(Math.PI))), this);
    /// <summary>GELU, exact by default or with the tanh approximation.</summary>
    public Tensor Gelu(GeluApproximation approximate = GeluApproximation.None)
    {
        bool tanh = approximate == GeluApproximation.Tanh;
        return Dispatch.Record(new OpCall("aten::gelu", tanh ? "tanh" : "none"), () => ElementwiseDispatch.Unary(tanh ? UnaryKind.GeluTanh : UnaryKind.Gelu, this, "aten::gelu"), this, g => g.GeluBackward(this, approximate), this);
    }

    /// <summary>
    /// GELU's backward as one op (PyTorch's <c>aten::gelu_backward</c>): this gradient times GELU'(x), in one fused
    /// pass. Its own backward (for higher-order gradients): d/dgrad = GELU'(x), d/dx = grad · GELU''(x).
    /// </summary>
    internal Tensor GeluBackward(Tensor x, GeluApproximation approximate, Tensor? @out = null)
    {
        const string op = "aten::gelu_backward";
        ElementwiseDispatch.SameDevice(this, x, op);
        var kernels = DeviceKernels.For(Device, op).Elementwise;
        if (!_shape.AsSpan().SequenceEqual(x._shape) || DType != x.DType || !IsFloatingPoint)
            throw new ArgumentException($"{op}: gradient {DType.TorchName()} {Shapes.Format(_shape)} and input {x.DType.TorchName()} {Shapes.Format(x._shape)} must be floating tensors of one shape and dtype.");
        bool tanh = approximate == GeluApproximation.Tanh;
        return Dispatch.Run(new OpCall(op, tanh ? "tanh" : "none"), @out, () =>
        {
            var r = OutBuffer.Or(@out, (int[])_shape.Clone(), DType, Device, op);
            kernels.GeluBackward(r, Contiguous(), x.Contiguous(), tanh);
            return r;
        }, [this, x], _ => new([gg => gg.GeluBackward(x, approximate),
            gg => gg.Mul(this).Mul(tanh ? x.GeluTanhSecondDerivative() : x.GeluSecondDerivative())], this, x));
    }

    /// <summary>d²/dx² of exact GELU: φ(x)·(2 − x²), φ the standard normal density.</summary>
    private Tensor GeluSecondDerivative() =>
        Square().Mul(-0.5).Exp().Mul(1 / Math.Sqrt(2 * Math.PI)).Mul(Square().Neg().Add(2.0));

    /// <summary>
    /// d²/dx² of tanh-GELU with u = k(x + c·x³), t = tanh(u), u' = k(1 + 3c·x²), u'' = 6kc·x:
    /// (1 − t²)·u' + 0.5·x·(1 − t²)·(u'' − 2t·u'²).
    /// </summary>
    private Tensor GeluTanhSecondDerivative()
    {
        const double k = 0.7978845608028654, c = 0.044715;
        var x2 = Square();
        var t = Add(Mul(x2).Mul(c)).Mul(k).Tanh();
        var sech2 = t.Square().Neg().Add(1.0);
        var du = x2.Mul(3 * c).Add(1.0).Mul(k);
        var ddu = Mul(6 * k * c);
        return sech2.Mul(du).Add(Mul(0.5).Mul(sech2).Mul(ddu.Sub(t.Mul(du.Square()).Mul(2.0))));
    }

    /// <summary>Sums a gradient over the dims that were broadcast to reach this shape, and casts it to <paramref name="like"/>'s dtype.</summary>
    internal Tensor SumTo(Tensor like)
    {
        var g = this;
        int lead = Dim - like.Dim;
        var dims = new List<int>();
        for (int d = 0; d < Dim; d++)
            if (d < lead || (like._shape[d - lead] == 1 && _shape[d] != 1)) dims.Add(d);
        if (dims.Count > 0) g = g.Sum(dims.ToArray(), keepdim: true);
        if (lead > 0) g = g.Reshape(like._shape);
        return g.DType == like.DType || !like.IsFloatingPoint ? g : g.To(like.DType);
    }

    /// <summary>Elementwise ==, as a bool tensor.</summary>
    public Tensor Eq(Tensor other) => Dispatch.Record("aten::eq", () => ElementwiseDispatch.Compare(CompareKind.Eq, this, other, "aten::eq"), this, other);
    /// <summary>Elementwise == scalar.</summary>
    public Tensor Eq(double other) => Eq(WrapScalar(other, ScalarKind.Floating));
    /// <summary>Elementwise !=.</summary>
    public Tensor Ne(Tensor other) => Dispatch.Record("aten::ne", () => ElementwiseDispatch.Compare(CompareKind.Ne, this, other, "aten::ne"), this, other);
    /// <summary>Elementwise != scalar.</summary>
    public Tensor Ne(double other) => Ne(WrapScalar(other, ScalarKind.Floating));
    /// <summary>Elementwise &lt;.</summary>
    public Tensor Lt(Tensor other) => Dispatch.Record("aten::lt", () => ElementwiseDispatch.Compare(CompareKind.Lt, this, other, "aten::lt"), this, other);
    /// <summary>Elementwise &lt; scalar.</summary>
    public Tensor Lt(double other) => Lt(WrapScalar(other, ScalarKind.Floating));
    /// <summary>Elementwise &lt;=.</summary>
    public Tensor Le(Tensor other) => Dispatch.Record("aten::le", () => ElementwiseDispatch.Compare(CompareKind.Le, this, other, "aten::le"), this, other);
    /// <summary>Elementwise &lt;= scalar.</summary>
    public Tensor Le(double other) => Le(WrapScalar(other, ScalarKind.Floating));
    /// <summary>Elementwise &gt;.</summary>
    public Tensor Gt(Tensor other) => Dispatch.Record("aten::gt", () => ElementwiseDispatch.Compare(CompareKind.Gt, this, other, "aten::gt"), this, other);
    /// <summary>Elementwise &gt; scalar.</summary>
    public Tensor Gt(double other) => Gt(WrapScalar(other, ScalarKind.Floating));
    /// <summary>Elementwise &gt;=.</summary>
    public Tensor Ge(Tensor other) => Dispatch.Record("aten::ge", () => ElementwiseDispatch.Compare(CompareKind.Ge, this, other, "aten::ge"), this, other);
    /// <summary>Elementwise &gt;= scalar.</summary>
    public Tensor Ge(double other) => Ge(WrapScalar(other, ScalarKind.Floating));

    /// <summary>Logical and of the truth values (nonzero is true).</summary>
    public Tensor LogicalAnd(Tensor other) => Dispatch.Record("aten::logical_and", () => ElementwiseDispatch.Compare(CompareKind.And, this, other, "aten::logical_and"), this, other);
    /// <summary>Logical or of the truth values.</summary>
    public Tensor LogicalOr(Tensor other) => Dispatch.Record("aten::logical_or", () => ElementwiseDispatch.Compare(CompareKind.Or, this, other, "aten::logical_or"), this, other);
    /// <summary>Logical xor of the truth values.</summary>
    public Tensor LogicalXor(Tensor other) => Dispatch.Record("aten::logical_xor", () => ElementwiseDispatch.Compare(CompareKind.Xor, this, other, "aten::logical_xor"), this, other);
    /// <summary>Logical not (true where the element is zero).</summary>
    public Tensor LogicalNot()
    {
        return Dispatch.Record("aten::logical_not", () => ElementwiseDispatch.Compare(CompareKind.Eq, DType == DType.Bool ? To(DType.Int32) : this, Scalar(0L), "aten::logical_not"), this);
    }

    /// <summary>Elementwise select: <paramref name="condition"/> ? <paramref name="x"/> : <paramref name="y"/>, broadcasting all three.</summary>
    public static Tensor Where(Tensor condition, Tensor x, Tensor y) => Dispatch.Record("aten::where", () => ElementwiseDispatch.Where(condition, x, y, "aten::where"),
        [condition, x, y], [null, g => Where(condition, g, 0.0).SumTo(x), g => Where(condition, 0.0, g).SumTo(y)]);

    /// <summary>Elementwise select with a scalar for the true branch.</summary>
    public static Tensor Where(Tensor condition, double x, Tensor y) => Where(condition, y.WrapScalar(x, ScalarKind.Floating), y);

    /// <summary>Elementwise select with a scalar for the false branch.</summary>
    public static Tensor Where(Tensor condition, Tensor x, double y) => Where(condition, x, x.WrapScalar(y, ScalarKind.Floating));

    /// <summary>a + b.</summary>
    public static Tensor operator +(Tensor a, Tensor b) => a.Add(b);
    /// <summary>a + s.</summary>
    public static Tensor operator +(Tensor a, double s) => a.Add(s);
    /// <summary>s + a.</summary>
    public static Tensor operator +(double s, Tensor a) => a.WrapScalar(s, ScalarKind.Floating).Add(a);
    /// <summary>a - b.</summary>
    public static Tensor operator -(Tensor a, Tensor b) => a.Sub(b);
    /// <summary>a - s.</summary>
    public static Tensor operator -(Tensor a, double s) => a.Sub(s);
    /// <summary>s - a.</summary>
    public static Tensor operator -(double s, Tensor a) => a.WrapScalar(s, ScalarKind.Floating).Sub(a);
    /// <summary>a * b.</summary>
    public static Tensor operator *(Tensor a, Tensor b) => a.Mul(b);
    /// <summary>a * s.</summary>
    public static Tensor operator *(Tensor a, double s) => a.Mul(s);
    /// <summary>s * a.</summary>
    public static Tensor operator *(double s, Tensor a) => a.WrapScalar(s, ScalarKind.Floating).Mul(a);
    /// <summary>a / b.</summary>
    public static Tensor operator /(Tensor a, Tensor b) => a.Div(b);
    /// <summary>a / s.</summary>
    public static Tensor operator /(Tensor a, double s) => a.Div(s);
    /// <summary>s / a.</summary>
    public static Tensor operator /(double s, Tensor a) => a.WrapScalar(s, ScalarKind.Floating).Div(a);
    /// <summary>-a.</summary>
    public static Tensor operator -(Tensor a) => a.Neg();
    /// <summary>a &lt; b.</summary>
    public static Tensor operator <(Tensor a, Tensor b) => a.Lt(b);
    /// <summary>a &gt; b.</summary>
    public static Tensor operator >(Tensor a, Tensor b) => a.Gt(b);
    /// <summary>a &lt;= b.</summary>
    public static Tensor operator <=(Tensor a, Tensor b) => a.Le(b);
    /// <summary>a &gt;= b.</summary>
    public static Tensor operator >=(Tensor a, Tensor b) => a.Ge(b);
    /// <summary>a &lt; s.</summary>
    public static Tensor operator <(Tensor a, double s) => a.Lt(s);
    /// <summary>a &gt; s.</summary>
    public static Tensor operator >(Tensor a, double s) => a.Gt(s);
    /// <summary>a &lt;= s.</summary>
    public static Tensor operator <=(Tensor a, double s) => a.Le(s);
    /// <summary>a &gt;= s.</summary>
    public static Tensor operator >=(Tensor a, double s) => a.Ge(s);
    /// <summary>Logical and.</summary>
    public static Tensor operator &(Tensor a, Tensor b) => a.LogicalAnd(b);
    /// <summary>Logical or.</summary>
    public static Tensor operator |(Tensor a, Tensor b) => a.LogicalOr(b);
    /// <summary>Logical xor.</summary>
    public static Tensor operator ^(Tensor a, Tensor b) => a.LogicalXor(b);
    /// <summary>Logical not.</summary>
    public static Tensor operator !(Tensor a) => a.LogicalNot();
}
