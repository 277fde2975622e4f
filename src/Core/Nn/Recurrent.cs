namespace Trace.Nn;

/// <summary>
/// The multi-layer recurrent layers' shared parameters and loop (<c>torch.nn.RNNBase</c>). Per layer k and direction
/// (suffix <c>_reverse</c> for the backward one): <c>weight_ih_lk</c> (gates·hidden, input_size for k = 0, else
/// directions·hidden), <c>weight_hh_lk</c> (gates·hidden, hidden), <c>bias_ih_lk</c> and <c>bias_hh_lk</c>, registered in
/// PyTorch's order and initialized U(−1/√hidden, 1/√hidden).
/// <para>Input is (L, N, input_size), or (N, L, input_size) with <c>batchFirst</c>, or unbatched (L, input_size); the
/// output has the same layout with directions·hidden features (each step's last-layer h, the backward direction's after
/// the forward one's). States are (directions·num_layers, N, hidden) — (directions·num_layers, hidden) for unbatched
/// input — indexed layer·directions + direction, and default to zeros.</para>
/// <para>Each layer projects the whole sequence's input with one matmul (x·W_ihᵀ over all L·N rows, b_hh folded in
/// where the formula allows) and then runs, per step, only h·W_hhᵀ and the gate math (the LSTM's one fused op with its own
/// backward); each step reads its slice through one <see cref="Tensor.Unbind"/>, so the slices' gradients are stacked once.
/// Autograd and <c>Jit.Trace</c> (which unrolls the loop for the traced sequence length) work on it.</para>
/// </summary>
public abstract class RNNBase : Module
{
    private readonly (Tensor Wih, Tensor Whh, Tensor? Bih, Tensor? Bhh)[] _weights;
    private readonly int _gates;

    private protected RNNBase(string name, int inputSize, int hiddenSize, int numLayers, bool bias, bool batchFirst, double dropout,
        bool bidirectional, int gates, DType dtype, Generator? generator)
    {
        if (inputSize <= 0 || hiddenSize <= 0)
            throw new ArgumentException($"{name}: input_size and hidden_size must be positive, got {inputSize} and {hiddenSize}.");
        if (numLayers <= 0) throw new ArgumentException($"{name}: num_layers must be positive, got {numLayers}.", nameof(numLayers));
        if (!(dropout >= 0 && dropout <= 1))
            throw new ArgumentException($"{name}: dropout should be a number in range [0, 1] representing the probability of an element being zeroed, got {dropout}.", nameof(dropout));
        LayerName = name;
        InputSize = inputSize;
        HiddenSize = hiddenSize;
        NumLayers = numLayers;
        BatchFirst = batchFirst;
        Dropout = dropout;
        Bidirectional = bidirectional;
        Generator = generator;
        _gates = gates;
        int dirs = Directions;
        double k = 1 / Math.Sqrt(hiddenSize);
        Tensor U(params int[] shape) => Init.Uniform_(Tensor.Empty(shape, dtype), -k, k, generator);
        _weights = new (Tensor, Tensor, Tensor?, Tensor?)[numLayers * dirs];
        for (int layer = 0; layer < numLayers; layer++)
            for (int d = 0; d < dirs; d++)
            {
                string suffix = $"_l{layer}{(d == 1 ? "_reverse" : "")}";
                int inF = layer == 0 ? inputSize : dirs * hiddenSize;
                var wih = RegisterParameter("weight_ih" + suffix, U(gates * hiddenSize, inF))!;
                var whh = RegisterParameter("weight_hh" + suffix, U(gates * hiddenSize, hiddenSize))!;
                Tensor? bih = null, bhh = null;
                if (bias)
                {
                    bih = RegisterParameter("bias_ih" + suffix, U(gates * hiddenSize));
                    bhh = RegisterParameter("bias_hh" + suffix, U(gates * hiddenSize));
                }
                _weights[layer * dirs + d] = (wih, whh, bih, bhh);
            }
    }

    /// <summary>The layer's name in error messages ("LSTM").</summary>
    private protected string LayerName { get; }
    /// <summary>Features of the input.</summary>
    public int InputSize { get; }
    /// <summary>Features of each direction's hidden state.</summary>
    public int HiddenSize { get; }
    /// <summary>Stacked layers.</summary>
    public int NumLayers { get; }
    /// <summary>Whether input and output are (N, L, features) rather than (L, N, features).</summary>
    public bool BatchFirst { get; }
    /// <summary>Dropout probability on the outputs of every layer but the last, in training mode.</summary>
    public double Dropout { get; }
    /// <summary>Whether each layer also runs the sequence backwards (outputs concatenated on the feature dim).</summary>
    public bool Bidirectional { get; }
    /// <summary>Generator of the dropout masks (null: the default generator).</summary>
    public Generator? Generator { get; }
    /// <summary>1, or 2 when bidirectional.</summary>
    public int Directions => Bidirectional ? 2 : 1;

    /// <summary>The weights of one layer and direction: (weight_ih, weight_hh, bias_ih, bias_hh).</summary>
    public (Tensor WeightIh, Tensor WeightHh, Tensor? BiasIh, Tensor? BiasHh) Weights(int layer, int direction = 0)
    {
        if (layer < 0 || layer >= NumLayers || direction < 0 || direction >= Directions)
            throw new ArgumentOutOfRangeException(nameof(layer), $"{LayerName}: no layer {layer} direction {direction} (num_layers={NumLayers}, directions={Directions}).");
        return _weights[layer * Directions + direction];
    }

    /// <summary>The sequence of the last layer's outputs, from zero states.</summary>
    public override Tensor Forward(Tensor input) => Run(input, null, null).Output;

    /// <summary>Whether b_hh may be added to the input projection (true for RNN and LSTM; GRU multiplies h_n's part by r).</summary>
    private protected virtual bool FoldsHiddenBias => true;

    /// <summary>One step of the cell: from the step's input projection and the previous state (null: zeros) to the new state.</summary>
    private protected abstract (Tensor H, Tensor? C) Step(Tensor xg, Tensor? h, Tensor? c, Tensor whh, Tensor? bhh);

    /// <summary>The loop over layers, directions and steps; returns the output and the final h (and c when <paramref name="hasCell"/>).</summary>
    private protected (Tensor Output, Tensor HN, Tensor? CN) Run(Tensor input, Tensor? h0, Tensor? c0, bool hasCell = false)
    {
        ArgumentNullException.ThrowIfNull(input);
        if (input.Dim != 2 && input.Dim != 3)
            throw new ArgumentException($"{LayerName}: expected input to be 2D (unbatched) or 3D (batched), got {input.Dim}D input of shape {Shapes.Format(input.Shape)}.", nameof(input));
        if (input.Size(-1) != InputSize)
            throw new ArgumentException($"{LayerName}: input.size(-1) must be equal to input_size. Expected {InputSize}, got {input.Size(-1)} (input shape {Shapes.Format(input.Shape)}).", nameof(input));
        bool unbatched = input.Dim == 2;
        int td = BatchFirst ? 1 : 0;
        var x = unbatched ? input.Unsqueeze(BatchFirst ? 0 : 1) : input;
        int len = x.Size(td), batch = x.Size(1 - td), dirs = Directions;
        if (len == 0)
            throw new ArgumentException($"{LayerName}: expected a sequence of at least one step, got input of shape {Shapes.Format(input.Shape)}.", nameof(input));
        int[] stateShape = unbatched ? [dirs * NumLayers, HiddenSize] : [dirs * NumLayers, batch, HiddenSize];
        Tensor? CheckState(Tensor? s, string what)
        {
            if (s is null) return null;
            if (!s.Shape.SequenceEqual(stateShape))
                throw new ArgumentException($"{LayerName}: expected {what} size {Shapes.Format(stateShape)}, got {Shapes.Format(s.Shape)} (input shape {Shapes.Format(input.Shape)}, {(BatchFirst ? "batch_first" : "sequence first")}).");
            return unbatched ? s.Unsqueeze(1) : s;
        }
        var h0b = CheckState(h0, hasCell ? "hidden[0]" : "hidden");
        var c0b = CheckState(c0, "hidden[1]");

        var hN = new Tensor[NumLayers * dirs];
        var cN = hasCell ? new Tensor[NumLayers * dirs] : null;
        var layerInput = x;
        for (int layer = 0; layer < NumLayers; layer++)
        {
            var outs = new Tensor[dirs];
            for (int d = 0; d < dirs; d++)
            {
                int idx = layer * dirs + d;
                var (wih, whh, bih, bhh) = _weights[idx];
                // The whole sequence's input projection in one matmul, viewed back as (L, N, G) or (N, L, G).
                var bias = FoldsHiddenBias && bih is not null ? bih + bhh! : bih;
                int inF = layerInput.Size(2);
                var xp = Tensor.Linear(layerInput.Reshape(-1, inF), wih, bias).View(layerInput.Size(0), layerInput.Size(1), _gates * HiddenSize);
                var stepBias = FoldsHiddenBias ? null : bhh;
                Tensor? h = h0b?.Select(0, idx), c = c0b?.Select(0, idx);
                var hs = new Tensor[len];
                // One node for all steps' slices: their gradients are stacked once, not each zero-filled to the whole sequence.
                var steps = xp.Unbind(td);
                for (int s = 0; s < len; s++)
                {
                    int t = d == 0 ? s : len - 1 - s;
                    (h, var cNext) = Step(steps[t], h, c, whh, stepBias);
                    c = cNext;
                    hs[t] = h;
                }
                outs[d] = Tensor.Stack(hs, td);
                hN[idx] = h!;
                if (cN is not null) cN[idx] = c!;
            }
            layerInput = dirs == 1 ? outs[0] : Tensor.Cat(outs, 2);
            if (layer < NumLayers - 1 && Dropout > 0 && IsTraining)
                layerInput = Functional.Dropout(layerInput, Dropout, true, Generator);
        }
        var output = unbatched ? layerInput.Squeeze(BatchFirst ? 0 : 1) : layerInput;
        var hOut = Tensor.Stack(hN, 0);
        var cOut = cN is null ? null : Tensor.Stack(cN, 0);
        if (unbatched)
        {
            hOut = hOut.Squeeze(1);
            cOut = cOut?.Squeeze(1);
        }
        return (output, hOut, cOut);
    }

    /// <inheritdoc/>
    protected override string ExtraRepr()
    {
        var s = $"{InputSize}, {HiddenSize}";
        if (NumLayers != 1) s += $", num_layers={NumLayers}";
        s += ExtraReprOptions();
        if (_weights[0].Bih is null) s += ", bias=False";
        if (BatchFirst) s += ", batch_first=True";
        if (Dropout != 0) s += $", dropout={Dropout.ToString(System.Globalization.CultureInfo.InvariantCulture)}";
        if (Bidirectional) s += ", bidirectional=True";
        return s;
    }

    /// <summary>Options of the derived layer printed after num_layers (RNN's nonlinearity).</summary>
    private protected virtual string ExtraReprOptions() => "";
}

/// <summary>
/// A multi-layer Elman RNN (<c>torch.nn.RNN</c>): h_t = act(x_t·W_ihᵀ + b_ih + h_{t−1}·W_hhᵀ + b_hh), act tanh (default)
/// or relu. <see cref="Forward(Tensor, Tensor?)"/> returns (output, h_n); see <see cref="RNNBase"/> for shapes.
/// </summary>
public sealed class RNN : RNNBase
{
    /// <summary>Creates the layer; <paramref name="nonlinearity"/> is "tanh" or "relu"; <paramref name="generator"/> seeds the initialization and the dropout masks.</summary>
    public RNN(int inputSize, int hiddenSize, int numLayers = 1, string nonlinearity = "tanh", bool bias = true, bool batchFirst = false,
        double dropout = 0, bool bidirectional = false, DType dtype = DType.Float32, Generator? generator = null)
        : base("RNN", inputSize, hiddenSize, numLayers, bias, batchFirst, dropout, bidirectional, 1, dtype, generator)
    {
        if (nonlinearity is not ("tanh" or "relu"))
            throw new ArgumentException($"RNN: unknown nonlinearity '{nonlinearity}'. Select from 'tanh' or 'relu'.", nameof(nonlinearity));
        Nonlinearity = nonlinearity;
    }

    /// <summary>"tanh" or "relu".</summary>
    public string Nonlinearity { get; }

    /// <summary>Runs the sequence from <paramref name="hx"/> (zeros when null) → (output of every step, h_n).</summary>
    public (Tensor Output, Tensor H) Forward(Tensor input, Tensor? hx)
    {
        var (output, h, _) = Run(input, hx, null);
        return (output, h);
    }

    /// <summary>[input] or [input, hx] → [output, h_n] (<see cref="Module.ForwardMany"/>, which tracing with several inputs uses).</summary>
    public override Tensor[] ForwardMany(Tensor[] inputs)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        if (inputs.Length is not (1 or 2)) throw new ArgumentException($"RNN: ForwardMany takes [input] or [input, hx], got {inputs.Length} tensors.", nameof(inputs));
        var (output, h) = Forward(inputs[0], inputs.Length == 2 ? inputs[1] : null);
        return [output, h];
    }

    private protected override (Tensor H, Tensor? C) Step(Tensor xg, Tensor? h, Tensor? c, Tensor whh, Tensor? bhh) =>
        (RecurrentMath.RnnStep(xg, h, whh, bhh, Nonlinearity == "relu"), null);

    private protected override string ExtraReprOptions() => Nonlinearity == "tanh" ? "" : $", nonlinearity={Nonlinearity}";
}

/// <summary>
/// A multi-layer LSTM (<c>torch.nn.LSTM</c>), gates (i, f, g, o): c_t = σ(f)·c_{t−1} + σ(i)·tanh(g), h_t = σ(o)·tanh(c_t).
/// <see cref="Forward(Tensor, ValueTuple{Tensor, Tensor}?)"/> returns (output, (h_n, c_n)) as PyTorch does; see
/// <see cref="RNNBase"/> for shapes. (PyTorch's proj_size is not supported.)
/// </summary>
/// <example><code>
/// var lstm = new LSTM(128, 256, batchFirst: true);
/// var (output, (h, c)) = lstm.Forward(x, null);          // x (32, 32, 128) → output (32, 32, 256), h and c (1, 32, 256)
/// var (next, state) = lstm.Forward(x2, (h, c));          // continue from the final state
/// </code></example>
public sealed class LSTM(int inputSize, int hiddenSize, int numLayers = 1, bool bias = true, bool batchFirst = false, double dropout = 0,
    bool bidirectional = false, DType dtype = DType.Float32, Generator? generator = null)
    : RNNBase("LSTM", inputSize, hiddenSize, numLayers, bias, batchFirst, dropout, bidirectional, 4, dtype, generator)
{
    /// <summary>Runs the sequence from <paramref name="hx"/> = (h_0, c_0) (zeros when null) → (output of every step, (h_n, c_n)).</summary>
    public (Tensor Output, (Tensor H, Tensor C) State) Forward(Tensor input, (Tensor H, Tensor C)? hx)
    {
        Tensor? h0 = null, c0 = null;
        if (hx is var (h, c))
        {
            ArgumentNullException.ThrowIfNull(h, nameof(hx));
            ArgumentNullException.ThrowIfNull(c, nameof(hx));
            (h0, c0) = (h, c);
        }
        var (output, hn, cn) = Run(input, h0, c0, hasCell: true);
        return (output, (hn, cn!));
    }

    /// <summary>[input] or [input, h_0, c_0] → [output, h_n, c_n] (<see cref="Module.ForwardMany"/>, which tracing with several inputs uses).</summary>
    public override Tensor[] ForwardMany(Tensor[] inputs)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        if (inputs.Length is not (1 or 3)) throw new ArgumentException($"LSTM: ForwardMany takes [input] or [input, h_0, c_0], got {inputs.Length} tensors.", nameof(inputs));
        var (output, (h, c)) = Forward(inputs[0], inputs.Length == 3 ? (inputs[1], inputs[2]) : null);
        return [output, h, c];
    }

    private protected override (Tensor H, Tensor? C) Step(Tensor xg, Tensor? h, Tensor? c, Tensor whh, Tensor? bhh) =>
        RecurrentMath.LstmStep(xg, h, c, whh, bhh);
}

/// <summary>
/// A multi-layer GRU (<c>torch.nn.GRU</c>), gates (r, z, n): n_t = tanh(W_in·x_t + b_in + r·(W_hn·h_{t−1} + b_hn)),
/// h_t = (1 − z)·n_t + z·h_{t−1}. <see cref="Forward(Tensor, Tensor?)"/> returns (output, h_n); see <see cref="RNNBase"/> for shapes.
/// </summary>
public sealed class GRU(int inputSize, int hiddenSize, int numLayers = 1, bool bias = true, bool batchFirst = false, double dropout = 0,
    bool bidirectional = false, DType dtype = DType.Float32, Generator? generator = null)
    : RNNBase("GRU", inputSize, hiddenSize, numLayers, bias, batchFirst, dropout, bidirectional, 3, dtype, generator)
{
    /// <summary>Runs the sequence from <paramref name="hx"/> (zeros when null) → (output of every step, h_n).</summary>
    public (Tensor Output, Tensor H) Forward(Tensor input, Tensor? hx)
    {
        var (output, h, _) = Run(input, hx, null);
        return (output, h);
    }

    /// <summary>[input] or [input, hx] → [output, h_n] (<see cref="Module.ForwardMany"/>, which tracing with several inputs uses).</summary>
    public override Tensor[] ForwardMany(Tensor[] inputs)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        if (inputs.Length is not (1 or 2)) throw new ArgumentException($"GRU: ForwardMany takes [input] or [input, hx], got {inputs.Length} tensors.", nameof(inputs));
        var (output, h) = Forward(inputs[0], inputs.Length == 2 ? inputs[1] : null);
        return [output, h];
    }

    private protected override bool FoldsHiddenBias => false;

    private protected override (Tensor H, Tensor? C) Step(Tensor xg, Tensor? h, Tensor? c, Tensor whh, Tensor? bhh)
    {
        // The zero state has to be real here: h enters h' = n + z·(h − n) and W_hn·h + b_hn.
        h ??= Tensor.Zeros([xg.Size(0), HiddenSize], whh.DType, whh.Device);
        return (RecurrentMath.GruStep(xg, h, whh, bhh), null);
    }
}
