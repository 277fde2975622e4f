using System.Reflection;
using System.Text;

namespace Trace.Nn;

/// <summary>
/// Base class of neural-network layers and models (like <c>torch.nn.Module</c>). Parameters are
/// registered with <see cref="RegisterParameter"/>; submodules are registered with
/// <see cref="RegisterModule{T}"/> or discovered automatically from the fields of the derived class
/// (a field <c>linear1</c> of type <see cref="Module"/> becomes submodule "linear1").
/// </summary>
public abstract class Module
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

    /// <summary>Registers (or replaces) a parameter; it is made to require grad. A null value registers an absent optional parameter.</summary>
    protected Tensor? RegisterParameter(string name, Tensor? value)
    {
        CheckName(name);
        if (value is not null && !value.RequiresGrad) value.RequiresGrad = true;
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

    /// <summary>Finds submodules held in fields that were not registered explicitly (once, even when several threads walk the module at once).</summary>
    private void ScanFields()
    {
        if (_fieldsScanned) return;
        lock (_scanGate)
        {
            if (_fieldsScanned) return;
            AddFieldModules();
            _fieldsScanned = true;
        }
    }

    private void AddFieldModules()
    {
        Interlocked.Increment(ref _structureVersion);
        var fields = new List<FieldInfo>();
        for (var t = GetType(); t is not null && t != typeof(Module); t = t.BaseType)
            fields.InsertRange(0, t.GetFields(BindingFlags.Instance | BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.DeclaredOnly));
        foreach (var f in fields)
        {
            if (!typeof(Module).IsAssignableFrom(f.FieldType) || f.GetValue(this) is not Module m) continue;
            if (_modules.Any(e => ReferenceEquals(e.Value, m))) continue;
            _modules.Add((FieldName(f.Name), m));
        }
    }

    private static string FieldName(string name)
    {
        if (name.StartsWith('<') && name.Contains(">k__BackingField", StringComparison.Ordinal)) return name[1..name.IndexOf('>')];
        return name.TrimStart('_');
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

    /// <summary>Parameters with dotted names (<c>0.weight</c>, <c>linear1.bias</c>), each tensor once.</summary>
    public IEnumerable<(string Name, Tensor Parameter)> NamedParameters(bool recurse = true)
    {
        var seen = new HashSet<Tensor>(ReferenceEqualityComparer.Instance);
        foreach (var (prefix, m) in recurse ? NamedModules() : [("", this)])
            foreach (var (name, p) in m._parameters)
                if (p is not null && seen.Add(p))
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

    /// <summary>
    /// Moves every parameter, its gradient and every buffer to <paramref name="device"/> in place, as PyTorch's
    /// <c>module.to(device)</c>: the tensor objects stay the same (an optimizer built over them keeps working), their
    /// data moves. Returns this module.
    /// </summary>
    public Module To(Device device)
    {
        foreach (var p in Parameters())
        {
            p.MoveStorageTo(device);
            p.Grad?.MoveStorageTo(device);
        }
        foreach (var (_, b) in NamedBuffers()) b.MoveStorageTo(device);
        // Callers caching this tree's tensors (the JIT) see new storage.
        Interlocked.Increment(ref _structureVersion);
        return this;
    }

    /// <summary>Clears parameter gradients: sets them to null (default, as PyTorch 2.x) or to zero.</summary>
    public void ZeroGrad(bool setToNone = true)
    {
        foreach (var p in Parameters())
        {
            if (setToNone) p.Grad = null;
            else if (p.Grad is not null)
                using (Autograd.NoGrad()) p.Grad.Zero_();
        }
    }

    /// <summary>Parameters and buffers by dotted name (detached tensors sharing storage).</summary>
    public Dictionary<string, Tensor> StateDict()
    {
        var d = new Dictionary<string, Tensor>();
        foreach (var (n, p) in NamedParameters()) d[n] = p.Detach();
        foreach (var (n, b) in NamedBuffers()) d[n] = b.Detach();
        return d;
    }

    /// <summary>
    /// Copies values from <paramref name="state"/> into the parameters and buffers (converting the dtype, as
    /// PyTorch does). With <paramref name="strict"/>, missing and unexpected keys are errors; shapes must always
    /// match and values must not be null. Every key is checked before anything is copied.
    /// </summary>
    public void LoadStateDict(IReadOnlyDictionary<string, Tensor> state, bool strict = true)
    {
        ArgumentNullException.ThrowIfNull(state);
        var own = new Dictionary<string, Tensor>();
        foreach (var (n, p) in NamedParameters()) own[n] = p;
        foreach (var (n, b) in NamedBuffers()) own[n] = b;
        var missing = own.Keys.Where(k => !state.ContainsKey(k)).ToList();
        var unexpected = state.Keys.Where(k => !own.ContainsKey(k)).ToList();
        var errors = new List<string>();
        if (strict && missing.Count > 0) errors.Add($"Missing key(s) in state_dict: {string.Join(", ", missing.Select(k => $"\"{k}\""))}.");
        if (strict && unexpected.Count > 0) errors.Add($"Unexpected key(s) in state_dict: {string.Join(", ", unexpected.Select(k => $"\"{k}\""))}.");
        foreach (var (k, t) in own)
            if (state.TryGetValue(k, out var v) && v is null)
                errors.Add($"While copying the parameter named \"{k}\", expected a Tensor from checkpoint but received null.");
            else if (v is not null && !v.Shape.SequenceEqual(t.Shape))
                errors.Add($"size mismatch for {k}: copying a param with shape {Shapes.Format(v.Shape)} from checkpoint, the shape in current model is {Shapes.Format(t.Shape)}.");
        if (errors.Count > 0)
            throw new ArgumentException($"Error(s) in loading state_dict for {GetType().Name}:\n\t" + string.Join("\n\t", errors));
        using var _ = Autograd.NoGrad();
        foreach (var (k, t) in own)
            if (state.TryGetValue(k, out var v)) t.Copy_(v);
    }

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
