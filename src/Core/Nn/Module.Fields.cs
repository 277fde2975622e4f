using System.Collections.Concurrent;
using System.Reflection;

namespace Trace.Nn;

/// <summary>
/// What a module finds in its own fields: submodules (once, at the first walk) and parameter fields (read again at
/// every walk, so a field assigned a new <see cref="Parameter"/> is seen). For each tensor field of a derived class,
/// in declaration order (base class first):
/// <list type="bullet">
/// <item>null, or a tensor this module registered (a property's backing field such as <c>Linear.Weight</c>): skipped;</item>
/// <item>a tensor another module registered with <see cref="RegisterParameter"/>: an alias (e.g. <c>_w = lin.Weight</c>), skipped;</item>
/// <item>a tensor marked by <see cref="Parameter"/>: a parameter named after the field (<c>_scale</c> → <c>scale</c>);</item>
/// <item>any other leaf that requires grad: an error saying how to declare it, never silently left out;</item>
/// <item>anything else (constants, cached outputs): a plain field, not part of the state.</item>
/// </list>
/// </summary>
public abstract partial class Module
{
    /// <summary>Per derived type: its instance fields holding modules and those holding tensors, in declaration order.</summary>
    private static readonly ConcurrentDictionary<Type, (FieldInfo[] Modules, FieldInfo[] Tensors)> FieldsByType = new();

    private FieldInfo[] _tensorFields = [];
    private Tensor?[] _tensorFieldValues = [];

    /// <summary>
    /// Marks <paramref name="data"/> as a parameter, as PyTorch's <c>nn.Parameter(data, requires_grad)</c>: a tensor
    /// field of a module holding it is then one of the module's parameters, named after the field, and appears in
    /// <see cref="NamedParameters"/>, <see cref="StateDict"/>, <see cref="LoadStateDict"/>, <see cref="To(Device)"/>,
    /// <see cref="To(DType)"/> and <see cref="ZeroGrad"/>. Returns <paramref name="data"/> itself when it is a leaf,
    /// else a detached tensor sharing its storage (a parameter is always a leaf). The field is read at every walk of
    /// the module, so assigning it a new parameter later is seen by the next <see cref="NamedParameters"/> (and by
    /// traced modules from then on).
    /// </summary>
    /// <example><code>
    /// sealed class Scale : Module
    /// {
    ///     private readonly Tensor _gain = Parameter(Tensor.Ones(4));   // parameter "gain"
    ///     public override Tensor Forward(Tensor x) => x.Mul(_gain);
    /// }
    /// </code></example>
    /// <param name="data">The initial value.</param>
    /// <param name="requiresGrad">Whether optimizers train it; a frozen parameter is still part of the state dict.</param>
    /// <exception cref="ArgumentException"><paramref name="requiresGrad"/> for a tensor that is not floating point.</exception>
    public static Tensor Parameter(Tensor data, bool requiresGrad = true)
    {
        ArgumentNullException.ThrowIfNull(data);
        if (requiresGrad && !data.IsFloatingPoint)
            throw new ArgumentException($"Parameter: only floating point tensors can require gradients, got a {data.DType.TorchName()} tensor of shape {Shapes.Format(data.Shape)}; pass requiresGrad: false for a non-trainable integer parameter.", nameof(data));
        var p = data.IsLeaf ? data : data.Detach();
        p.RequiresGrad = requiresGrad;
        if (p.ParameterMark == ParameterMark.None) p.ParameterMark = ParameterMark.Declared;
        return p;
    }

    /// <summary>Finds submodules held in fields that were not registered explicitly (once, even when several threads walk the module at once).</summary>
    private void ScanFields()
    {
        if (_fieldsScanned) return;
        lock (_scanGate)
        {
            if (_fieldsScanned) return;
            var (modules, tensors) = FieldsByType.GetOrAdd(GetType(), FieldsOf);
            Interlocked.Increment(ref _structureVersion);
            foreach (var f in modules)
            {
                if (f.GetValue(this) is not Module m) continue;
                if (_modules.Any(e => ReferenceEquals(e.Value, m))) continue;
                _modules.Add((FieldName(f.Name), m));
            }
            _tensorFieldValues = [.. tensors.Select(f => (Tensor?)f.GetValue(this))];
            _tensorFields = tensors;
            _fieldsScanned = true;
        }
    }

    private static (FieldInfo[] Modules, FieldInfo[] Tensors) FieldsOf(Type type)
    {
        var fields = new List<FieldInfo>();
        for (var t = type; t is not null && t != typeof(Module); t = t.BaseType)
            fields.InsertRange(0, t.GetFields(BindingFlags.Instance | BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.DeclaredOnly));
        return ([.. fields.Where(f => typeof(Module).IsAssignableFrom(f.FieldType))], [.. fields.Where(f => f.FieldType == typeof(Tensor))]);
    }

    private static string FieldName(string name)
    {
        if (name.StartsWith('<') && name.Contains(">k__BackingField", StringComparison.Ordinal)) return name[1..name.IndexOf('>')];
        return name.TrimStart('_');
    }

    /// <summary>This module's own parameters: the registered ones, then the parameter fields (read now).</summary>
    private List<(string Name, Tensor Parameter)> OwnParameters()
    {
        ScanFields();
        var own = new List<(string, Tensor)>(_parameters.Count + _tensorFields.Length);
        foreach (var (name, p) in _parameters)
            if (p is not null) own.Add((name, p));
        for (int i = 0; i < _tensorFields.Length; i++)
        {
            var f = _tensorFields[i];
            var t = (Tensor?)f.GetValue(this);
            var before = _tensorFieldValues[i];
            if (!ReferenceEquals(t, before))
            {
                // A parameter field now holds another tensor: callers caching this tree's tensors (the JIT) collect them
                // again. A field caching outputs changes at every call without affecting the parameters.
                _tensorFieldValues[i] = t;
                if (t?.ParameterMark == ParameterMark.Declared || before?.ParameterMark == ParameterMark.Declared)
                    Interlocked.Increment(ref _structureVersion);
            }
            if (t is null || t.ParameterMark == ParameterMark.Registered || IsRegisteredHere(t)) continue;
            if (t.ParameterMark == ParameterMark.Declared) own.Add((FieldParameterName(f, own), t));
            else if (t.RequiresGrad && t.IsLeaf)
                throw new InvalidOperationException(
                    $"{GetType().Name}: field '{f.Name}' holds a leaf tensor of shape {Shapes.Format(t.Shape)} that requires grad but is not a parameter, " +
                    $"so Parameters(), StateDict(), To() and optimizers would silently leave it out. Declare it as a parameter with " +
                    $"'{f.Name} = Parameter(tensor)' (like PyTorch's nn.Parameter) or register it with RegisterParameter(\"{FieldName(f.Name)}\", tensor); " +
                    "if it is not trainable, store it without requires_grad (RegisterBuffer for state, or Detach()).");
        }
        return own;
    }

    private bool IsRegisteredHere(Tensor t) =>
        _parameters.Any(e => ReferenceEquals(e.Value, t)) || _buffers.Any(e => ReferenceEquals(e.Value, t));

    /// <summary>The name of parameter field <paramref name="f"/>, checked against the names this module already uses.</summary>
    private string FieldParameterName(FieldInfo f, List<(string Name, Tensor Parameter)> own)
    {
        string name = FieldName(f.Name);
        string? clash = own.Any(e => e.Name == name) ? "parameter"
            : _buffers.Any(e => e.Name == name) ? "buffer"
            : _modules.Any(e => e.Name == name) ? "submodule" : null;
        if (clash is not null)
            throw new InvalidOperationException($"{GetType().Name}: parameter field '{f.Name}' would be named '{name}', but this module already has a {clash} named '{name}'; rename the field or register the tensor under another name with RegisterParameter.");
        CheckName(name);
        return name;
    }
}
