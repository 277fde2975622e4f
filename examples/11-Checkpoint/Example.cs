// Checkpoints: the lecture's two-layer net (N=64, 1000 → 100 → 10, ReLU, MSE, Adam) trained for some steps, saved with its
// optimizer in one file, and resumed — in another process — exactly where it stopped. And a writer that rewrites a large
// checkpoint forever, to show that killing it never leaves a damaged file (the file is replaced atomically).
using System.Globalization;
using Trace;
using Trace.Nn;
using Trace.Optim;
using Trace.Serialization;

namespace Lecture.Checkpoint;

/// <summary>What a training run did: steps done in total, the last loss, and a checksum of the final parameters.</summary>
public sealed record TrainResult(int Steps, double Loss, string Checksum);

public static class Example
{
    public const int N = 64, DIn = 1000, H = 100, DOut = 10;

    /// <summary>The lecture's net, initialized from <paramref name="seed"/>.</summary>
    public static Sequential Model(ulong seed = 0, int hidden = H)
    {
        var g = new Generator(seed);
        return new Sequential(new Linear(DIn, hidden, generator: g), new ReLU(), new Linear(hidden, DOut, generator: g));
    }

    /// <summary>The lecture's data: one fixed random batch x (64, 1000) and target y (64, 10).</summary>
    public static (Tensor X, Tensor Y) Data()
    {
        var g = new Generator(42);
        return (Tensor.Randn([N, DIn], generator: g), Tensor.Randn([N, DOut], generator: g));
    }

    /// <summary>
    /// Trains <paramref name="steps"/> steps of Adam (lr 1e-4), starting fresh or from the checkpoint <paramref name="resume"/>,
    /// and saves a checkpoint to <paramref name="save"/> when it is given. The epoch stored is the number of steps done in total.
    /// </summary>
    public static TrainResult Train(int steps, string? resume = null, string? save = null, TextWriter? log = null)
    {
        var model = Model();
        var optimizer = new Adam(model.Parameters(), lr: 1e-4);
        int done = 0;
        if (resume is not null)
        {
            done = Trace.Serialization.Checkpoint.Load(resume, model, optimizer).Epoch;
            log?.WriteLine($"resumed from {resume} after {done} steps");
        }
        var (x, y) = Data();
        double loss = double.NaN;
        for (int t = 0; t < steps; t++)
        {
            var l = Functional.MseLoss(model.Forward(x), y);
            loss = l.Item();
            optimizer.ZeroGrad();
            l.Backward();
            optimizer.Step();
            done++;
            log?.WriteLine($"step {done,4}  loss {loss.ToString("G9", CultureInfo.InvariantCulture)}");
        }
        if (save is not null)
        {
            Trace.Serialization.Checkpoint.Save(save, model, optimizer, epoch: done);
            log?.WriteLine($"saved {save}");
        }
        var result = new TrainResult(done, loss, Checksum(model));
        log?.WriteLine($"checksum {result.Checksum}");
        return result;
    }

    /// <summary>FNV-1a over the bytes of every parameter and buffer, in state-dict order: equal only when every bit is.</summary>
    public static string Checksum(Module model)
    {
        ulong h = 14695981039346656037UL;
        foreach (var (name, t) in model.StateDict())
        {
            foreach (char c in name) h = (h ^ c) * 1099511628211UL;
            foreach (var v in t.ToArray<float>())
            {
                uint bits = BitConverter.SingleToUInt32Bits(v);
                for (int i = 0; i < 4; i++, bits >>= 8) h = (h ^ (bits & 0xFF)) * 1099511628211UL;
            }
        }
        return h.ToString("x16", CultureInfo.InvariantCulture);
    }

    /// <summary>
    /// Rewrites the checkpoint <paramref name="path"/> forever (or <paramref name="times"/> times): write k holds a model of
    /// <paramref name="hidden"/> hidden units and its Adam state with every value equal to k, and epoch k, so that a reader can
    /// tell a complete write (all values equal to the epoch) from anything else. Prints "wrote k" after each write.
    /// </summary>
    public static void WriteForever(string path, int hidden, TextWriter log, int? times = null)
    {
        var model = Model(0, hidden);
        var optimizer = new Adam(model.Parameters(), lr: 1e-4);
        var (x, y) = Data();
        Functional.MseLoss(model.Forward(x), y).Backward();
        optimizer.Step();   // creates the Adam buffers
        for (int k = 1; times is null || k <= times; k++)
        {
            Fill(model, optimizer, k);
            Trace.Serialization.Checkpoint.Save(path, model, optimizer, epoch: k);
            log.WriteLine($"wrote {k}");
            log.Flush();
        }
    }

    /// <summary>Sets every parameter and Adam buffer of <paramref name="model"/> to <paramref name="k"/> and every step count to k.</summary>
    private static void Fill(Module model, Adam optimizer, int k)
    {
        using var _ = Autograd.NoGrad();
        foreach (var p in model.Parameters())
        {
            p.Fill_(k);
            var s = optimizer.State[p];
            s.ExpAvg!.Fill_(k);
            s.ExpAvgSq!.Fill_(k);
            s.Step = k;
        }
    }

    /// <summary>
    /// Loads a checkpoint written by <see cref="WriteForever"/> and checks that it is one complete write: returns its epoch k
    /// when every parameter, buffer and step count equals k; throws otherwise.
    /// </summary>
    public static int Verify(string path, int hidden)
    {
        var model = Model(1, hidden);
        var optimizer = new Adam(model.Parameters(), lr: 1e-4);
        int k = Trace.Serialization.Checkpoint.Load(path, model, optimizer).Epoch;
        foreach (var p in model.Parameters())
        {
            var s = optimizer.State[p];
            foreach (var (what, t) in new[] { ("parameter", p), ("exp_avg", s.ExpAvg!), ("exp_avg_sq", s.ExpAvgSq!) })
                if (t.ToArray<float>().Any(v => v != k))
                    throw new InvalidDataException($"{path}: epoch {k} but a {what} of shape ({string.Join(", ", p.Shape)}) holds other values.");
            if (s.Step != k) throw new InvalidDataException($"{path}: epoch {k} but a step count is {s.Step}.");
        }
        return k;
    }
}
