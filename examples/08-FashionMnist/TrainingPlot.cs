using ScottPlot;

namespace FashionMnistExample;

/// <summary>Draws training loss (left axis) and test accuracy (right axis) per epoch into a PNG.</summary>
public static class TrainingPlot
{
    /// <summary>Writes the plot of <paramref name="result"/> to <paramref name="path"/> (creating its directory).</summary>
    public static void Save(TrainResult result, string path, int width = 800, int height = 500)
    {
        ArgumentNullException.ThrowIfNull(result);
        ArgumentException.ThrowIfNullOrEmpty(path);
        var epochs = result.Epochs.Select(e => (double)e.Epoch).ToArray();
        var plot = new Plot();
        var loss = plot.Add.Scatter(epochs, result.Epochs.Select(e => e.TrainLoss).ToArray());
        loss.LegendText = "training loss";
        loss.LineWidth = 2;
        loss.MarkerSize = 7;
        var accuracy = plot.Add.Scatter(epochs, result.Epochs.Select(e => e.TestAccuracy).ToArray());
        accuracy.LegendText = "test accuracy";
        accuracy.LineWidth = 2;
        accuracy.MarkerSize = 7;
        accuracy.Axes.YAxis = plot.Axes.Right;
        var o = result.Options;
        plot.Title($"Fashion-MNIST {o.Model.ToString().ToUpperInvariant()} ({o.Mode.ToString().ToLowerInvariant()}), final test accuracy {result.TestAccuracy:P2}");
        plot.Axes.Bottom.Label.Text = "epoch";
        plot.Axes.Bottom.TickGenerator = new ScottPlot.TickGenerators.NumericAutomatic { IntegerTicksOnly = true };
        plot.Axes.Left.Label.Text = "training loss";
        plot.Axes.Right.Label.Text = "test accuracy";
        plot.ShowLegend(Alignment.MiddleRight);
        string? dir = Path.GetDirectoryName(Path.GetFullPath(path));
        if (dir is not null) Directory.CreateDirectory(dir);
        plot.SavePng(path, width, height);
    }
}
