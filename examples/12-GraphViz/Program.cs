// Draws traced graphs with Graphviz: the lecture's two-layer net and a small CNN, each traced without gradients (one
// forward graph) and with them (the forward and backward graphs), and the elementwise chain that fuses into one group.
// Writes a .dot file per graph into the folder given (default: graphs) and an .svg next to it when `dot` is installed.
var dir = args.Length > 0 ? args[0] : "graphs";
var result = Lecture.GraphViz.Example.Run(dir, Console.Out);
return result.Files.Count > 0 ? 0 : 1;
