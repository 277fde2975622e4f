using System.Globalization;
using Spectre.Console;

namespace FashionMnistExample;

/// <summary>Plain log lines: every <c>every</c> steps and after each epoch (for redirected output and logs).</summary>
public sealed class LineReporter(TextWriter output, int every = 200) : ITrainingReporter
{
    private int _epochs, _batches;

    /// <inheritdoc/>
    public void EpochStarted(int epoch, int epochs, int batches) => (_epochs, _batches) = (epochs, batches);

    /// <inheritdoc/>
    public void BatchDone(int epoch, int batch, double loss, double samplesPerSecond)
    {
        if ((batch + 1) % every == 0 || batch + 1 == _batches)
            output.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"epoch {epoch + 1}/{_epochs}  batch {batch + 1,4}/{_batches}  loss {loss:F4}  {samplesPerSecond,7:F0} samples/s"));
    }

    /// <inheritdoc/>
    public void EpochDone(EpochResult r) => output.WriteLine(Format(r, _epochs));

    /// <summary>One line summing up an epoch.</summary>
    public static string Format(EpochResult r, int epochs) => string.Create(CultureInfo.InvariantCulture,
        $"epoch {r.Epoch}/{epochs}  train loss {r.TrainLoss:F4}  test accuracy {r.TestAccuracy:P2}  {r.Seconds:F1} s  {r.SamplesPerSecond:F0} samples/s");
}

/// <summary>A Spectre.Console progress bar per epoch, its description showing loss and speed.</summary>
public sealed class ProgressReporter(ProgressContext context) : ITrainingReporter
{
    private ProgressTask? _task;
    private int _epochs, _batches;

    /// <inheritdoc/>
    public void EpochStarted(int epoch, int epochs, int batches)
    {
        (_epochs, _batches) = (epochs, batches);
        _task = context.AddTask(Describe(epoch, 0, double.NaN, 0), maxValue: batches);
    }

    /// <inheritdoc/>
    public void BatchDone(int epoch, int batch, double loss, double samplesPerSecond)
    {
        if (_task is null) return;
        _task.Value = batch + 1;
        _task.Description = Describe(epoch, batch + 1, loss, samplesPerSecond);
    }

    /// <inheritdoc/>
    public void EpochDone(EpochResult r)
    {
        if (_task is null) return;
        _task.Description = Markup.Escape(string.Create(CultureInfo.InvariantCulture,
            $"epoch {r.Epoch}/{_epochs}  train loss {r.TrainLoss:F4}  test accuracy {r.TestAccuracy:P2}  {r.SamplesPerSecond:F0}/s"));
        _task.StopTask();
    }

    private string Describe(int epoch, int batches, double loss, double samplesPerSecond) => Markup.Escape(string.Create(CultureInfo.InvariantCulture,
        $"epoch {epoch + 1}/{_epochs}  batch {batches.ToString(CultureInfo.InvariantCulture).PadLeft(_batches.ToString(CultureInfo.InvariantCulture).Length)}/{_batches}  loss {(double.IsNaN(loss) ? "  -   " : loss.ToString("F4", CultureInfo.InvariantCulture))}  {samplesPerSecond,6:F0}/s"));

    /// <summary>Runs <paramref name="train"/> under a progress display with bar, percentage, elapsed and remaining time.</summary>
    public static T Show<T>(Func<ITrainingReporter, T> train) =>
        AnsiConsole.Progress()
            .AutoClear(false)
            .HideCompleted(false)
            .Columns(new TaskDescriptionColumn { Alignment = Justify.Left }, new ProgressBarColumn(), new PercentageColumn(),
                new ElapsedTimeColumn(), new RemainingTimeColumn(), new SpinnerColumn())
            .Start(ctx => train(new ProgressReporter(ctx)));
}
