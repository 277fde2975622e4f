// Fashion-MNIST: an MLP or a small CNN trained with Adam, eagerly or as one traced step (Jit.TraceStep),
// evaluated on the 10,000 test images after each epoch; progress bar on a terminal, plain lines otherwise.
using FashionMnistExample;
using Spectre.Console;

TrainOptions options;
try
{
    options = TrainOptions.Parse(args);
}
catch (ArgumentException e)
{
    Console.Error.WriteLine(e.Message);
    return 2;
}

Console.WriteLine($"Fashion-MNIST: {options.Model.ToString().ToLowerInvariant()}, {options.Mode.ToString().ToLowerInvariant()} steps, "
    + $"{options.Epochs} epoch(s), batch {options.BatchSize}, Adam lr {options.LearningRate}, "
    + $"{(options.Limit is int n ? $"{n} training examples" : "all 60,000 training examples")}");
bool interactive = !Console.IsOutputRedirected && AnsiConsole.Profile.Capabilities.Interactive;
var result = interactive
    ? ProgressReporter.Show(reporter => Example.Run(options, reporter))
    : Example.Run(options, new LineReporter(Console.Out));
Console.WriteLine(FormattableString.Invariant(
    $"final test accuracy {result.TestAccuracy:P2} ({result.TestAccuracy:F4}), {result.SamplesPerSecond:F0} training samples/s, {result.Epochs.Average(e => e.Seconds):F1} s per epoch"));
if (options.PlotPath is { } plot) Console.WriteLine($"plot written to {plot}");
return 0;
