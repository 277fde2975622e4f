using Trace.Nn;

namespace Trace.Core.Tests;

/// <summary>
/// Float64 loops of PyTorch's recurrent formulas, written from the weights element by element (no Trace kernels):
/// RNN (tanh/relu), LSTM (gates i, f, g, o) and GRU (gates r, z, n, with r applied to W_hn·h + b_hn).
/// </summary>
internal static class RecurrentReference
{
    /// <summary>One layer-direction's weights as row-major arrays.</summary>
    public sealed record Weights(double[] Wih, double[] Whh, double[]? Bih, double[]? Bhh, int InF, int H);

    public static Weights Of(Tensor wih, Tensor whh, Tensor? bih, Tensor? bhh) =>
        new(Reference.Values(wih), Reference.Values(whh), bih is null ? null : Reference.Values(bih), bhh is null ? null : Reference.Values(bhh), wih.Size(1), whh.Size(1));

    /// <summary>W·v + b for the rows [row0, row0 + count) of a (rows, cols) matrix.</summary>
    private static double Dot(double[] w, int row, int cols, double[] v, double[]? b)
    {
        double s = b is null ? 0 : b[row];
        for (int k = 0; k < cols; k++) s += w[row * cols + k] * v[k];
        return s;
    }

    private static double Sigmoid(double x) => 1 / (1 + Math.Exp(-x));

    /// <summary>One step of one sample: kind "tanh", "relu", "lstm" or "gru"; returns (h', c').</summary>
    public static (double[] H, double[] C) Step(string kind, Weights w, double[] x, double[] h, double[] c)
    {
        int hs = w.H;
        var hn = new double[hs];
        var cn = new double[hs];
        double Xi(int row) => Dot(w.Wih, row, w.InF, x, w.Bih);
        double Hh(int row) => Dot(w.Whh, row, hs, h, w.Bhh);
        for (int j = 0; j < hs; j++)
        {
            switch (kind)
            {
                case "tanh": hn[j] = Math.Tanh(Xi(j) + Hh(j)); break;
                case "relu": hn[j] = Math.Max(0, Xi(j) + Hh(j)); break;
                case "lstm":
                {
                    double i = Sigmoid(Xi(j) + Hh(j)), f = Sigmoid(Xi(hs + j) + Hh(hs + j));
                    double g = Math.Tanh(Xi(2 * hs + j) + Hh(2 * hs + j)), o = Sigmoid(Xi(3 * hs + j) + Hh(3 * hs + j));
                    cn[j] = f * c[j] + i * g;
                    hn[j] = o * Math.Tanh(cn[j]);
                    break;
                }
                case "gru":
                {
                    double r = Sigmoid(Xi(j) + Hh(j)), z = Sigmoid(Xi(hs + j) + Hh(hs + j));
                    double n = Math.Tanh(Xi(2 * hs + j) + r * Hh(2 * hs + j));
                    hn[j] = (1 - z) * n + z * h[j];
                    break;
                }
                default: throw new ArgumentException(kind);
            }
        }
        return (hn, cn);
    }

    /// <summary>
    /// A whole multi-layer (bi)directional run on sequence-first input x[t][n][feature], states [layer·dirs + d][n][j];
    /// returns output[t][n][dirs·H] and the final states.
    /// </summary>
    public static (double[][][] Output, double[][][] H, double[][][] C) Run(string kind, RNNBase layer, double[][][] x, double[][][]? h0, double[][][]? c0)
    {
        int len = x.Length, batch = x[0].Length, dirs = layer.Directions, hs = layer.HiddenSize;
        var hN = new double[layer.NumLayers * dirs][][];
        var cN = new double[layer.NumLayers * dirs][][];
        var input = x;
        for (int l = 0; l < layer.NumLayers; l++)
        {
            var output = new double[len][][];
            for (int t = 0; t < len; t++) output[t] = [.. Enumerable.Range(0, batch).Select(_ => new double[dirs * hs])];
            for (int d = 0; d < dirs; d++)
            {
                var (wih, whh, bih, bhh) = layer.Weights(l, d);
                var w = Of(wih, whh, bih, bhh);
                int idx = l * dirs + d;
                hN[idx] = new double[batch][];
                cN[idx] = new double[batch][];
                for (int n = 0; n < batch; n++)
                {
                    var h = h0 is null ? new double[hs] : (double[])h0[idx][n].Clone();
                    var c = c0 is null ? new double[hs] : (double[])c0[idx][n].Clone();
                    for (int s = 0; s < len; s++)
                    {
                        int t = d == 0 ? s : len - 1 - s;
                        (h, var cNext) = Step(kind, w, input[t][n], h, c);
                        c = cNext;
                        Array.Copy(h, 0, output[t][n], d * hs, hs);
                    }
                    hN[idx][n] = h;
                    cN[idx][n] = c;
                }
            }
            input = output;
        }
        return (input, hN, cN);
    }

    /// <summary>A (A, B, C) tensor as nested arrays.</summary>
    public static double[][][] Nested(Tensor t)
    {
        var v = Reference.Values(t);
        int a = t.Size(0), b = t.Size(1), c = t.Size(2);
        return [.. Enumerable.Range(0, a).Select(i => Enumerable.Range(0, b).Select(j => v.AsSpan((i * b + j) * c, c).ToArray()).ToArray())];
    }

    /// <summary>Nested arrays flattened row-major.</summary>
    public static double[] Flat(double[][][] v) => [.. v.SelectMany(a => a.SelectMany(b => b))];
}
