using Microsoft.VisualStudio.TestTools.UnitTesting;
using Trace.Nn;
using static Trace.Core.Tests.RecurrentReference;

namespace Trace.Core.Tests;

/// <summary>RNN/LSTM/GRU cells and layers against float64 loops of PyTorch's formulas, gradchecked, with their options and bad inputs.</summary>
[TestClass]
public class RecurrentTests
{
    private const DType F64 = DType.Float64;
    private static readonly Generator G = new(2024);

    private static Tensor R(params int[] shape) => Tensor.Randn(shape, F64, G);

    private static RNNBase Layer(string kind, int input, int hidden, int layers = 1, bool bias = true, bool batchFirst = false, double dropout = 0, bool bidirectional = false) => kind switch
    {
        "lstm" => new LSTM(input, hidden, layers, bias, batchFirst, dropout, bidirectional, F64, G),
        "gru" => new GRU(input, hidden, layers, bias, batchFirst, dropout, bidirectional, F64, G),
        _ => new RNN(input, hidden, layers, kind, bias, batchFirst, dropout, bidirectional, F64, G),
    };

    /// <summary>(output, h_n, c_n or null) through the layer's typed forward.</summary>
    private static (Tensor Output, Tensor H, Tensor? C) Run(RNNBase layer, Tensor x, Tensor? h0 = null, Tensor? c0 = null) => layer switch
    {
        LSTM lstm => lstm.Forward(x, h0 is null ? null : (h0, c0!)) is var (o, (h, c)) ? (o, h, c) : default,
        GRU gru => gru.Forward(x, h0) is var (o, h) ? (o, h, null) : default,
        RNN rnn => rnn.Forward(x, h0) is var (o, h) ? (o, h, null) : default,
        _ => throw new ArgumentException(layer.GetType().Name),
    };

    [TestMethod]
    public void Cells_MatchFloat64Reference()
    {
        var x = R(3, 5);
        var h = R(3, 4);
        var c = R(3, 4);
        foreach (var kind in new[] { "tanh", "relu", "lstm", "gru" })
            foreach (bool bias in new[] { true, false })
                foreach (bool withState in new[] { true, false })
                {
                    RNNCellBase cell = kind switch
                    {
                        "lstm" => new LSTMCell(5, 4, bias, F64, G),
                        "gru" => new GRUCell(5, 4, bias, F64, G),
                        _ => new RNNCell(5, 4, bias, kind, F64, G),
                    };
                    var w = Of(cell.WeightIh, cell.WeightHh, cell.BiasIh, cell.BiasHh);
                    var (hx, cx) = withState ? (Reference.Values(h), Reference.Values(c)) : (new double[12], new double[12]);
                    var xs = Reference.Values(x);
                    var expH = new List<double>();
                    var expC = new List<double>();
                    for (int n = 0; n < 3; n++)
                    {
                        var (hn, cn) = Step(kind, w, xs[(n * 5)..(n * 5 + 5)], hx[(n * 4)..(n * 4 + 4)], cx[(n * 4)..(n * 4 + 4)]);
                        expH.AddRange(hn);
                        expC.AddRange(cn);
                    }
                    string what = $"{kind} bias={bias} state={withState}";
                    switch (cell)
                    {
                        case LSTMCell lstm:
                            var (ah, ac) = lstm.Forward(x, withState ? (h, c) : null);
                            Reference.AssertClose([.. expH], ah, 1e-10, 1e-12, what + " h");
                            Reference.AssertClose([.. expC], ac, 1e-10, 1e-12, what + " c");
                            break;
                        case GRUCell gru:
                            Reference.AssertClose([.. expH], gru.Forward(x, withState ? h : null), 1e-10, 1e-12, what);
                            break;
                        case RNNCell rnn:
                            Reference.AssertClose([.. expH], rnn.Forward(x, withState ? h : null), 1e-10, 1e-12, what);
                            break;
                    }
                }
    }

    [TestMethod]
    public void Layers_MatchFloat64Reference_WithInitialStates()
    {
        foreach (var kind in new[] { "tanh", "relu", "lstm", "gru" })
            foreach (bool withState in new[] { false, true })
            {
                var layer = Layer(kind, 3, 4, layers: 2);
                var x = R(5, 2, 3);
                var h0 = withState ? R(2, 2, 4) : null;
                var c0 = withState && kind == "lstm" ? R(2, 2, 4) : null;
                var (eo, eh, ec) = RecurrentReference.Run(kind, layer, Nested(x), h0 is null ? null : Nested(h0), c0 is null ? null : Nested(c0));
                var (o, h, c) = Run(layer, x, h0, c0);
                CollectionAssert.AreEqual(new[] { 5, 2, 4 }, o.Shape.ToArray());
                CollectionAssert.AreEqual(new[] { 2, 2, 4 }, h.Shape.ToArray());
                string what = $"{kind} state={withState}";
                Reference.AssertClose(Flat(eo), o, 1e-10, 1e-12, what + " output");
                Reference.AssertClose(Flat(eh), h, 1e-10, 1e-12, what + " h_n");
                if (c is not null) Reference.AssertClose(Flat(ec), c, 1e-10, 1e-12, what + " c_n");
                // Forward(Tensor) is the output sequence from zero states (composes in Sequential).
                if (!withState) Reference.AssertClose(Flat(eo), layer.Forward(x), 1e-10, 1e-12, what + " Forward(Tensor)");
            }
    }

    [TestMethod]
    public void Bidirectional_MatchesReference_OutputsConcatenatedForwardThenBackward()
    {
        foreach (var kind in new[] { "lstm", "gru", "tanh" })
        {
            var layer = Layer(kind, 3, 2, layers: 2, bidirectional: true);
            var x = R(4, 3, 3);
            var h0 = R(4, 3, 2);
            var c0 = kind == "lstm" ? R(4, 3, 2) : null;
            var (eo, eh, ec) = RecurrentReference.Run(kind, layer, Nested(x), Nested(h0), c0 is null ? null : Nested(c0));
            var (o, h, c) = Run(layer, x, h0, c0);
            CollectionAssert.AreEqual(new[] { 4, 3, 4 }, o.Shape.ToArray(), kind);
            CollectionAssert.AreEqual(new[] { 4, 3, 2 }, h.Shape.ToArray(), kind);
            Reference.AssertClose(Flat(eo), o, 1e-10, 1e-12, kind + " output");
            Reference.AssertClose(Flat(eh), h, 1e-10, 1e-12, kind + " h_n");
            if (c is not null) Reference.AssertClose(Flat(ec), c, 1e-10, 1e-12, kind + " c_n");
        }
    }

    [TestMethod]
    public void BatchFirst_EqualsSequenceFirstOnTransposedInput()
    {
        foreach (var kind in new[] { "lstm", "gru", "relu" })
        {
            var seqFirst = Layer(kind, 3, 4, layers: 2, bidirectional: kind == "gru");
            var batchFirst = Layer(kind, 3, 4, layers: 2, batchFirst: true, bidirectional: kind == "gru");
            batchFirst.LoadStateDict(seqFirst.StateDict());
            var x = R(2, 6, 3);   // (N, L, F)
            var (o1, h1, c1) = Run(batchFirst, x);
            var (o2, h2, c2) = Run(seqFirst, x.Transpose(0, 1));
            CollectionAssert.AreEqual(new[] { 2, 6, kind == "gru" ? 8 : 4 }, o1.Shape.ToArray());
            Reference.AssertClose(Reference.Values(o2.Transpose(0, 1)), o1, 1e-12, 1e-14, kind + " output");
            Reference.AssertClose(Reference.Values(h2), h1, 1e-12, 1e-14, kind + " h_n (never batch-first)");
            if (c1 is not null) Reference.AssertClose(Reference.Values(c2!), c1, 1e-12, 1e-14, kind + " c_n");
        }
    }

    [TestMethod]
    public void FinalState_ContinuesTheSequence()
    {
        var lstm = new LSTM(3, 4, numLayers: 2, batchFirst: true, dtype: F64, generator: G);
        var x = R(2, 7, 3);
        var (whole, (h, c)) = lstm.Forward(x, null);
        var (first, state) = lstm.Forward(x.Narrow(1, 0, 3), null);
        var (second, (h2, c2)) = lstm.Forward(x.Narrow(1, 3, 4), state);
        Reference.AssertClose(Reference.Values(Tensor.Cat([first, second], 1)), whole, 1e-12, 1e-14, "output in two halves");
        Reference.AssertClose(Reference.Values(h), h2, 1e-12, 1e-14, "h_n");
        Reference.AssertClose(Reference.Values(c), c2, 1e-12, 1e-14, "c_n");
    }

    [TestMethod]
    public void UnbatchedInput_EqualsABatchOfOne()
    {
        foreach (bool batchFirst in new[] { false, true })
        {
            var gru = new GRU(3, 4, numLayers: 2, batchFirst: batchFirst, dtype: F64, generator: G);
            var x = R(5, 3);
            var h0 = R(2, 4);
            var (o, h) = gru.Forward(x, h0);
            var (ob, hb) = gru.Forward(x.Unsqueeze(batchFirst ? 0 : 1), h0.Unsqueeze(1));
            CollectionAssert.AreEqual(new[] { 5, 4 }, o.Shape.ToArray());
            CollectionAssert.AreEqual(new[] { 2, 4 }, h.Shape.ToArray());
            Reference.AssertClose(Reference.Values(ob), o, 1e-12, 1e-14, $"output batchFirst={batchFirst}");
            Reference.AssertClose(Reference.Values(hb), h, 1e-12, 1e-14, $"h_n batchFirst={batchFirst}");
        }
        var cell = new LSTMCell(3, 2, dtype: F64, generator: G);
        var xc = R(3);
        var (hc, cc) = cell.Forward(xc, null);
        var (hb1, cb1) = cell.Forward(xc.Unsqueeze(0), null);
        CollectionAssert.AreEqual(new[] { 2 }, hc.Shape.ToArray());
        Reference.AssertClose(Reference.Values(hb1), hc, 1e-12, 1e-14, "cell h");
        Reference.AssertClose(Reference.Values(cb1), cc, 1e-12, 1e-14, "cell c");
    }

    [TestMethod]
    public void Dropout_OnlyBetweenLayers_AndOnlyInTraining()
    {
        var x = R(6, 4, 3);
        var plain = new LSTM(3, 8, numLayers: 2, dtype: F64, generator: G);
        var dropped = new LSTM(3, 8, numLayers: 2, dropout: 0.5, dtype: F64, generator: new Generator(5));
        dropped.LoadStateDict(plain.StateDict());
        var reference = Reference.Values(plain.Forward(x));
        var train = Reference.Values(dropped.Forward(x));
        Assert.IsTrue(train.Zip(reference).Any(p => Math.Abs(p.First - p.Second) > 1e-6), "training: the second layer sees dropped inputs");
        dropped.Eval();
        Reference.AssertClose(reference, dropped.Forward(x), 1e-12, 1e-14, "eval: no dropout");

        // One layer: nothing lies between layers, so training output is the plain one (PyTorch warns and ignores it).
        var one = new GRU(3, 8, dropout: 0.5, dtype: F64, generator: G);
        one.Eval();
        var oneEval = Reference.Values(one.Forward(x));
        one.Train();
        Reference.AssertClose(oneEval, one.Forward(x), 1e-12, 1e-14, "one layer in training");

        // The first layer's output is masked before the second: zeroing a layer-0 unit is what the mask does, so with
        // p = 1 the second layer sees zeros and its output equals a run on zero input.
        var all = new RNN(3, 4, numLayers: 2, dropout: 1, dtype: F64, generator: G);
        var zeroIn = new RNN(4, 4, numLayers: 1, dtype: F64, generator: G);
        var (w1, u1, b1, c1) = all.Weights(1);
        zeroIn.LoadStateDict(new Dictionary<string, Tensor> { ["weight_ih_l0"] = w1, ["weight_hh_l0"] = u1, ["bias_ih_l0"] = b1!, ["bias_hh_l0"] = c1! });
        var expected = RecurrentReference.Run("tanh", zeroIn, Nested(Tensor.Zeros([6, 4, 4], F64)), null, null).Output;
        Reference.AssertClose(Flat(expected), all.Forward(x), 1e-12, 1e-14, "p = 1");
    }

    [TestMethod]
    public void ParameterNames_StateDictKeysAndShapes_AreTorchs()
    {
        var lstm = new LSTM(10, 20, numLayers: 2, bidirectional: true);
        string[] expected = [
            "weight_ih_l0", "weight_hh_l0", "bias_ih_l0", "bias_hh_l0",
            "weight_ih_l0_reverse", "weight_hh_l0_reverse", "bias_ih_l0_reverse", "bias_hh_l0_reverse",
            "weight_ih_l1", "weight_hh_l1", "bias_ih_l1", "bias_hh_l1",
            "weight_ih_l1_reverse", "weight_hh_l1_reverse", "bias_ih_l1_reverse", "bias_hh_l1_reverse"];
        CollectionAssert.AreEqual(expected, lstm.NamedParameters().Select(p => p.Name).ToArray());
        CollectionAssert.AreEquivalent(expected, lstm.StateDict().Keys.ToArray());
        var shapes = lstm.NamedParameters().ToDictionary(p => p.Name, p => Shapes.Format(p.Parameter.Shape));
        Assert.AreEqual("(80, 10)", shapes["weight_ih_l0"]);
        Assert.AreEqual("(80, 40)", shapes["weight_ih_l1_reverse"]);
        Assert.AreEqual("(80, 20)", shapes["weight_hh_l1"]);
        Assert.AreEqual("(80,)", shapes["bias_hh_l0_reverse"]);

        var gru = new GRU(5, 6, bias: false);
        CollectionAssert.AreEqual(new[] { "weight_ih_l0", "weight_hh_l0" }, gru.NamedParameters().Select(p => p.Name).ToArray());
        Assert.AreEqual("(18, 5)", Shapes.Format(gru.Weights(0).WeightIh.Shape));
        CollectionAssert.AreEqual(new[] { "weight_ih", "weight_hh", "bias_ih", "bias_hh" }, new LSTMCell(3, 4).NamedParameters().Select(p => p.Name).ToArray());
        Assert.AreEqual("(12, 3)", Shapes.Format(new GRUCell(3, 4).WeightIh.Shape));
        Assert.AreEqual("(4, 4)", Shapes.Format(new RNNCell(3, 4).WeightHh.Shape));

        // Every parameter is U(-1/sqrt(hidden), 1/sqrt(hidden)): inside the bound and spread over it.
        var big = new LSTM(16, 64, generator: new Generator(3));
        foreach (var (name, p) in big.NamedParameters())
        {
            var v = Reference.Values(p);
            Assert.IsTrue(v.All(e => Math.Abs(e) <= 0.125), name);
            Assert.IsTrue(v.Max() > 0.1 && v.Min() < -0.1, $"{name}: spread over the bound");
        }

        Assert.AreEqual("LSTM(10, 20, num_layers=2, bidirectional=True)", lstm.ToString());
        Assert.AreEqual("RNN(3, 4, nonlinearity=relu, bias=False, batch_first=True, dropout=0.5)",
            new RNN(3, 4, nonlinearity: "relu", bias: false, batchFirst: true, dropout: 0.5).ToString());
        Assert.AreEqual("GRUCell(3, 4, bias=False)", new GRUCell(3, 4, bias: false).ToString());
        Assert.AreEqual("RNNCell(3, 4, nonlinearity=relu)", new RNNCell(3, 4, nonlinearity: "relu").ToString());
    }

    [TestMethod]
    public void Cells_GradCheck()
    {
        var x = R(2, 3).RequiresGrad_();
        var h = R(2, 2).RequiresGrad_();
        var c = R(2, 2).RequiresGrad_();
        var rnn = new RNNCell(3, 2, dtype: F64, generator: G);
        Assert.IsTrue(Autograd.GradCheck(t => rnn.Forward(t[0], t[1]), [x, h, .. rnn.Parameters()]), "RNNCell");
        var lstm = new LSTMCell(3, 2, dtype: F64, generator: G);
        Assert.IsTrue(Autograd.GradCheck(t => lstm.Forward(t[0], (t[1], t[2])) is var (hn, cn) ? Tensor.Cat([hn, cn], 1) : null!, [x, h, c, .. lstm.Parameters()]), "LSTMCell");
        var gru = new GRUCell(3, 2, dtype: F64, generator: G);
        Assert.IsTrue(Autograd.GradCheck(t => gru.Forward(t[0], t[1]), [x, h, .. gru.Parameters()]), "GRUCell");
    }

    [TestMethod]
    public void TwoLayerLstmAndGru_GradCheck()
    {
        var x = R(3, 2, 2).RequiresGrad_();
        var h0 = R(2, 2, 2).RequiresGrad_();
        var c0 = R(2, 2, 2).RequiresGrad_();
        var lstm = new LSTM(2, 2, numLayers: 2, dtype: F64, generator: G);
        Assert.IsTrue(Autograd.GradCheck(t => lstm.Forward(t[0], (t[1], t[2])) is var (o, (h, c)) ? Tensor.Cat([o.Reshape(-1), h.Reshape(-1), c.Reshape(-1)]) : null!,
            [x, h0, c0, .. lstm.Parameters()]), "LSTM");
        var gru = new GRU(2, 2, numLayers: 2, batchFirst: true, dtype: F64, generator: G);
        Assert.IsTrue(Autograd.GradCheck(t => gru.Forward(t[0].Transpose(0, 1), t[1]) is var (o, h) ? Tensor.Cat([o.Reshape(-1), h.Reshape(-1)]) : null!,
            [x, h0, .. gru.Parameters()]), "GRU");
        var bi = new RNN(2, 2, bidirectional: true, dtype: F64, generator: G);
        Assert.IsTrue(Autograd.GradCheck(t => bi.Forward(t[0]), [x, .. bi.Parameters()]), "bidirectional RNN");
    }

    [TestMethod]
    public void BadInputs_ThrowNamingLayerShapesAndRule()
    {
        var lstm = new LSTM(8, 16, batchFirst: true);
        var x = Tensor.Randn(4, 5, 8);
        var e = Assert.ThrowsExactly<ArgumentException>(() => lstm.Forward(Tensor.Randn(4, 5, 7)));
        StringAssert.Contains(e.Message, "LSTM: input.size(-1) must be equal to input_size. Expected 8, got 7");
        e = Assert.ThrowsExactly<ArgumentException>(() => lstm.Forward(Tensor.Randn(2, 4, 5, 8)));
        StringAssert.Contains(e.Message, "LSTM: expected input to be 2D (unbatched) or 3D (batched), got 4D");
        e = Assert.ThrowsExactly<ArgumentException>(() => lstm.Forward(x, (Tensor.Zeros(1, 2, 16), Tensor.Zeros(1, 4, 16))));
        StringAssert.Contains(e.Message, "LSTM: expected hidden[0] size (1, 4, 16), got (1, 2, 16)");
        e = Assert.ThrowsExactly<ArgumentException>(() => lstm.Forward(x, (Tensor.Zeros(1, 4, 16), Tensor.Zeros(1, 4, 15))));
        StringAssert.Contains(e.Message, "LSTM: expected hidden[1] size (1, 4, 16), got (1, 4, 15)");
        e = Assert.ThrowsExactly<ArgumentException>(() => new GRU(8, 16, numLayers: 2).Forward(x, Tensor.Zeros(1, 5, 16)));
        StringAssert.Contains(e.Message, "GRU: expected hidden size (2, 5, 16), got (1, 5, 16)");
        e = Assert.ThrowsExactly<ArgumentException>(() => new RNN(8, 16).Forward(Tensor.Randn(5, 8), Tensor.Zeros(1, 1, 16)));
        StringAssert.Contains(e.Message, "RNN: expected hidden size (1, 16), got (1, 1, 16)");
        e = Assert.ThrowsExactly<ArgumentException>(() => lstm.Forward(Tensor.Randn(4, 0, 8)));
        StringAssert.Contains(e.Message, "at least one step");

        e = Assert.ThrowsExactly<ArgumentException>(() => new LSTMCell(8, 16).Forward(Tensor.Randn(4, 7), null));
        StringAssert.Contains(e.Message, "LSTMCell: input has inconsistent input_size: got 7 expected 8");
        e = Assert.ThrowsExactly<ArgumentException>(() => new GRUCell(8, 16).Forward(Tensor.Randn(4, 8), Tensor.Zeros(3, 16)));
        StringAssert.Contains(e.Message, "GRUCell: expected hidden size (4, 16), got (3, 16)");
        e = Assert.ThrowsExactly<ArgumentException>(() => new RNNCell(8, 16).Forward(Tensor.Randn(2, 4, 8)));
        StringAssert.Contains(e.Message, "RNNCell: expected input to be 1D or 2D, got 3D");

        e = Assert.ThrowsExactly<ArgumentException>(() => new RNN(8, 16, nonlinearity: "sigmoid"));
        StringAssert.Contains(e.Message, "RNN: unknown nonlinearity 'sigmoid'");
        e = Assert.ThrowsExactly<ArgumentException>(() => new LSTM(8, 16, dropout: 1.5));
        StringAssert.Contains(e.Message, "LSTM: dropout should be a number in range [0, 1]");
        e = Assert.ThrowsExactly<ArgumentException>(() => new GRU(8, 16, numLayers: 0));
        StringAssert.Contains(e.Message, "GRU: num_layers must be positive");
        e = Assert.ThrowsExactly<ArgumentException>(() => new LSTM(8, 16).ForwardMany([x, x]));
        StringAssert.Contains(e.Message, "LSTM: ForwardMany takes [input] or [input, h_0, c_0], got 2 tensors");
    }

    [TestMethod]
    public void ForwardMany_ReturnsOutputAndFinalStates()
    {
        var lstm = new LSTM(3, 4, dtype: F64, generator: G);
        var x = R(5, 2, 3);
        var (h0, c0) = (R(1, 2, 4), R(1, 2, 4));
        var many = lstm.ForwardMany([x, h0, c0]);
        var (o, (h, c)) = lstm.Forward(x, (h0, c0));
        Assert.AreEqual(3, many.Length);
        Reference.AssertClose(Reference.Values(o), many[0], 0, 0, "output");
        Reference.AssertClose(Reference.Values(h), many[1], 0, 0, "h_n");
        Reference.AssertClose(Reference.Values(c), many[2], 0, 0, "c_n");
        // The base Module's ForwardMany runs Forward(Tensor) on one input and refuses more.
        var lin = new Linear(3, 2, dtype: F64);
        Reference.AssertClose(Reference.Values(lin.Forward(x)), lin.ForwardMany([x])[0], 0, 0, "Linear");
        var e = Assert.ThrowsExactly<NotSupportedException>(() => lin.ForwardMany([x, x]));
        StringAssert.Contains(e.Message, "Linear: Forward takes one tensor, got 2");
    }
}
