using Microsoft.VisualStudio.TestTools.UnitTesting;
using Trace.Nn;

namespace Trace.Jit.Tests;

/// <summary>
/// Graph.ToDot: read back (DotReader) and compared with the IR it draws: every input, node and output once with its
/// kind and types, every data edge, one cluster per fusion group holding that group's body; and rendered by Graphviz.
/// </summary>
[TestClass]
public class DotPrinterTests
{
    private static Tensor Chain(Tensor[] v) => (v[0] * 0.5 + v[1]).Tanh() * v[0] + v[1];

    private static Sequential Mlp(ulong seed)
    {
        var g = new Generator(seed);
        return new Sequential(new Linear(12, 8, generator: g), new ReLU(), new Linear(8, 3, generator: g));
    }

    /// <summary>The graphs the tests draw: a small MLP without and with gradients, a fused chain, two groups around a matmul.</summary>
    private static IEnumerable<(string What, Graph Graph)> Graphs()
    {
        var g = new Generator(5);
        var x = Tensor.Randn([4, 12], generator: g);
        using (Autograd.NoGrad())
        {
            var t = Jit.Trace(Mlp(1), x);
            yield return ("mlp raw", t.RawGraph);
            yield return ("mlp", t.Graph);
        }
        var withGrad = Jit.Trace(Mlp(2), x);
        yield return ("mlp forward", withGrad.Differentiable!.Forward);
        yield return ("mlp backward", withGrad.Differentiable.Backward);
        yield return ("chain", Jit.Trace(Chain, [Tensor.Randn([64], generator: g), Tensor.Randn([64], generator: g)]).Graph);
        var w = Tensor.Randn([16, 4], generator: g);
        yield return ("two groups", Jit.Trace((Tensor[] v) => (((v[0] * 0.5 + v[1]).Tanh()).Matmul(w).Exp() * 2 - 1).Sigmoid(),
            [Tensor.Randn([8, 16], generator: g), Tensor.Randn([8, 16], generator: g)]).Graph);
    }

    [TestMethod]
    public void EveryInputNodeEdgeAndFusionGroupAppearsOnce()
    {
        int groupsSeen = 0;
        foreach (var (what, graph) in Graphs())
        {
            var dot = new DotReader(graph.ToDot(what));
            var expectedEdges = new List<(string, string)>();
            var source = new Dictionary<Value, string>();
            int expectedNodes = 0, cluster = 0;

            void Expect(string id, string? inCluster, params string[] labelParts)
            {
                expectedNodes++;
                Assert.IsTrue(dot.Nodes.TryGetValue(id, out var found), $"{what}: no DOT node {id}");
                Assert.AreEqual(1, found.Count, $"{what}: {id} is drawn {found.Count} times");
                Assert.AreEqual(inCluster, found[0].Cluster, $"{what}: {id} is in the wrong cluster");
                foreach (var part in labelParts) StringAssert.Contains(found[0].Label, part, $"{what}: label of {id}");
            }

            void Walk(Graph g, string prefix, string? inCluster)
            {
                for (int i = 0; i < g.Inputs.Count; i++)
                {
                    Expect($"{prefix}input_{i}", inCluster, "%" + g.Inputs[i].Name, DotPrinter.ShortType(g.Inputs[i].Type));
                    source[g.Inputs[i]] = $"{prefix}input_{i}";
                }
                var groups = g.Nodes.Where(n => n.Subgraph is not null).ToList();
                for (int k = 0; k < g.Nodes.Count; k++)
                {
                    var n = g.Nodes[k];
                    if (n.Subgraph is { } body)
                    {
                        string c = $"cluster_{cluster}", bodyPrefix = $"g{cluster++}_";
                        Assert.AreEqual($"prim::FusionGroup_{groups.IndexOf(n)}", dot.ClusterLabels.GetValueOrDefault(c), $"{what}: label of {c}");
                        for (int i = 0; i < n.Inputs.Count; i++) expectedEdges.Add((source[n.Inputs[i]], $"{bodyPrefix}input_{i}"));
                        Walk(body, bodyPrefix, c);
                        for (int j = 0; j < n.Outputs.Count; j++) source[n.Outputs[j]] = source[body.Outputs[j]];
                        continue;
                    }
                    string id = $"{prefix}node_{k}";
                    Expect(id, inCluster, [n.Kind, .. n.Outputs.Select(o => $"%{o.Name} : {DotPrinter.ShortType(o.Type)}")]);
                    Assert.IsTrue(dot.Nodes[id][0].Label.StartsWith(n.Kind, StringComparison.Ordinal), $"{what}: {id} is labelled with its kind");
                    foreach (var v in n.Inputs) expectedEdges.Add((source[v], id));
                    foreach (var o in n.Outputs) source[o] = id;
                }
            }

            Walk(graph, "", null);
            for (int j = 0; j < graph.Outputs.Count; j++)
            {
                Expect($"output_{j}", null, "return %" + graph.Outputs[j].Name);
                expectedEdges.Add((source[graph.Outputs[j]], $"output_{j}"));
            }
            Assert.AreEqual(expectedNodes, dot.Nodes.Count, $"{what}: DOT nodes {string.Join(", ", dot.Nodes.Keys)}");
            Assert.AreEqual(cluster, dot.ClusterLabels.Count, $"{what}: one cluster per fusion group");
            CollectionAssert.AreEquivalent(expectedEdges, dot.Edges, $"{what}: data edges");
            groupsSeen += cluster;
        }
        Assert.IsTrue(groupsSeen >= 3, $"the chain and the two-group function fuse ({groupsSeen} groups)");
    }

    [TestMethod]
    public void DotRendersTheGraphsAndTheirLabels()
    {
        // .ci/run installs Graphviz; without it this test fails rather than pass unchecked.
        var dotPath = DotReader.FindDot();
        Assert.IsNotNull(dotPath, "Graphviz's dot is not on PATH: apt-get install graphviz (.ci/run installs it)");
        foreach (var (what, graph) in Graphs())
        {
            string text = graph.ToDot(what);
            var (texts, titles) = DotReader.RenderSvg(dotPath, text);
            var dot = new DotReader(text);
            foreach (var (id, drawn) in dot.Nodes)
            {
                CollectionAssert.Contains(titles, id, $"{what}: the SVG has node {id}");
                foreach (var line in drawn[0].Label.Split('\n')) CollectionAssert.Contains(texts, line, $"{what}: the SVG shows '{line}' of {id}");
            }
            foreach (var label in dot.ClusterLabels.Values) CollectionAssert.Contains(texts, label, $"{what}: cluster label");
        }
    }

    [TestMethod]
    public void LabelsWithQuotesBackslashesAndAngleBracketsSurviveEscaping()
    {
        const string tricky = "say \"hi\" \\N <b>&amp; a\\\\b";
        var g = new Graph();
        var x = g.AddInput("x \"q\" <in>", JitType.Float);
        var s = g.AppendConstant(tricky);
        var t = g.AppendConstant(Tensor.Ones(2));
        var n = g.Append("aten::custom<op>", [x, s, t], JitType.Float);
        g.Outputs.Add(n.Output);
        string text = g.ToDot("name with \"quotes\"");
        Assert.IsFalse(text.Contains('<'), "'<' is written as an entity");
        var dot = new DotReader(text);
        Assert.AreEqual("%x \"q\" <in>\nfloat", dot.Nodes["input_0"][0].Label);
        Assert.AreEqual("prim::Constant[value=" + Printer.FormatAttribute(tricky) + "]\n%" + s.Name + " : str", dot.Nodes["node_0"][0].Label);
        StringAssert.Contains(dot.Nodes["node_1"][0].Label, "prim::Constant[value=<Tensor:0>]");
        foreach (var raw in new[] { "", "\\", "\"", "\\\"", "a\nb", "<x>", "\\N\\G\\L", "&amp; &lt;" })
            Assert.AreEqual(raw, DotReader.Unquote(DotPrinter.Quote(raw)), $"round trip of {raw}");

        if (DotReader.FindDot() is not { } dotPath) return;   // the reading above is checked without Graphviz too
        var (texts, _) = DotReader.RenderSvg(dotPath, text);
        foreach (var label in dot.Nodes.Values.Select(v => v[0].Label))
            foreach (var line in label.Split('\n')) CollectionAssert.Contains(texts, line, $"dot shows '{line}' as written");
    }

    [TestMethod]
    public void BadGraphsAndNamesAreRejectedByName()
    {
        Assert.ThrowsExactly<ArgumentNullException>(() => new Graph().ToDot(null!));
        Assert.ThrowsExactly<ArgumentNullException>(() => DotPrinter.Print(null!));
        var other = new Graph();
        var foreign = other.AddInput("elsewhere", JitType.Float);
        var g = new Graph();
        g.Append("aten::neg", [foreign], JitType.Float);
        var e = Assert.ThrowsExactly<InvalidOperationException>(() => g.ToDot());
        StringAssert.Contains(e.Message, "Graph.ToDot");
        StringAssert.Contains(e.Message, "%elsewhere");
    }
}
