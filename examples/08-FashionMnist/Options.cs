using System.Globalization;

namespace FashionMnistExample;

/// <summary>The model to train: a multilayer perceptron or a small convolutional network.</summary>
public enum ModelKind
{
    /// <summary>784-256-128-100-10 fully connected, ReLU between layers.</summary>
    Mlp,
    /// <summary>Two 3×3 convolutions with max pooling, then two fully connected layers.</summary>
    Cnn,
}

/// <summary>How each training step runs: op by op with the autograd tape, or as one traced, compiled step.</summary>
public enum StepMode
{
    /// <summary><c>ZeroGrad(); loss.Backward(); optimizer.Step();</c> op by op.</summary>
    Eager,
    /// <summary><c>Jit.TraceStep</c>: forward, loss, backward and update compiled once and replayed.</summary>
    Traced,
}

/// <summary>What to train and how; the defaults are those of the command line.</summary>
public sealed record TrainOptions
{
    /// <summary>The network.</summary>
    public ModelKind Model { get; init; } = ModelKind.Mlp;
    /// <summary>Eager or traced training steps.</summary>
    public StepMode Mode { get; init; } = StepMode.Traced;
    /// <summary>Passes over the training examples.</summary>
    public int Epochs { get; init; } = 5;
    /// <summary>Train on the first this-many training examples only (null: all 60,000).</summary>
    public int? Limit { get; init; }
    /// <summary>Examples per training step.</summary>
    public int BatchSize { get; init; } = 64;
    /// <summary>Adam's learning rate.</summary>
    public double LearningRate { get; init; } = 1e-3;
    /// <summary>
    /// The CNN's dropout probability before its last layer (the MLP has none). A traced step draws its masks from the same
    /// generator as eager steps, but the tracing run draws one too, so eager and traced runs with dropout see different
    /// masks; with 0 they compute the same numbers.
    /// </summary>
    public double Dropout { get; init; } = 0.5;
    /// <summary>Anneals Adam's lr along a half cosine from <see cref="LearningRate"/> to 0 over the epochs (false: constant lr).</summary>
    public bool CosineSchedule { get; init; } = true;
    /// <summary>Seeds the weight initialization and the per-epoch shuffle.</summary>
    public ulong Seed { get; init; }
    /// <summary>Where to write the PNG of loss and accuracy per epoch (null: no plot).</summary>
    public string? PlotPath { get; init; }
    /// <summary>Directory of the Fashion-MNIST files (null: where the Debian package installs them).</summary>
    public string? DataRoot { get; init; }

    /// <summary>The command-line help.</summary>
    public const string Usage =
        "usage: 08-FashionMnist [--model mlp|cnn] [--mode eager|traced] [--epochs N] [--limit N] [--batch-size N] [--lr X] [--dropout P] [--schedule cosine|constant] [--seed N] [--plot path.png] [--data DIR]";

    /// <summary>Parses <c>--name value</c> pairs; unknown names or bad values throw an <see cref="ArgumentException"/> naming them.</summary>
    public static TrainOptions Parse(IReadOnlyList<string> args)
    {
        var o = new TrainOptions();
        for (int i = 0; i < args.Count; i++)
        {
            string name = args[i];
            if (i + 1 >= args.Count) throw new ArgumentException($"08-FashionMnist: option {name} needs a value. {Usage}");
            string value = args[++i];
            o = name switch
            {
                "--model" => o with { Model = ParseEnum<ModelKind>(name, value) },
                "--mode" => o with { Mode = ParseEnum<StepMode>(name, value) },
                "--epochs" => o with { Epochs = ParsePositive(name, value) },
                "--limit" => o with { Limit = ParsePositive(name, value) },
                "--batch-size" => o with { BatchSize = ParsePositive(name, value) },
                "--lr" => o with { LearningRate = double.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out var lr) && lr > 0
                    ? lr : throw new ArgumentException($"08-FashionMnist: --lr must be a positive number, got '{value}'.") },
                "--dropout" => o with { Dropout = double.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out var p) && p is >= 0 and < 1
                    ? p : throw new ArgumentException($"08-FashionMnist: --dropout must be in [0, 1), got '{value}'.") },
                "--schedule" => o with { CosineSchedule = value.ToLowerInvariant() switch
                    {
                        "cosine" => true,
                        "constant" => false,
                        _ => throw new ArgumentException($"08-FashionMnist: --schedule must be cosine or constant, got '{value}'."),
                    } },
                "--seed" => o with { Seed = ulong.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var s)
                    ? s : throw new ArgumentException($"08-FashionMnist: --seed must be a non-negative integer, got '{value}'.") },
                "--plot" => o with { PlotPath = value },
                "--data" => o with { DataRoot = value },
                _ => throw new ArgumentException($"08-FashionMnist: unknown option '{name}'. {Usage}"),
            };
        }
        return o;
    }

    private static T ParseEnum<T>(string name, string value) where T : struct, Enum =>
        Enum.TryParse<T>(value, ignoreCase: true, out var r) && Enum.IsDefined(r)
            ? r
            : throw new ArgumentException($"08-FashionMnist: {name} must be one of {string.Join('|', Enum.GetNames<T>().Select(n => n.ToLowerInvariant()))}, got '{value}'.");

    private static int ParsePositive(string name, string value) =>
        int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var n) && n > 0
            ? n
            : throw new ArgumentException($"08-FashionMnist: {name} must be a positive integer, got '{value}'.");
}
