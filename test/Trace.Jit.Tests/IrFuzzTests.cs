using System.Reflection;
using Microsoft.VisualStudio.TestTools.UnitTesting;
using Trace.Nn;

namespace Trace.Jit.Tests;

/// <summary>
/// Fuzzes the IR text with <see cref="IrMutator"/> edits of graphs printed from real traces (the ParallelBlock,
/// a two-layer MLP with its compiled backward, every interpreter op case, raw and optimized). Every input must
/// either parse and print back to a fixed point, or raise exactly <see cref="IrParseException"/>; every graph
/// that parses and lints must run in the interpreter on inputs built from its declared input types, or raise a
/// clear error thrown by Trace itself (never IndexOutOfRange, NullReference, InvalidCast, Overflow, KeyNotFound
/// or a framework ArgumentOutOfRange from inside). <c>TRACE_IR_FUZZ_LOG=1</c> prints each clear run error.
/// </summary>
[TestClass]
public sealed class IrFuzzTests
{
    private enum Outcome { ParseError, LintError, RunError, Ran, TooLarge }

    private sealed record Seed(string Text, IReadOnlyList<Tensor> Constants);

    private static readonly Lazy<List<Seed>> Corpus = new(BuildCorpus);

    private static List<Seed> BuildCorpus()
    {
        var graphs = new List<Graph>();
        void Add(TracedModule t)
        {
            graphs.Add(t.RawGraph);
            graphs.Add(t.Graph);
            if (t.Differentiable is { } d) graphs.Add(d.Backward);
        }
        var g = new Generator(17);
        Add(Jit.Trace(new ParallelBlock(8, 6, g), Tensor.Randn([4, 8], generator: g)));
        Add(Jit.Trace(new Sequential(new Linear(10, 8, generator: g), new ReLU(), new Linear(8, 3, generator: g)), Tensor.Randn([4, 10], generator: g)));
        using (Autograd.NoGrad()) Add(Jit.Trace(new ParallelBlock(8, 6, g), Tensor.Randn([4, 8], generator: g)));
        foreach (var (f, inputs) in InterpreterOpTests.Cases.Values) Add(Jit.Trace(f, inputs(g)));
        Add(Jit.Trace((Tensor x) => x.Sum().Item<float>() > 0 ? (x * 2.0).Relu() : x - 1.0, Tensor.Ones(2, 3)));   // a value guard
        var seen = new HashSet<string>();
        return graphs.Where(x => seen.Add(x.ToString())).Select(x => new Seed(x.ToString(), x.TensorConstants)).ToList();
    }

    [TestMethod]
    public void TheUnmutatedCorpusParsesLintsAndRuns()
    {
        Assert.IsTrue(Corpus.Value.Count >= 30, $"{Corpus.Value.Count} graphs");
        Assert.IsTrue(Corpus.Value.Any(s => s.Text.Contains("\nwith prim::FusionGroup_0 = graph(", StringComparison.Ordinal)), "the corpus holds fusion groups");
        Assert.IsTrue(Corpus.Value.Any(s => s.Text.Contains("prim::ValueGuard", StringComparison.Ordinal)), "the corpus holds value guards");
        foreach (var seed in Corpus.Value)
        {
            // Random inputs fail a value guard (the traced sum differs): that is the clear error guards exist for.
            var expected = seed.Text.Contains("prim::ValueGuard", StringComparison.Ordinal) ? Outcome.RunError : Outcome.Ran;
            Assert.AreEqual(expected, Check(seed.Text, seed.Constants, withGrad: false, "unmutated"), seed.Text);
        }
    }

    [TestMethod]
    public void MutatedGraphsParseOrFailClearly() => Fuzz(cases: 600, seed: 1);

    [TestMethod]
    [TestCategory("Slow")]
    public void ManyMutatedGraphsParseOrFailClearly() => Fuzz(cases: 10_000, seed: 1_000_003);

    private static void Fuzz(int cases, int seed)
    {
        var corpus = Corpus.Value;
        var lines = corpus.SelectMany(s => s.Text.Split('\n')).Distinct().ToList();
        var counts = new Dictionary<Outcome, int>();
        for (int i = 0; i < cases; i++)
        {
            var rng = new Random(seed + i);
            var original = corpus[rng.Next(corpus.Count)];
            var text = IrMutator.Mutate(original.Text, rng, lines, out var what);
            var outcome = Check(text, original.Constants, withGrad: i % 3 == 0, $"case {seed + i} ({what})");
            counts[outcome] = counts.GetValueOrDefault(outcome) + 1;
        }
        var summary = string.Join(", ", counts.Select(kv => $"{kv.Key} {kv.Value}"));
        Console.WriteLine($"{cases} mutated graphs: {summary}");
        // The fuzz must reach every stage: mutations that break the syntax, ones the verifier rejects, and runs.
        Assert.IsTrue(counts.GetValueOrDefault(Outcome.ParseError) > cases / 5, summary);
        Assert.IsTrue(counts.GetValueOrDefault(Outcome.LintError) > cases / 50, summary);
        Assert.IsTrue(counts.GetValueOrDefault(Outcome.Ran) + counts.GetValueOrDefault(Outcome.RunError) > cases / 10, summary);
        Assert.IsTrue(counts.GetValueOrDefault(Outcome.RunError) > 0, summary);
    }

    private static Outcome Check(string text, IReadOnlyList<Tensor> constants, bool withGrad, string label)
    {
        string Context() => $"{label}\n--- text ---\n{(text.Length > 4000 ? text[..4000] + "…" : text)}";
        Graph g;
        try
        {
            g = Parser.Parse(text, constants);
        }
        catch (IrParseException e)
        {
            StringAssert.StartsWith(e.Message, $"IR parse error at {e.Line}:{e.Column}: ", Context());
            Assert.IsTrue(e.Line >= 1 && e.Line <= text.Count(c => c == '\n') + 1 && e.Column >= 1, $"position {e.Line}:{e.Column} outside the text\n{Context()}");
            return Outcome.ParseError;
        }
        catch (Exception e)
        {
            Assert.Fail($"Parse raised {e.GetType().Name}, not IrParseException: {e}\n{Context()}");
            throw;
        }
        string printed = g.ToString();
        Assert.AreEqual(printed, Parser.Parse(printed, constants).ToString(), $"the printed graph does not round-trip\n{Context()}");
        try
        {
            GraphVerifier.Lint(g);
        }
        catch (InvalidOperationException e) when (e.Message.StartsWith("IR lint: ", StringComparison.Ordinal))
        {
            return Outcome.LintError;
        }
        if (!SmallEnough(g)) return Outcome.TooLarge;
        var inputs = Inputs(g, withGrad);
        try
        {
            using var _ = withGrad ? null : Autograd.NoGrad();
            var outputs = CpuBackend.Instance.Compile(g).Run(inputs);   // the compiled backend: mutated fusion bodies reach the code generator
            Assert.AreEqual(g.Outputs.Count, outputs.Length, Context());
            return Outcome.Ran;
        }
        catch (Exception e) when (IsClear(e))
        {
            if (Environment.GetEnvironmentVariable("TRACE_IR_FUZZ_LOG") == "1") Console.WriteLine($"{label}: {e.GetType().Name}: {e.Message[..Math.Min(200, e.Message.Length)]}");
            return Outcome.RunError;
        }
        catch (Exception e)
        {
            Assert.Fail($"a graph that lints failed with {e.GetType().Name} from inside: {e}\n--- graph ---\n{printed}\n{Context()}");
            throw;
        }
    }

    /// <summary>An error Trace raised on purpose: of an expected type, thrown by Trace code (not the runtime's helpers).</summary>
    internal static bool IsClear(Exception e)
    {
        while (e is AggregateException { InnerExceptions.Count: 1 } or TargetInvocationException && e.InnerException is not null) e = e.InnerException!;
        bool expectedType = e is ArgumentException or InvalidOperationException or NotSupportedException or GuardFailedException;
        bool thrownByTrace = e.TargetSite?.DeclaringType?.Namespace?.StartsWith("Trace", StringComparison.Ordinal) == true;
        return expectedType && thrownByTrace && !string.IsNullOrWhiteSpace(e.Message);
    }

    /// <summary>Random tensors of each input's declared type (small ints, so that index ops can succeed).</summary>
    private static Tensor[] Inputs(Graph g, bool withGrad)
    {
        var gen = new Generator(3);
        return g.Inputs.Select(v =>
        {
            if (v.Type is not TensorType t) return Tensor.Randn([3], generator: gen);
            var x = t.DType switch
            {
                DType.Float32 or DType.Float64 => Tensor.Randn(t.Shape, t.DType, gen),
                DType.Bool => Tensor.Randn(t.Shape, generator: gen).Gt(0.0),
                _ => Tensor.Randint(0, 2, t.Shape, generator: gen).To(t.DType),
            };
            return withGrad && x.IsFloatingPoint ? x.RequiresGrad_() : x;
        }).ToArray();
    }

    /// <summary>Every declared tensor at most 16K elements and every int constant (list) small, so that runs stay fast.</summary>
    internal static bool SmallEnough(Graph g)
    {
        foreach (var graph in g.Nodes.Where(n => n.Subgraph is not null).Select(n => n.Subgraph!).Append(g))
        {
            var values = graph.Inputs.Concat(graph.Nodes.SelectMany(n => n.Outputs));
            if (values.Any(v => v.Type is TensorType t && t.Shape.Aggregate(1L, (a, d) => a * d) > 16_384)) return false;
            foreach (var n in graph.Nodes)
            {
                var ints = n.Attribute is long[] list ? list
                    : n.Kind == "prim::ListConstruct" ? n.Inputs.Select(v => v.Node?.Attribute as long? ?? 0).ToArray()
                    : n.Attribute is long l ? [l] : [];
                if (ints.Any(x => x is > 4096 or < -4096) || ints.Aggregate(1L, (a, x) => a * Math.Max(1, Math.Abs(x))) > 16_384) return false;
            }
        }
        return true;
    }
}
