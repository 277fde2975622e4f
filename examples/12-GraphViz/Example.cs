// The graphs Jit.Trace builds, drawn with Graphviz (Graph.ToDot): inputs and parameters as ellipses, ops as boxes
// labelled with their kind and output types, fusion groups as clusters holding the ops that run in one compiled loop.
using System.Diagnostics;
using Trace;
using Trace.Jit;
using Trace.Nn;

namespace Lecture.GraphViz;

/// <summary>One drawn graph: its name, the IR, the .dot file and the .svg rendered from it (null without Graphviz).</summary>
public sealed record DrawnGraph(string Name, Graph Graph, string DotPath, string? SvgPath);

/// <summary>The results of <see cref="Example.Run"/>: the graphs drawn and where Graphviz's <c>dot</c> was found.</summary>
public sealed record Result(List<DrawnGraph> Files, string? DotProgram);

public static class Example
{
    /// <summary>The lecture's two-layer net: 1000 -> 100 -> ReLU -> 10.</summary>
    public static Sequential TwoLayerNet(Generator g) =>
        new(new Linear(1000, 100, generator: g), new ReLU(), new Linear(100, 10, generator: g));

    /// <summary>A small CNN on 1x28x28 images: Conv2d(1, 8, 3) -> ReLU -> MaxPool2d(2) -> Flatten -> Linear(8*13*13, 10).</summary>
    public static Sequential Cnn(Generator g) =>
        new(new Conv2d(1, 8, 3, generator: g), new ReLU(), new MaxPool2d(2), new Flatten(), new Linear(8 * 13 * 13, 10, generator: g));

    /// <summary>The graphs to draw, by file name: each model traced without and with gradients, and the fused chain.</summary>
    public static List<(string Name, Graph Graph)> Graphs()
    {
        var g = new Generator(0);
        var graphs = new List<(string, Graph)>();
        foreach (var (name, model, x) in new[]
        {
            ("two-layer-net", (Module)TwoLayerNet(g), Tensor.Randn([64, 1000], generator: g)),
            ("cnn", Cnn(g), Tensor.Randn([16, 1, 28, 28], generator: g)),
        })
        {
            using (Autograd.NoGrad())
                graphs.Add(($"{name}.nograd", Jit.Trace(model, x).Graph));
            var traced = Jit.Trace(model, x);   // gradients on: the call records its backward too
            graphs.Add(($"{name}.forward", traced.Differentiable!.Forward));
            graphs.Add(($"{name}.backward", traced.Differentiable.Backward));
        }
        var a = Tensor.Randn([1 << 16], generator: g);
        var b = Tensor.Randn([1 << 16], generator: g);
        graphs.Add(("elementwise-chain", Jit.Trace((Tensor[] v) => (v[0] * 0.5 + v[1]).Tanh() * v[0] + v[1], [a, b]).Graph));
        return graphs;
    }

    /// <summary>Writes <c>name.dot</c> for each of <see cref="Graphs"/> into <paramref name="dir"/> and renders <c>name.svg</c> when <c>dot</c> is on PATH.</summary>
    public static Result Run(string dir, TextWriter? log = null)
    {
        Directory.CreateDirectory(dir);
        string? dot = FindDot();
        if (dot is null)
            log?.WriteLine("Graphviz's dot is not on PATH, so only .dot files are written: install it (apt-get install graphviz) " +
                           "and render one with: dot -Tsvg graph.dot -o graph.svg");
        var files = new List<DrawnGraph>();
        foreach (var (name, graph) in Graphs())
        {
            string dotPath = Path.Combine(dir, name + ".dot");
            File.WriteAllText(dotPath, graph.ToDot(name));
            string? svgPath = dot is null ? null : Render(dot, dotPath, Path.Combine(dir, name + ".svg"));
            int groups = graph.Nodes.Count(n => n.Subgraph is not null);
            log?.WriteLine($"{name,-24} {graph.Nodes.Count,3} nodes, {groups} fusion group(s) -> {dotPath}{(svgPath is null ? "" : ", " + svgPath)}");
            files.Add(new DrawnGraph(name, graph, dotPath, svgPath));
        }
        return new Result(files, dot);
    }

    /// <summary>The full path of Graphviz's <c>dot</c> on PATH, or null.</summary>
    public static string? FindDot() =>
        (Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries)
            .Select(d => Path.Combine(d, "dot")).FirstOrDefault(File.Exists);

    private static string Render(string dot, string dotPath, string svgPath)
    {
        var psi = new ProcessStartInfo(dot) { RedirectStandardError = true };
        foreach (var arg in new[] { "-Tsvg", dotPath, "-o", svgPath }) psi.ArgumentList.Add(arg);
        using var p = Process.Start(psi) ?? throw new InvalidOperationException($"12-GraphViz: cannot start {dot}");
        string err = p.StandardError.ReadToEnd();
        p.WaitForExit();
        if (p.ExitCode != 0) throw new InvalidOperationException($"12-GraphViz: dot -Tsvg {dotPath} failed ({p.ExitCode}): {err}");
        return svgPath;
    }
}
