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
    internal Tensor WrapScalar(double value, ScalarKind kind) => Scalar(value, DTypes.ResultType(DType, kind));

    /// <summary>Elementwise sum with broadcasting.</summary>
    public Tensor Add(Tensor other) => ElementwiseDispatch.Binary(BinaryKind.Add, this, other, "aten::add");
    /// <summary>Adds a scalar.</summary>
    public Tensor Add(double other) => Add(WrapScalar(other, ScalarKind.Floating));
    /// <summary>Adds an integer scalar (keeps integer dtypes).</summary>
    public Tensor Add(long other) => Add(WrapScalar(other, ScalarKind.Integer));
    /// <summary>Elementwise difference with broadcasting.</summary>
    public Tensor Sub(Tensor other) => ElementwiseDispatch.Binary(BinaryKind.Sub, this, other, "aten::sub");
    /// <summary>Subtracts a scalar.</summary>
    public Tensor Sub(double other) => Sub(WrapScalar(other, ScalarKind.Floating));
    /// <summary>Subtracts an integer scalar.</summary>
    public Tensor Sub(long other) => Sub(WrapScalar(other, ScalarKind.Integer));
    /// <summary>Elementwise product with broadcasting.</summary>
    public Tensor Mul(Tensor other) => ElementwiseDispatch.Binary(BinaryKind.Mul, this, other, "aten::mul");
    /// <summary>Multiplies by a scalar.</summary>
    public Tensor Mul(double other) => Mul(WrapScalar(other, ScalarKind.Floating));
    /// <summary>Multiplies by an integer scalar.</summary>
    public Tensor Mul(long other) => Mul(WrapScalar(other, ScalarKind.Integer));
    /// <summary>True division with broadcasting (integers are promoted to float32).</summary>
    public Tensor Div(Tensor other) => ElementwiseDispatch.Binary(BinaryKind.Div, this, other, "aten::div");
    /// <summary>Divides by a scalar.</summary>
    public Tensor Div(double other) => Div(WrapScalar(other, ScalarKind.Floating));
    /// <summary>Elementwise power with broadcasting.</summary>
    public Tensor Pow(Tensor exponent) => ElementwiseDispatch.Binary(BinaryKind.Pow, this, exponent, "aten::pow");
    /// <summary>Raises to a scalar power (x² is computed as x·x).</summary>
    public Tensor Pow(double exponent) => exponent == 2 ? ElementwiseDispatch.Unary(UnaryKind.Square, IsFloatingPoint ? this : To(DTypes.DefaultFloat), "aten::pow")
        : Pow(WrapScalar(exponent, ScalarKind.Floating));
    /// <summary>Raises to an integer power (keeps integer dtypes).</summary>
    public Tensor Pow(long exponent) => exponent == 2 && DType != DType.Bool ? ElementwiseDispatch.Unary(UnaryKind.Square, this, "aten::pow")
        : Pow(WrapScalar(exponent, ScalarKind.Integer));
    /// <summary>Elementwise maximum (NaN propagates).</summary>
    public Tensor Maximum(Tensor other) => ElementwiseDispatch.Binary(BinaryKind.Maximum, this, other, "aten::maximum");
    /// <summary>Elementwise minimum (NaN propagates).</summary>
    public Tensor Minimum(Tensor other) => ElementwiseDispatch.Binary(BinaryKind.Minimum, this, other, "aten::minimum");

    /// <summary>Clamps into [min, max]; either bound may be omitted. With min &gt; max every element becomes max.</summary>
    public Tensor Clamp(double? min = null, double? max = null)
    {
        if (min is null && max is null) throw new ArgumentException("aten::clamp: at least one of 'min' or 'max' must not be None.");
        var r = this;
        if (min is double lo) r = ElementwiseDispatch.Binary(BinaryKind.Maximum, r, WrapScalar(lo, IsFloatingPoint ? ScalarKind.Floating : ScalarKind.Integer), "aten::clamp");
        if (max is double hi) r = ElementwiseDispatch.Binary(BinaryKind.Minimum, r, r.WrapScalar(hi, IsFloatingPoint ? ScalarKind.Floating : ScalarKind.Integer), "aten::clamp");
        return r;
    }

    /// <summary>-x.</summary>
    public Tensor Neg() => ElementwiseDispatch.Unary(UnaryKind.Neg, this, "aten::neg");
    /// <summary>|x|.</summary>
    public Tensor Abs() => ElementwiseDispatch.Unary(UnaryKind.Abs, this, "aten::abs");
    /// <summary>e^x.</summary>
    public Tensor Exp() => ElementwiseDispatch.Unary(UnaryKind.Exp, this, "aten::exp");
    /// <summary>Natural logarithm.</summary>
    public Tensor Log() => ElementwiseDispatch.Unary(UnaryKind.Log, this, "aten::log");
    /// <summary>Square root.</summary>
    public Tensor Sqrt() => ElementwiseDispatch.Unary(UnaryKind.Sqrt, this, "aten::sqrt");
    /// <summary>1/√x.</summary>
    public Tensor Rsqrt() => ElementwiseDispatch.Unary(UnaryKind.Rsqrt, this, "aten::rsqrt");
    /// <summary>x·x.</summary>
    public Tensor Square() => Pow(2L);
    /// <summary>Hyperbolic tangent.</summary>
    public Tensor Tanh() => ElementwiseDispatch.Unary(UnaryKind.Tanh, this, "aten::tanh");
    /// <summary>Logistic sigmoid.</summary>
    public Tensor Sigmoid() => ElementwiseDispatch.Unary(UnaryKind.Sigmoid, this, "aten::sigmoid");
    /// <summary>max(x, 0).</summary>
    public Tensor Relu() => ElementwiseDispatch.Unary(UnaryKind.Relu, this, "aten::relu");
    /// <summary>Error function.</summary>
    public Tensor Erf() => ElementwiseDispatch.Unary(UnaryKind.Erf, this, "aten::erf");
    /// <summary>GELU, exact by default or with the tanh approximation.</summary>
    public Tensor Gelu(GeluApproximation approximate = GeluApproximation.None) =>
        ElementwiseDispatch.Unary(approximate == GeluApproximation.Tanh ? UnaryKind.GeluTanh : UnaryKind.Gelu, this, "aten::gelu");

    /// <summary>Elementwise ==, as a bool tensor.</summary>
    public Tensor Eq(Tensor other) => ElementwiseDispatch.Compare(CompareKind.Eq, this, other, "aten::eq");
    /// <summary>Elementwise == scalar.</summary>
    public Tensor Eq(double other) => Eq(WrapScalar(other, ScalarKind.Floating));
    /// <summary>Elementwise !=.</summary>
    public Tensor Ne(Tensor other) => ElementwiseDispatch.Compare(CompareKind.Ne, this, other, "aten::ne");
    /// <summary>Elementwise != scalar.</summary>
    public Tensor Ne(double other) => Ne(WrapScalar(other, ScalarKind.Floating));
    /// <summary>Elementwise &lt;.</summary>
    public Tensor Lt(Tensor other) => ElementwiseDispatch.Compare(CompareKind.Lt, this, other, "aten::lt");
    /// <summary>Elementwise &lt; scalar.</summary>
    public Tensor Lt(double other) => Lt(WrapScalar(other, ScalarKind.Floating));
    /// <summary>Elementwise &lt;=.</summary>
    public Tensor Le(Tensor other) => ElementwiseDispatch.Compare(CompareKind.Le, this, other, "aten::le");
    /// <summary>Elementwise &lt;= scalar.</summary>
    public Tensor Le(double other) => Le(WrapScalar(other, ScalarKind.Floating));
    /// <summary>Elementwise &gt;.</summary>
    public Tensor Gt(Tensor other) => ElementwiseDispatch.Compare(CompareKind.Gt, this, other, "aten::gt");
    /// <summary>Elementwise &gt; scalar.</summary>
    public Tensor Gt(double other) => Gt(WrapScalar(other, ScalarKind.Floating));
    /// <summary>Elementwise &gt;=.</summary>
    public Tensor Ge(Tensor other) => ElementwiseDispatch.Compare(CompareKind.Ge, this, other, "aten::ge");
    /// <summary>Elementwise &gt;= scalar.</summary>
    public Tensor Ge(double other) => Ge(WrapScalar(other, ScalarKind.Floating));

    /// <summary>Logical and of the truth values (nonzero is true).</summary>
    public Tensor LogicalAnd(Tensor other) => ElementwiseDispatch.Compare(CompareKind.And, this, other, "aten::logical_and");
    /// <summary>Logical or of the truth values.</summary>
    public Tensor LogicalOr(Tensor other) => ElementwiseDispatch.Compare(CompareKind.Or, this, other, "aten::logical_or");
    /// <summary>Logical xor of the truth values.</summary>
    public Tensor LogicalXor(Tensor other) => ElementwiseDispatch.Compare(CompareKind.Xor, this, other, "aten::logical_xor");
    /// <summary>Logical not (true where the element is zero).</summary>
    public Tensor LogicalNot() => ElementwiseDispatch.Compare(CompareKind.Eq, DType == DType.Bool ? To(DType.Int32) : this, Scalar(0L), "aten::logical_not");

    /// <summary>Elementwise select: <paramref name="condition"/> ? <paramref name="x"/> : <paramref name="y"/>, broadcasting all three.</summary>
    public static Tensor Where(Tensor condition, Tensor x, Tensor y) => ElementwiseDispatch.Where(condition, x, y, "aten::where");

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
