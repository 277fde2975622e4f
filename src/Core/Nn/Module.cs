using System.Text;

namespace Trace.Nn;

/// <summary>
/// Base class of neural-network layers and models (like <c>torch.nn.Module</c>). Parameters are registered with
/// <see cref="RegisterParameter"/> or declared as tensor fields holding <see cref="Parameter"/>(...) (a field
/// <c>_scale = Parameter(Tensor.Ones(3))</c> becomes parameter "scale"); submodules are registered with
/// <see cref="RegisterModule{T}"/> or discovered automatically from the fields of the derived class (a field
/// <c>linear1</c> of type <see cref="Module"/> becomes submodule "linear1"). A leaf tensor field that requires grad
/// but is neither is an error on the first <see cref="Parameters"/> call, rather than a parameter silently left out.
/// </summary>
public abstract partial class Module
{
    private readonly List<(string Name, Tensor? Value)> _parameters = [];
    private readonly List<(string Name, Tensor Value)> _buffers = [];
    private readonly List<(string Name, Module Value)> _modules = [];
    private volatile bool _fieldsScanned;
    private readonly Lock _scanGate = new();

    /// <summary>True in training mode (the default), false after <see cref="Eval"/>.</summary>
    public bool IsTraining { get; private set; } = true;

    /// <summary>Computes the module's output. Containers without a single-input forward throw.</summary>
    public virtual Tensor Forward(Tensor input) =>
        throw new NotSupportedException($"{GetType().Name} does not define Forward(Tensor); call its own methods instead.");

    /// <summary>
    /// The forward of a module that takes or returns several tensors, as one array each way (PyTorch's
    /// <c>forward(*args)</c> returning a tuple): a cell's (x, h) → (h', c'). <c>Jit.Trace(module, exampleInputs)</c>
    /// traces this method when given more than one example input, and the traced module returns all its outputs. It
    /// has its own name so that calls of <see cref="Forward(Tensor)"/> never become ambiguous. The default runs
    /// <see cref="Forward(Tensor)"/> on exactly one input; override it to accept more.
    /// </summary>
    /// <example><code>
    /// sealed class MyCell : Module
    /// {
    ///     private readonly Linear linear = new(4, 4);
    ///     public override Tensor[] ForwardMany(Tensor[] inputs)
    ///     {
    ///         var newH = (linear.Forward(inputs[0]) + inputs[1]).Tanh();
    ///         return [newH, newH];
    ///     }
    /// }
    /// var traced = Jit.Trace(new MyCell(), [x, h]);   // traced.Call(x, h) returns both outputs
    /// </code></example>
    /// <exception cref="NotSupportedException">The module does not override this method and got other than one input.</exception>
    public virtual Tensor[] ForwardMany(Tensor[] inputs)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        if (inputs.Length != 1)
            throw new NotSupportedException($"{GetType().Name}: Forward takes one tensor, got {inputs.Length}; override ForwardMany(Tensor[]) for a forward of several tensors.");
        return [Forward(inputs[0])];
    }

    /// <summary>
    /// Registers (or replaces) a parameter; it is made to require grad and marked <see cref="Tensor.IsParameter"/>.
    /// A null value registers an absent optional parameter.
    /// </summary>
    protected Tensor? RegisterParameter(string name, Tensor? value)
    {
        CheckName(name);
        if (value is not null)
        {
            if (!value.RequiresGrad) value.RequiresGrad = true;
            value.ParameterMark = ParameterMark.Registered;
        }
        Set(_parameters, name, value);
        return value;
    }

    /// <summary>Registers a non-trainable tensor that is part of the state dict (e.g. running statistics).</summary>
    protected Tensor RegisterBuffer(string name, Tensor value)
    {
        CheckName(name);
        Set(_buffers, name, value);
        return value;
    }

    /// <summary>Registers a submodule under <paramref name="name"/>.</summary>
    protected T RegisterModule<T>(string name, T module) where T : Module
    {
        CheckName(name);
        Set(_modules, name, (Module)module);
        return module;
    }

    private static void CheckName(string name)
    {
        if (string.IsNullOrEmpty(name) || name.Contains('.'))
            throw new ArgumentException($"Module: invalid attribute name '{name}' (must be non-empty and contain no '.').");
    }

    /// <summary>
    /// Bumped whenever any module registers a parameter, buffer or submodule (or discovers submodule fields), so that
    /// callers caching a module tree's tensors (the JIT) know when to collect them again.
    /// </summary>
    internal static int StructureVersion => _structureVersion;

    private static int _structureVersion;

    private static void Set<T>(List<(string, T)> list, string name, T value)
    {
        Interlocked.Increment(ref _structureVersion);
        int i = list.FindIndex(e => e.Item1 == name);
        if (i >= 0) list[i] = (name, value);
        else list.Add((name, value));
    }

    /// <summary>Direct submodules with their names.</summary>
    public IEnumerable<(string Name, Module Module)> NamedChildren()
    {
        ScanFields();
        return _modules.ToArray();
    }

    /// <summary>Direct submodules.</summary>
    public IEnumerable<Module> Children() => NamedChildren().Select(c => c.Module);

    /// <summary>This module and all its descendants, depth first, with dotted names ("" for this one).</summary>
    public IEnumerable<(string Name, Module Module)> NamedModules(string prefix = "")
    {
        var seen = new HashSet<Module>(ReferenceEqualityComparer.Instance);
        var stack = new Stack<(string, Module)>();
        stack.Push((prefix, this));
        while (stack.Count > 0)
        {
            var (name, m) = stack.Pop();
            if (!seen.Add(m)) continue;
            yield return (name, m);
            foreach (var (child, cm) in m.NamedChildren().Reverse())
                stack.Push((name.Length == 0 ? child : $"{name}.{child}", cm));
        }
    }

    /// <summary>
    /// Parameters with dotted names (<c>0.weight</c>, <c>linear1.bias</c>), each tensor once: per module, the
    /// registered ones in registration order, then parameter fields in declaration order.
    /// </summary>
    /// <exception cref="InvalidOperationException">A module has a leaf tensor field that requires grad but is no
    /// parameter, or a parameter field whose name another parameter, buffer or submodule already has.</exception>
    public IEnumerable<(string Name, Tensor Parameter)> NamedParameters(bool recurse = true)
    {
        var seen = new HashSet<Tensor>(ReferenceEqualityComparer.Instance);
        foreach (var (prefix, m) in recurse ? NamedModules() : [("", this)])
            foreach (var (name, p) in m.OwnParameters())
                if (seen.Add(p))
                    yield return (prefix.Length == 0 ? name : $"{prefix}.{name}", p);
    }

    /// <summary>All trainable parameters.</summary>
    public IEnumerable<Tensor> Parameters(bool recurse = true) => NamedParameters(recurse).Select(p => p.Parameter);

    /// <summary>Buffers with dotted names.</summary>
    public IEnumerable<(string Name, Tensor Buffer)> NamedBuffers()
    {
        foreach (var (prefix, m) in NamedModules())
            foreach (var (name, b) in m._buffers)
                yield return (prefix.Length == 0 ? name : $"{prefix}.{name}", b);
    }

    /// <summary>Sets training mode on this module and all descendants.</summary>
    public Module Train(bool mode = true)
    {
        foreach (var (_, m) in NamedModules()) m.IsTraining = mode;
        return this;
    }

    /// <summary>Sets evaluation mode (dropout off).</summary>
    public Module Eval() => Train(false);

    /// <summary>Extra text inside this module's parentheses in <see cref="ToString"/> (e.g. sizes).</summary>
    protected virtual string ExtraRepr() => "";

    /// <summary>A PyTorch-style tree: <c>Linear(in_features=1000, out_features=100, bias=True)</c>, children indented.</summary>
    public override string ToString()
    {
        var children = NamedChildren().ToList();
        var name = GetType().Name;
        if (children.Count == 0) return $"{name}({ExtraRepr()})";
        var sb = new StringBuilder(name).Append('(');
        var extra = ExtraRepr();
        if (extra.Length > 0) sb.Append("\n  ").Append(extra);
        foreach (var (n, m) in children)
            sb.Append("\n  (").Append(n).Append("): ").Append(m.ToString().Replace("\n", "\n  "));
        return sb.Append("\n)").ToString();
    }
}
