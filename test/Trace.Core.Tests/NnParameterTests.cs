using Microsoft.VisualStudio.TestTools.UnitTesting;
using Trace.Nn;

namespace Trace.Core.Tests;

/// <summary>Parameter fields (Module.Parameter), unmarked trainable fields, ModuleDict and Module.To(DType).</summary>
[TestClass]
public sealed class NnParameterTests
{
    /// <summary>y = gain ⊙ lin(x) + shift, with gain a parameter field, shift a property parameter and a constant field.</summary>
    private sealed class Scaled : Module
    {
        private readonly Linear _lin;
        private readonly Tensor _gain;
        private readonly Tensor _offsets = Tensor.From(new float[] { 10, 20 });   // a constant: no grad, not state
        private Tensor? _lastOutput;                                                 // a cached non-leaf: not state

        public Scaled(Generator g)
        {
            _lin = new Linear(3, 2, generator: g);
            _gain = Parameter(Tensor.From(new float[] { 2, -3 }));
        }

        public Tensor Shift { get; } = Parameter(Tensor.From(new float[] { 0.5f, 0.25f }));

        public Tensor Gain => _gain;

        public Linear Lin => _lin;

        public override Tensor Forward(Tensor x) => _lastOutput = _lin.Forward(x).Mul(_gain).Add(Shift).Add(_offsets.Mul(0));
    }

    [TestMethod]
    public void ParameterFieldsAreParametersNamedAfterTheField()
    {
        var m = new Scaled(new Generator(1));
        CollectionAssert.AreEqual(new[] { "gain", "Shift", "lin.weight", "lin.bias" }, m.NamedParameters().Select(p => p.Name).ToArray(),
            "own parameter fields in declaration order (base first), then submodules, as PyTorch lists own parameters before children's");
        Assert.AreSame(m.Gain, m.NamedParameters().First().Parameter);
        Assert.IsTrue(m.Gain.IsParameter && m.Gain.RequiresGrad && m.Gain.IsLeaf);
        Assert.IsTrue(m.Lin.Weight.IsParameter, "registered parameters are parameters too");
        Assert.IsFalse(m.Gain.Detach().IsParameter, "a view of a parameter is not one");
        CollectionAssert.AreEqual(new[] { "gain", "Shift" }, m.NamedParameters(recurse: false).Select(p => p.Name).ToArray());
        CollectionAssert.AreEqual(new[] { "gain", "Shift", "lin.weight", "lin.bias" }, m.StateDict().Keys.ToArray());

        // Gradients reach the field, and ZeroGrad clears them.
        var x = Tensor.From(new float[] { 1, 2, 3, -1, 0, 1 }, [2, 3]);
        m.Forward(x).Sum().Backward();
        var lin = Reference.Values(m.Lin.Forward(x).Detach());
        CollectionAssert.AreEqual(new[] { lin[0] + lin[2], lin[1] + lin[3] }.Select(v => (double)(float)v).ToArray(), Reference.Values(m.Gain.Grad!), "d sum / d gain = column sums of lin(x)");
        CollectionAssert.AreEqual(new double[] { 2, 2 }, Reference.Values(m.Shift.Grad!));
        m.ZeroGrad();
        Assert.IsTrue(m.Parameters().All(p => p.Grad is null));
    }

    [TestMethod]
    public void LoadStateDictFillsParameterFields()
    {
        var a = new Scaled(new Generator(2));
        var b = new Scaled(new Generator(3));
        using (Autograd.NoGrad()) a.Gain.Fill_(7);
        b.LoadStateDict(a.StateDict());
        CollectionAssert.AreEqual(new double[] { 7, 7 }, Reference.Values(b.Gain));
        CollectionAssert.AreEqual(Reference.Values(a.Lin.Weight), Reference.Values(b.Lin.Weight));
        var missing = a.StateDict();
        missing.Remove("gain");
        var ex = Assert.ThrowsExactly<ArgumentException>(() => b.LoadStateDict(missing));
        Assert.Contains("Missing key(s) in state_dict: \"gain\"", ex.Message);
    }

    [TestMethod]
    public void AReassignedParameterFieldIsSeenByTheNextWalk()
    {
        var m = new Holder();
        var first = m.P;
        Assert.AreSame(first, m.Parameters().Single());
        m.P = Module.Parameter(Tensor.Zeros(4));
        Assert.AreSame(m.P, m.Parameters().Single());
        Assert.AreNotSame(first, m.P);
        m.P = null;
        Assert.AreEqual(0, m.Parameters().Count(), "a null field is an absent parameter");
    }

    private sealed class Holder : Module
    {
        public Tensor? P { get; set; } = Parameter(Tensor.Ones(3));
    }

    private sealed class Forgetful : Module
    {
        private readonly Tensor _weight = Tensor.Ones(2, 2).RequiresGrad_();   // the bug: neither registered nor marked
        public override Tensor Forward(Tensor x) => x.Matmul(_weight);
    }

    [TestMethod]
    public void AnUnmarkedTrainableFieldIsAnErrorNotSilentlyDropped()
    {
        var m = new Sequential(new Forgetful());
        foreach (var call in new Action[] { () => m.Parameters().ToList(), () => m.StateDict(), () => m.ZeroGrad(), () => m.To(Device.Cpu) })
        {
            var ex = Assert.ThrowsExactly<InvalidOperationException>(call);
            Assert.Contains("Forgetful: field '_weight'", ex.Message);
            Assert.Contains("requires grad but is not a parameter", ex.Message);
            Assert.Contains("_weight = Parameter(tensor)", ex.Message);
            Assert.Contains("RegisterParameter(\"weight\", tensor)", ex.Message);
        }
        Assert.AreEqual("Sequential(\n  (0): Forgetful()\n)", m.ToString(), "walking modules alone does not throw");
    }

    private sealed class Tied : Module
    {
        public readonly Linear Encoder;
        private readonly Tensor _alias;   // a convenience reference to the encoder's registered weight

        public Tied(Generator g)
        {
            Encoder = new Linear(3, 3, generator: g);
            _alias = Encoder.Weight;
        }

        public override Tensor Forward(Tensor x) => x.Matmul(_alias);
    }

    private sealed class Clash : Module
    {
        private readonly Tensor _weight = Parameter(Tensor.Ones(2));
        public Clash() => RegisterParameter("weight", Tensor.Zeros(2));
        public Tensor Unused => _weight;
    }

    [TestMethod]
    public void AliasesOfRegisteredParametersAndNameClashes()
    {
        var tied = new Tied(new Generator(4));
        CollectionAssert.AreEqual(new[] { "Encoder.weight", "Encoder.bias" }, tied.NamedParameters().Select(p => p.Name).ToArray(),
            "a field holding another module's registered parameter is an alias, not a second parameter");
        var ex = Assert.ThrowsExactly<InvalidOperationException>(() => new Clash().Parameters().ToList());
        Assert.Contains("parameter field '_weight' would be named 'weight'", ex.Message);
        Assert.Contains("already has a parameter named 'weight'", ex.Message);
        Assert.Contains("integer", Assert.ThrowsExactly<ArgumentException>(() => Module.Parameter(Tensor.From(new long[] { 1 }))).Message);
        var frozen = Module.Parameter(Tensor.From(new long[] { 1, 2 }), requiresGrad: false);
        Assert.IsTrue(frozen.IsParameter && !frozen.RequiresGrad);
        var computed = Tensor.Ones(2).RequiresGrad_().Mul(3);
        var p = Module.Parameter(computed);
        Assert.IsTrue(p.IsLeaf && p.RequiresGrad && !ReferenceEquals(p, computed), "a non-leaf is detached (sharing storage) into a leaf");
        CollectionAssert.AreEqual(new double[] { 3, 3 }, Reference.Values(p));
    }

    [TestMethod]
    public void ModuleDictKeepsOrderAndNamesChildrenByKey()
    {
        var g = new Generator(5);
        var cls = new Linear(4, 3, generator: g);
        var heads = new ModuleDict { ["cls"] = cls, ["box"] = new Linear(4, 2, bias: false, generator: g) };
        heads.Add("act", new ReLU());
        CollectionAssert.AreEqual(new[] { "cls", "box", "act" }, heads.Keys.ToArray());
        Assert.AreEqual(3, heads.Count);
        Assert.AreSame(cls, heads["cls"]);
        Assert.IsTrue(heads.ContainsKey("box") && !heads.ContainsKey("nope"));
        CollectionAssert.AreEqual(new[] { "cls.weight", "cls.bias", "box.weight" }, heads.NamedParameters().Select(p => p.Name).ToArray());
        CollectionAssert.AreEqual(heads.Values.ToArray(), heads.Select(e => e.Module).ToArray());
        CollectionAssert.AreEqual(heads.Keys.ToArray(), heads.Select(e => e.Key).ToArray());

        var replacement = new Linear(4, 3, bias: false, generator: g);
        heads["cls"] = replacement;   // replaced in place: keeps its position
        CollectionAssert.AreEqual(new[] { "cls", "box", "act" }, heads.Keys.ToArray());
        CollectionAssert.AreEqual(new[] { "cls.weight", "box.weight" }, heads.NamedParameters().Select(p => p.Name).ToArray());
        Assert.AreSame(replacement, heads.Children().First());

        var model = new Sequential(heads);
        Assert.AreEqual("0.box.weight", model.NamedParameters().Last().Name);
        Assert.AreEqual("ModuleDict(\n  (cls): Linear(in_features=4, out_features=3, bias=False)\n  (box): Linear(in_features=4, out_features=2, bias=False)\n  (act): ReLU()\n)", heads.ToString());

        Assert.Contains("already present", Assert.ThrowsExactly<ArgumentException>(() => heads.Add("box", new ReLU())).Message);
        Assert.Contains("invalid attribute name 'a.b'", Assert.ThrowsExactly<ArgumentException>(() => heads["a.b"] = new ReLU()).Message);
        Assert.ThrowsExactly<ArgumentException>(() => heads.Add("", new ReLU()));
        Assert.AreEqual(3, heads.Count, "rejected keys add nothing");
        var nf = Assert.ThrowsExactly<KeyNotFoundException>(() => heads["nope"]);
        Assert.Contains("'cls', 'box', 'act'", nf.Message);
        var fromPairs = new ModuleDict([("a", new ReLU()), ("b", new Tanh())]);
        CollectionAssert.AreEqual(new[] { "a", "b" }, fromPairs.NamedChildren().Select(c => c.Name).ToArray());
    }

    private sealed class WithBuffers : Module
    {
        public WithBuffers(Generator g)
        {
            Lin = new Linear(3, 2, generator: g);
            Mean = RegisterBuffer("running_mean", Tensor.From(new float[] { 0.1f, 0.2f }));
            Steps = RegisterBuffer("num_batches_tracked", Tensor.From(new long[] { 7 }));
        }

        public Linear Lin { get; }
        public Tensor Mean { get; }
        public Tensor Steps { get; }
        public Tensor Scale { get; } = Parameter(Tensor.From(new float[] { 1.5f }));
        public override Tensor Forward(Tensor x) => Lin.Forward(x).Sub(Mean).Mul(Scale);
    }

    [TestMethod]
    public void ToDTypeConvertsFloatingStateInPlaceAndKeepsIntegerBuffers()
    {
        var m = new WithBuffers(new Generator(6));
        var x = Tensor.From(new float[] { 1, -2, 0.5f }, [1, 3]);
        var before = Reference.Values(m.Forward(x));
        var weight = m.Lin.Weight;
        var weightValues = Reference.Values(weight);
        m.Forward(x).Sum().Backward();
        var grad = Reference.Values(weight.Grad!);
        var sgd = new Optim.SGD(m.Parameters(), lr: 0.1);

        Assert.AreSame(m, m.Double());
        Assert.AreSame(weight, m.Lin.Weight, "the parameter object is kept, so the optimizer still holds it");
        Assert.IsTrue(m.Parameters().All(p => p.DType == DType.Float64 && p.RequiresGrad && p.IsLeaf && p.IsParameter));
        Assert.AreEqual(DType.Float64, weight.Grad!.DType, "gradients are converted too");
        CollectionAssert.AreEqual(weightValues, Reference.Values(weight), "float32 → float64 is exact");
        CollectionAssert.AreEqual(grad, Reference.Values(weight.Grad));
        Assert.AreEqual(DType.Float64, m.Mean.DType);
        Assert.AreEqual(DType.Int64, m.Steps.DType, "integer buffers keep their dtype");
        Assert.AreEqual(7L, m.Steps.Item<long>());
        var y = m.Forward(x.To(DType.Float64));
        Assert.AreEqual(DType.Float64, y.DType);
        Reference.AssertClose(before, y, 1e-6);

        sgd.Step();   // the optimizer updates the converted tensors
        Reference.AssertClose(weightValues.Zip(grad, (w, gr) => w - 0.1 * gr).ToArray(), weight, 1e-12, 1e-12);

        m.Float();
        Assert.IsTrue(m.StateDict().Where(e => e.Key != "num_batches_tracked").All(e => e.Value.DType == DType.Float32));
        Assert.Contains("floating point", Assert.ThrowsExactly<ArgumentException>(() => m.To(DType.Int64)).Message);
    }
}
