using Microsoft.VisualStudio.TestTools.UnitTesting;

namespace Trace.Core.Tests;

/// <summary>ToString() against the text PyTorch 2.x prints for the same tensors (default print options).</summary>
[TestClass]
public class FormatTests
{
    private static void AssertPrints(string expected, Tensor t) => Assert.AreEqual(expected, t.ToString());

    [TestMethod]
    public void FloatMatrixWithMixedSigns() => AssertPrints(
        "tensor([[ 0.1000, -2.0000],\n" +
        "        [ 3.5000,  4.0000]])",
        Tensor.From(new float[,] { { 0.1f, -2f }, { 3.5f, 4f } }));

    [TestMethod]
    [DataRow(new float[] { 1, 2, 3 }, "tensor([1., 2., 3.])")]
    [DataRow(new float[] { -1, 20, 3 }, "tensor([-1., 20.,  3.])")]
    [DataRow(new float[] { 0, 0 }, "tensor([0., 0.])")]
    [DataRow(new float[] { 0.5f, 1.25f, 123.456f }, "tensor([  0.5000,   1.2500, 123.4560])")]
    [DataRow(new float[] { 1e-5f, 1 }, "tensor([1.0000e-05, 1.0000e+00])")]
    [DataRow(new float[] { -1e-5f, 1 }, "tensor([-1.0000e-05,  1.0000e+00])")]
    [DataRow(new float[] { 1, 2000 }, "tensor([1.0000e+00, 2.0000e+03])")]
    [DataRow(new float[] { 1, 1000 }, "tensor([   1., 1000.])")]
    [DataRow(new float[] { 1e9f }, "tensor([1.0000e+09])")]
    [DataRow(new float[] { 0.001f, 0.5f }, "tensor([0.0010, 0.5000])")]
    [DataRow(new float[] { 0.00005f, 0.001f }, "tensor([5.0000e-05, 1.0000e-03])")]
    [DataRow(new float[] { 123456.5f, 200 }, "tensor([123456.5000,    200.0000])")]
    public void FloatVectors(float[] values, string expected) => AssertPrints(expected, Tensor.From(values));

    [TestMethod]
    [DataRow(new[] { 1.5, double.NaN, double.PositiveInfinity, double.NegativeInfinity }, "tensor([1.5000,    nan,    inf,   -inf], dtype=torch.float64)")]
    [DataRow(new[] { 1.0, double.NaN }, "tensor([1., nan], dtype=torch.float64)")]
    [DataRow(new[] { 1.0, double.NegativeInfinity, 2.0 }, "tensor([1., -inf, 2.], dtype=torch.float64)")]
    [DataRow(new[] { 0.0, double.NaN }, "tensor([0., nan], dtype=torch.float64)")]
    [DataRow(new[] { double.NaN, double.NegativeInfinity }, "tensor([nan, -inf], dtype=torch.float64)")]
    [DataRow(new[] { 1e-5, double.NaN }, "tensor([1.0000e-05,        nan], dtype=torch.float64)")]
    [DataRow(new[] { 0.03125, 1.0 }, "tensor([0.0312, 1.0000], dtype=torch.float64)")]
    [DataRow(new[] { 0.09375, 1.0 }, "tensor([0.0938, 1.0000], dtype=torch.float64)")]
    [DataRow(new[] { 0.1234499999999999, 1.0 }, "tensor([0.1234, 1.0000], dtype=torch.float64)")]
    [DataRow(new[] { 1.5e-100, 1.0 }, "tensor([1.5000e-100,  1.0000e+00], dtype=torch.float64)")]
    public void NonFiniteValuesAndExactRounding(double[] values, string expected) => AssertPrints(expected, Tensor.From(values));

    [TestMethod]
    public void IntegerAndBoolTensors()
    {
        AssertPrints("tensor([1, 2, 3])", Tensor.From(new long[] { 1, 2, 3 }));
        AssertPrints("tensor([-1, 10,  3])", Tensor.From(new long[] { -1, 10, 3 }));
        AssertPrints("tensor([9223372036854775807,                   0])", Tensor.From(new[] { long.MaxValue, 0 }));
        AssertPrints("tensor([1, 2], dtype=torch.int32)", Tensor.From(new[] { 1, 2 }));
        AssertPrints("tensor([[  1, 100],\n        [ -5,   2]], dtype=torch.int32)", Tensor.From(new[,] { { 1, 100 }, { -5, 2 } }));
        AssertPrints("tensor([ True, False])", Tensor.From(new[] { true, false }));
        AssertPrints("tensor([True, True])", Tensor.From(new[] { true, true }));
        AssertPrints("tensor([False, False])", Tensor.From(new[] { false, false }));
    }

    [TestMethod]
    public void ZeroDimTensors()
    {
        AssertPrints("tensor(3.5000)", Tensor.Scalar(3.5));
        AssertPrints("tensor(3.)", Tensor.Scalar(3.0));
        AssertPrints("tensor(-0.0010)", Tensor.Scalar(-0.001));
        AssertPrints("tensor(1.0000e-05)", Tensor.Scalar(1e-5));
        AssertPrints("tensor(nan)", Tensor.Scalar(double.NaN));
        AssertPrints("tensor(0.)", Tensor.Scalar(0.0));
        AssertPrints("tensor(2.5000, dtype=torch.float64)", Tensor.Scalar(2.5, DType.Float64));
        AssertPrints("tensor(7)", Tensor.Scalar(7L));
        AssertPrints("tensor(7, dtype=torch.int32)", Tensor.Scalar(7, DType.Int32));
        AssertPrints("tensor(True)", Tensor.Scalar(true));
    }

    [TestMethod]
    public void EmptyTensorsShowSizeAndNonDefaultDType()
    {
        AssertPrints("tensor([])", Tensor.Zeros(0));
        AssertPrints("tensor([], size=(0, 3))", Tensor.Zeros(0, 3));
        AssertPrints("tensor([], size=(2, 0, 1))", Tensor.Zeros(2, 0, 1));
        AssertPrints("tensor([], dtype=torch.int64)", Tensor.Zeros([0], DType.Int64));
        AssertPrints("tensor([], dtype=torch.bool)", Tensor.Zeros([0], DType.Bool));
        AssertPrints("tensor([], size=(0, 3), dtype=torch.float64)", Tensor.Zeros([0, 3], DType.Float64));
    }

    [TestMethod]
    public void ThreeDimensionalTensorsSeparateBlocksWithABlankLine()
    {
        AssertPrints(
            "tensor([[[0, 1],\n" +
            "         [2, 3]],\n" +
            "\n" +
            "        [[4, 5],\n" +
            "         [6, 7]]])",
            Tensor.Arange(8).Reshape(2, 2, 2));
        AssertPrints(
            "tensor([[[0., 2.]],\n" +
            "\n" +
            "        [[1., 3.]]])",
            Tensor.Arange(4).To(DType.Float32).Reshape(2, 2).T.Unsqueeze(1)); // printed through its strides
    }

    [TestMethod]
    public void LongRowsWrapAtEightyColumns()
    {
        AssertPrints(
            "tensor([ 0,  1,  2,  3,  4,  5,  6,  7,  8,  9, 10, 11, 12, 13, 14, 15, 16, 17,\n" +
            "        18, 19])",
            Tensor.Arange(20));
        AssertPrints(
            "tensor([[ 0.5000,  1.5000,  2.5000,  3.5000,  4.5000,  5.5000,  6.5000,  7.5000,\n" +
            "          8.5000,  9.5000],\n" +
            "        [10.5000, 11.5000, 12.5000, 13.5000, 14.5000, 15.5000, 16.5000, 17.5000,\n" +
            "         18.5000, 19.5000]])",
            Tensor.Arange(20).To(DType.Float32).Add(0.5).Reshape(2, 10));
        // A suffix that does not fit on the last line moves to its own line.
        AssertPrints(
            "tensor([0.5000, 1.5000, 2.5000, 3.5000, 4.5000, 5.5000, 6.5000, 7.5000, 8.5000],\n" +
            "       dtype=torch.float64)",
            Tensor.Arange(9).To(DType.Float64).Add(0.5));
        AssertPrints(
            "tensor([0.5000, 1.5000, 2.5000, 3.5000, 4.5000, 5.5000, 6.5000, 7.5000],\n" +
            "       dtype=torch.float64)",
            Tensor.Arange(8).To(DType.Float64).Add(0.5));
        AssertPrints(
            "tensor([0.5000, 1.5000, 2.5000, 3.5000, 4.5000, 5.5000], dtype=torch.float64)",
            Tensor.Arange(6).To(DType.Float64).Add(0.5));
    }

    [TestMethod]
    public void MoreThanAThousandElementsAreElided()
    {
        AssertPrints("tensor([   0,    1,    2,  ..., 1997, 1998, 1999])", Tensor.Arange(2000));
        AssertPrints("tensor([   0.,    1.,    2.,  ...,  998.,  999., 1000.])", Tensor.Arange(1001).To(DType.Float32));
        AssertPrints("tensor([0, 1, 2,  ..., 8, 9, 0])", Tensor.From(Enumerable.Range(0, 1001).Select(i => (long)(i % 10)).ToArray()));
        AssertPrints(
            "tensor([[   0,    1,    2],\n" +
            "        [   3,    4,    5],\n" +
            "        [   6,    7,    8],\n" +
            "        ...,\n" +
            "        [2991, 2992, 2993],\n" +
            "        [2994, 2995, 2996],\n" +
            "        [2997, 2998, 2999]])",
            Tensor.Arange(3000).Reshape(1000, 3));
        AssertPrints(
            "tensor([[   0,    1,    2,  ...,  997,  998,  999],\n" +
            "        [1000, 1001, 1002,  ..., 1997, 1998, 1999],\n" +
            "        [2000, 2001, 2002,  ..., 2997, 2998, 2999]])",
            Tensor.Arange(3000).Reshape(3, 1000));
        // Only the printed elements choose the format: the hidden 1e6 does not force scientific mode.
        var v = Enumerable.Repeat(0.5, 2000).ToArray();
        v[1000] = 1e6;
        AssertPrints("tensor([0.5000, 0.5000, 0.5000,  ..., 0.5000, 0.5000, 0.5000],\n       dtype=torch.float64)", Tensor.From(v));
        Assert.AreEqual(1000, Tensor.Arange(1000).ToString().Split(',').Length, "exactly 1000 elements are not elided");
    }
}
