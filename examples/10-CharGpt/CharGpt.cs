// A tiny character-level GPT: token embedding + learned positions, two pre-norm transformer blocks
// (TransformerEncoderLayer with a causal mask), a final LayerNorm and a linear head, trained with AdamW on a
// text every Debian system has (/usr/share/common-licenses/GPL-3, the GNU GPL version 3), with a 90/10
// train/validation split; then it samples text with a temperature through Tensor.Multinomial. The training
// step is one traced graph (Jit.TraceStep): forward, loss, backward and the AdamW update.
using System.Diagnostics;
using System.Globalization;
using System.Text;
using Trace;
using Trace.Jit;
using Trace.Nn;
using Trace.Optim;

namespace Lecture.CharGpt;

/// <summary>The model: (B, T) int64 character ids → (B, T, vocab) next-character logits.</summary>
public sealed class CharGptModel : Module
{
    public CharGptModel(int vocab, int blockSize, int dModel, int heads, int layers, Generator g)
    {
        BlockSize = blockSize;
        Tokens = RegisterModule("tok_emb", new Embedding(vocab, dModel, generator: g));
        Positions = RegisterModule("pos_emb", new LearnedPositionalEncoding(blockSize, dModel, batchFirst: true, generator: g));
        // GPT-2's small initialization of the tables (N(0, 0.02)) instead of Embedding's N(0, 1).
        Init.Normal_(Tokens.Weight, 0, 0.02, g);
        Init.Normal_(Positions.Embedding.Weight, 0, 0.02, g);
        Blocks = RegisterModule("blocks", new TransformerEncoder(
            _ => new TransformerEncoderLayer(dModel, heads, 4 * dModel, dropout: 0.0, activation: "gelu", batchFirst: true, normFirst: true, generator: g), layers));
        FinalNorm = RegisterModule("ln_f", new LayerNorm(dModel));
        Head = RegisterModule("head", new Linear(dModel, vocab, generator: g));
        // A buffer, so that Module.To moves it with the parameters; a float mask: 0 allowed, −∞ above the diagonal.
        Mask = RegisterBuffer("causal_mask", TransformerEncoder.GenerateSquareSubsequentMask(blockSize));
    }

    public int BlockSize { get; }
    public Embedding Tokens { get; }
    public LearnedPositionalEncoding Positions { get; }
    public TransformerEncoder Blocks { get; }
    public LayerNorm FinalNorm { get; }
    public Linear Head { get; }
    public Tensor Mask { get; }

    public override Tensor Forward(Tensor ids)
    {
        int t = ids.Size(1);
        var x = Positions.Forward(Tokens.Forward(ids));
        var mask = t == BlockSize ? Mask : Mask.Narrow(0, 0, t).Narrow(1, 0, t);
        return Head.Forward(FinalNorm.Forward(Blocks.Forward(x, mask, isCausal: true)));
    }
}

/// <summary>What a run reports: the corpus, losses before and after training, the unigram baseline and a sample.</summary>
public sealed record CharGptResult(string CorpusPath, int VocabSize, double InitialValLoss, double FinalValLoss, double UnigramValLoss,
    IReadOnlyList<double> TrainLosses, string Sample, bool Traced, double Seconds);

public static class Example
{
    /// <summary>The corpus: a text every Debian system ships.</summary>
    public const string DefaultCorpus = "/usr/share/common-licenses/GPL-3";

    /// <summary>
    /// Trains for <paramref name="steps"/> AdamW steps on batches of <paramref name="batchSize"/> windows of
    /// <paramref name="blockSize"/> characters, logging train/val losses, then samples <paramref name="sampleLength"/>
    /// characters at <paramref name="temperature"/>. <paramref name="traced"/> false runs the step eagerly.
    /// </summary>
    /// <exception cref="FileNotFoundException">The corpus is missing.</exception>
    public static CharGptResult Run(int steps = 600, TextWriter? log = null, ulong seed = 0, string corpusPath = DefaultCorpus, bool traced = true,
        int blockSize = 32, int batchSize = 32, int dModel = 64, int heads = 4, int layers = 2, double learningRate = 3e-3,
        int sampleLength = 300, double temperature = 0.8, int logEvery = 100)
    {
        if (!File.Exists(corpusPath))
            throw new FileNotFoundException($"CharGpt: the corpus {corpusPath} is missing. On Debian/Ubuntu it comes with the base-files package; pass another text file as the corpus.", corpusPath);
        var clock = Stopwatch.StartNew();
        var text = File.ReadAllText(corpusPath);
        var vocab = text.Distinct().Order().ToArray();
        var index = vocab.Select((c, i) => (c, i)).ToDictionary(p => p.c, p => (long)p.i);
        var data = text.Select(c => index[c]).ToArray();
        int split = data.Length * 9 / 10;
        var (train, val) = (data[..split], data[split..]);
        log?.WriteLine($"corpus {corpusPath}: {data.Length} characters, vocabulary {vocab.Length} (ln {Math.Log(vocab.Length):F3}), train {train.Length} / val {val.Length}");

        var g = new Generator(seed);
        var rng = new Random((int)seed);
        var model = new CharGptModel(vocab.Length, blockSize, dModel, heads, layers, g);
        log?.WriteLine($"model: {model.Parameters().Sum(p => p.Numel)} parameters, block size {blockSize}, d_model {dModel}, {heads} heads, {layers} pre-norm blocks");
        var optimizer = new AdamW(model.Parameters(), lr: learningRate, weightDecay: 0.01);
        var (vocabSize, bs, t) = (vocab.Length, batchSize, blockSize);
        Tensor Loss(Tensor logits, Tensor targets) => Functional.CrossEntropy(logits.Reshape(-1, vocabSize), targets.Reshape(-1));

        (Tensor X, Tensor Y) Batch(long[] source)
        {
            var (x, y) = (new long[bs * t], new long[bs * t]);
            for (int b = 0; b < bs; b++)
            {
                int start = rng.Next(source.Length - t - 1);
                Array.Copy(source, start, x, b * t, t);
                Array.Copy(source, start + 1, y, b * t, t);
            }
            return (Tensor.From(x, [bs, t]), Tensor.From(y, [bs, t]));
        }

        // A fixed validation set: consecutive windows over the held-out text.
        var valBatches = new List<(Tensor, Tensor)>();
        for (int start = 0; start + bs * t + 1 <= val.Length && valBatches.Count < 8; start += bs * t)
            valBatches.Add((Tensor.From(val[start..(start + bs * t)], [bs, t]), Tensor.From(val[(start + 1)..(start + bs * t + 1)], [bs, t])));
        double ValLoss()
        {
            model.Eval();
            using var _ = Autograd.NoGrad();
            double sum = valBatches.Sum(b => Loss(model.Forward(b.Item1), b.Item2).Item());
            model.Train();
            return sum / valBatches.Count;
        }

        // The best a model that ignores the context can do: the cross-entropy of the training characters' frequencies on val.
        var counts = new double[vocabSize];
        foreach (var c in train) counts[c]++;
        double unigram = -val.Average(c => Math.Log((counts[c] + 1) / (train.Length + vocabSize)));
        double initial = ValLoss();
        log?.WriteLine($"val loss before training {initial:F4}; a context-free (unigram) model reaches {unigram:F4}");

        var (x0, y0) = Batch(train);
        TracedStep? step = traced ? Jit.TraceStep(model, Loss, optimizer, x0, y0) : null;
        var losses = new List<double>();
        for (int i = 0; i < steps; i++)
        {
            var (x, y) = Batch(train);
            double loss;
            if (step is not null) loss = step.Step(x, y).Item();
            else
            {
                optimizer.ZeroGrad();
                var l = Loss(model.Forward(x), y);
                l.Backward();
                optimizer.Step();
                loss = l.Item();
            }
            losses.Add(loss);
            if (log is not null && ((i + 1) % logEvery == 0 || i == steps - 1))
                log.WriteLine($"step {i + 1,5}  train loss {losses.Skip(Math.Max(0, losses.Count - logEvery)).Average():F4}  val loss {ValLoss():F4}  ({clock.Elapsed.TotalSeconds:F1} s)");
        }
        double final = ValLoss();

        // Sampling: the last block of context, the last position's logits / temperature, one draw per character.
        model.Eval();
        var context = new List<long> { index[text[0]] };
        using (Autograd.NoGrad())
            for (int i = 0; i < sampleLength; i++)
            {
                var window = context.Skip(Math.Max(0, context.Count - t)).ToArray();
                var logits = model.Forward(Tensor.From(window, [1, window.Length])).Select(0, 0).Select(0, window.Length - 1);
                context.Add(logits.Div(temperature).Softmax(-1).Multinomial(1, generator: g).Item<long>());
            }
        model.Train();
        var sample = new string([.. context.Select(c => vocab[c])]);
        log?.WriteLine($"sample (temperature {temperature.ToString(CultureInfo.InvariantCulture)}):");
        log?.WriteLine(sample);
        log?.WriteLine($"{(traced ? "traced" : "eager")} training, {clock.Elapsed.TotalSeconds:F1} s in all");
        return new CharGptResult(corpusPath, vocabSize, initial, final, unigram, losses, sample, traced, clock.Elapsed.TotalSeconds);
    }
}
