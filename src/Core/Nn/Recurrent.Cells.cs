namespace Trace.Nn;

/// <summary>
/// The parameters and checks shared by <see cref="RNNCell"/>, <see cref="LSTMCell"/> and <see cref="GRUCell"/>:
/// <c>weight_ih</c> (gates·hidden, input), <c>weight_hh</c> (gates·hidden, hidden), <c>bias_ih</c> and <c>bias_hh</c>
/// (gates·hidden), all initialized U(−1/√hidden, 1/√hidden) as in PyTorch. Input is (N, input_size) or unbatched
/// (input_size); the hidden state has the same rank.
/// </summary>
public abstract class RNNCellBase : Module
{
    private protected RNNCellBase(string name, int inputSize, int hiddenSize, bool bias, int gates, DType dtype, Generator? generator)
    {
        if (inputSize <= 0 || hiddenSize <= 0)
            throw new ArgumentException($"{name}: input_size and hidden_size must be positive, got {inputSize} and {hiddenSize}.");
        LayerName = name;
        InputSize = inputSize;
        HiddenSize = hiddenSize;
        double k = 1 / Math.Sqrt(hiddenSize);
        Tensor U(params int[] shape) => Init.Uniform_(Tensor.Empty(shape, dtype), -k, k, generator);
        WeightIh = RegisterParameter("weight_ih", U(gates * hiddenSize, inputSize))!;
        WeightHh = RegisterParameter("weight_hh", U(gates * hiddenSize, hiddenSize))!;
        if (bias)
        {
            BiasIh = RegisterParameter("bias_ih", U(gates * hiddenSize));
            BiasHh = RegisterParameter("bias_hh", U(gates * hiddenSize));
        }
    }

    /// <summary>The layer's name in error messages ("LSTMCell").</summary>
    private protected string LayerName { get; }
    /// <summary>Features of the input.</summary>
    public int InputSize { get; }
    /// <summary>Features of the hidden state.</summary>
    public int HiddenSize { get; }
    /// <summary>Input-to-hidden weights, of shape (gates·hidden_size, input_size).</summary>
    public Tensor WeightIh { get; }
    /// <summary>Hidden-to-hidden weights, of shape (gates·hidden_size, hidden_size).</summary>
    public Tensor WeightHh { get; }
    /// <summary>Input-to-hidden bias, or null without bias.</summary>
    public Tensor? BiasIh { get; }
    /// <summary>Hidden-to-hidden bias, or null without bias.</summary>
    public Tensor? BiasHh { get; }

    /// <summary>
    /// Checks the input (1-D or 2-D, last dim input_size) and a state (same rank, (N, hidden_size)); returns the input as 2-D
    /// and whether it was unbatched.
    /// </summary>
    private protected (Tensor Input, bool Unbatched) CheckInput(Tensor input)
    {
        ArgumentNullException.ThrowIfNull(input);
        if (input.Dim != 1 && input.Dim != 2)
            throw new ArgumentException($"{LayerName}: expected input to be 1D or 2D, got {input.Dim}D input of shape {Shapes.Format(input.Shape)}.", nameof(input));
        if (input.Size(-1) != InputSize)
            throw new ArgumentException($"{LayerName}: input has inconsistent input_size: got {input.Size(-1)} expected {InputSize} (input shape {Shapes.Format(input.Shape)}).", nameof(input));
        return input.Dim == 1 ? (input.Unsqueeze(0), true) : (input, false);
    }

    /// <summary>Checks a state against the input: it must be (N, hidden_size), or (hidden_size) for unbatched input; returns it as 2-D.</summary>
    private protected Tensor CheckState(Tensor state, string what, Tensor input2d, bool unbatched)
    {
        int[] expected = unbatched ? [HiddenSize] : [input2d.Size(0), HiddenSize];
        if (!state.Shape.SequenceEqual(expected))
            throw new ArgumentException($"{LayerName}: expected {what} size {Shapes.Format(expected)}, got {Shapes.Format(state.Shape)} (input shape {Shapes.Format(unbatched ? [InputSize] : input2d.Shape)}).");
        return unbatched ? state.Unsqueeze(0) : state;
    }

    /// <summary>x·W_ihᵀ + b_ih.</summary>
    private protected Tensor InputProjection(Tensor input2d) => Tensor.Linear(input2d, WeightIh, BiasIh);

    /// <inheritdoc/>
    protected override string ExtraRepr() => $"{InputSize}, {HiddenSize}{(BiasIh is null ? ", bias=False" : "")}";
}

/// <summary>
/// An Elman RNN cell (<c>torch.nn.RNNCell</c>): h' = act(x·W_ihᵀ + b_ih + h·W_hhᵀ + b_hh), act tanh (default) or relu.
/// <see cref="Forward(Tensor, Tensor?)"/> takes an optional state (zeros when null) and returns h'.
/// </summary>
public sealed class RNNCell : RNNCellBase
{
    /// <summary>Creates the cell; <paramref name="nonlinearity"/> is "tanh" or "relu".</summary>
    public RNNCell(int inputSize, int hiddenSize, bool bias = true, string nonlinearity = "tanh", DType dtype = DType.Float32, Generator? generator = null)
        : base("RNNCell", inputSize, hiddenSize, bias, 1, dtype, generator)
    {
        if (nonlinearity is not ("tanh" or "relu"))
            throw new ArgumentException($"RNNCell: unknown nonlinearity '{nonlinearity}'. Select from 'tanh' or 'relu'.", nameof(nonlinearity));
        Nonlinearity = nonlinearity;
    }

    /// <summary>"tanh" or "relu".</summary>
    public string Nonlinearity { get; }

    /// <summary>One step from the zero state.</summary>
    public override Tensor Forward(Tensor input) => Forward(input, null);

    /// <summary>One step: input (N, input_size) or (input_size), hx of (N, hidden_size) or (hidden_size) (zeros when null) → h'.</summary>
    public Tensor Forward(Tensor input, Tensor? hx)
    {
        var (x, unbatched) = CheckInput(input);
        var h = hx is null ? null : CheckState(hx, "hidden", x, unbatched);
        var next = RecurrentMath.RnnStep(InputProjection(x), h, WeightHh, BiasHh, Nonlinearity == "relu");
        return unbatched ? next.Squeeze(0) : next;
    }

    /// <summary>[input] or [input, hx] → [h'] (<see cref="Module.ForwardMany"/>, which tracing with several inputs uses).</summary>
    public override Tensor[] ForwardMany(Tensor[] inputs) => inputs.Length switch
    {
        1 => [Forward(inputs[0], null)],
        2 => [Forward(inputs[0], inputs[1])],
        _ => throw new ArgumentException($"RNNCell: ForwardMany takes [input] or [input, hx], got {inputs.Length} tensors.", nameof(inputs)),
    };

    /// <inheritdoc/>
    protected override string ExtraRepr() => base.ExtraRepr() + (Nonlinearity == "tanh" ? "" : $", nonlinearity={Nonlinearity}");
}

/// <summary>
/// An LSTM cell (<c>torch.nn.LSTMCell</c>), gates (i, f, g, o) in that order along the weights' first dim:
/// c' = σ(f)·c + σ(i)·tanh(g), h' = σ(o)·tanh(c'). <see cref="Forward(Tensor, ValueTuple{Tensor, Tensor}?)"/> takes an
/// optional (h, c) (zeros when null) and returns (h', c'); <see cref="Forward(Tensor)"/> returns h' from the zero state.
/// </summary>
public sealed class LSTMCell(int inputSize, int hiddenSize, bool bias = true, DType dtype = DType.Float32, Generator? generator = null)
    : RNNCellBase("LSTMCell", inputSize, hiddenSize, bias, 4, dtype, generator)
{
    /// <summary>One step from the zero state; returns h'.</summary>
    public override Tensor Forward(Tensor input) => Forward(input, null).H;

    /// <summary>One step: input (N, input_size) or (input_size), hx = (h, c) each (N, hidden_size) or (hidden_size) (zeros when null) → (h', c').</summary>
    public (Tensor H, Tensor C) Forward(Tensor input, (Tensor H, Tensor C)? hx)
    {
        var (x, unbatched) = CheckInput(input);
        Tensor? h = null, c = null;
        if (hx is var (h0, c0))
        {
            ArgumentNullException.ThrowIfNull(h0, nameof(hx));
            ArgumentNullException.ThrowIfNull(c0, nameof(hx));
            h = CheckState(h0, "hidden[0]", x, unbatched);
            c = CheckState(c0, "hidden[1]", x, unbatched);
        }
        var (hn, cn) = RecurrentMath.LstmStep(InputProjection(x), h, c, WeightHh, BiasHh);
        return unbatched ? (hn.Squeeze(0), cn.Squeeze(0)) : (hn, cn);
    }

    /// <summary>[input] or [input, h, c] → [h', c'] (<see cref="Module.ForwardMany"/>, which tracing with several inputs uses).</summary>
    public override Tensor[] ForwardMany(Tensor[] inputs)
    {
        var (h, c) = inputs.Length switch
        {
            1 => Forward(inputs[0], null),
            3 => Forward(inputs[0], (inputs[1], inputs[2])),
            _ => throw new ArgumentException($"LSTMCell: ForwardMany takes [input] or [input, h, c], got {inputs.Length} tensors.", nameof(inputs)),
        };
        return [h, c];
    }
}

/// <summary>
/// A GRU cell (<c>torch.nn.GRUCell</c>), gates (r, z, n) in that order: r = σ(W_ir·x + b_ir + W_hr·h + b_hr),
/// z = σ(W_iz·x + b_iz + W_hz·h + b_hz), n = tanh(W_in·x + b_in + r·(W_hn·h + b_hn)), h' = (1 − z)·n + z·h.
/// <see cref="Forward(Tensor, Tensor?)"/> takes an optional state (zeros when null) and returns h'.
/// </summary>
public sealed class GRUCell(int inputSize, int hiddenSize, bool bias = true, DType dtype = DType.Float32, Generator? generator = null)
    : RNNCellBase("GRUCell", inputSize, hiddenSize, bias, 3, dtype, generator)
{
    /// <summary>One step from the zero state.</summary>
    public override Tensor Forward(Tensor input) => Forward(input, null);

    /// <summary>One step: input (N, input_size) or (input_size), hx of (N, hidden_size) or (hidden_size) (zeros when null) → h'.</summary>
    public Tensor Forward(Tensor input, Tensor? hx)
    {
        var (x, unbatched) = CheckInput(input);
        var h = hx is null ? Tensor.Zeros([x.Size(0), HiddenSize], WeightHh.DType, WeightHh.Device) : CheckState(hx, "hidden", x, unbatched);
        var next = RecurrentMath.GruStep(InputProjection(x), h, WeightHh, BiasHh);
        return unbatched ? next.Squeeze(0) : next;
    }

    /// <summary>[input] or [input, hx] → [h'] (<see cref="Module.ForwardMany"/>, which tracing with several inputs uses).</summary>
    public override Tensor[] ForwardMany(Tensor[] inputs) => inputs.Length switch
    {
        1 => [Forward(inputs[0], null)],
        2 => [Forward(inputs[0], inputs[1])],
        _ => throw new ArgumentException($"GRUCell: ForwardMany takes [input] or [input, hx], got {inputs.Length} tensors.", nameof(inputs)),
    };
}
