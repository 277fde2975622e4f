using System.Xml;
using System.Xml.Linq;
using Lecture.GraphViz;
using Microsoft.VisualStudio.TestTools.UnitTesting;
using Trace.Jit;

namespace Trace.Examples.Tests;

/// <summary>The Graphviz example writes one .dot file per traced graph (and an .svg of it when dot is installed).</summary>
[TestClass]
public class GraphVizExampleTests
{
    [TestMethod]
    public void WritesADotFilePerGraphAndRendersItWithDot()
    {
        string dir = Path.Combine(Path.GetTempPath(), "trace-graphviz-" + Guid.NewGuid().ToString("N"));
        try
        {
            var log = new StringWriter();
            var result = Example.Run(dir, log);
            string[] expected = ["two-layer-net.nograd", "two-layer-net.forward", "two-layer-net.backward",
                                 "cnn.nograd", "cnn.forward", "cnn.backward", "elementwise-chain"];
            CollectionAssert.AreEqual(expected, result.Files.Select(f => f.Name).ToArray());
            CollectionAssert.AreEquivalent(expected.Select(n => n + ".dot").ToArray(),
                Directory.GetFiles(dir, "*.dot").Select(Path.GetFileName).ToArray(), "only these .dot files");
            foreach (var f in result.Files)
            {
                string text = File.ReadAllText(f.DotPath);
                Assert.AreEqual(f.Graph.ToDot(f.Name), text, $"{f.Name}: the file is the graph's DOT");
                Assert.IsTrue(text.StartsWith($"digraph \"{f.Name}\" {{", StringComparison.Ordinal), f.Name);
                int groups = f.Graph.Nodes.Count(n => n.Subgraph is not null);
                Assert.AreEqual(groups, text.Split("subgraph cluster_").Length - 1, $"{f.Name}: a cluster per fusion group");
                foreach (var n in f.Graph.Nodes.Where(n => n.Subgraph is null)) StringAssert.Contains(text, n.Kind, f.Name);
                StringAssert.Contains(log.ToString(), f.DotPath);
            }
            Assert.IsTrue(result.Files.Single(f => f.Name == "elementwise-chain").Graph.Nodes.Any(n => n.Subgraph is not null), "the chain fuses");
            Assert.IsTrue(result.Files.Single(f => f.Name == "cnn.backward").Graph.Nodes.Any(n => n.Kind.Contains("conv", StringComparison.Ordinal)),
                "the CNN's backward graph holds its convolution gradients");

            if (result.DotProgram is null)
            {
                Assert.IsTrue(result.Files.All(f => f.SvgPath is null), "no dot, no SVG");
                StringAssert.Contains(log.ToString(), "apt-get install graphviz");
                return;
            }
            foreach (var f in result.Files)
            {
                Assert.IsNotNull(f.SvgPath, f.Name);
                using var reader = XmlReader.Create(f.SvgPath, new XmlReaderSettings { DtdProcessing = DtdProcessing.Ignore });
                var svg = XDocument.Load(reader);
                XNamespace ns = "http://www.w3.org/2000/svg";
                Assert.AreEqual(ns + "svg", svg.Root!.Name, f.Name);
                var texts = svg.Descendants(ns + "text").Select(t => t.Value).ToHashSet();
                foreach (var n in f.Graph.Nodes.Where(n => n.Subgraph is null))
                    Assert.IsTrue(texts.Any(t => t.StartsWith(n.Kind, StringComparison.Ordinal)), $"{f.Name}: the SVG shows {n.Kind}");
            }
        }
        finally
        {
            if (Directory.Exists(dir)) Directory.Delete(dir, recursive: true);
        }
    }
}
