using System.Collections;

namespace Trace.Nn;

/// <summary>Runs modules in order, feeding each output to the next; submodules are named "0", "1", ...</summary>
public sealed class Sequential : Module, IEnumerable<Module>
{
    private readonly List<Module> _layers = [];

    /// <summary>Creates the chain.</summary>
    public Sequential(params Module[] modules)
    {
        foreach (var m in modules) Append(m);
    }

    /// <summary>Adds a module at the end.</summary>
    public Sequential Append(Module module)
    {
        RegisterModule(_layers.Count.ToString(System.Globalization.CultureInfo.InvariantCulture), module);
        _layers.Add(module);
        return this;
    }

    /// <summary>Number of modules.</summary>
    public int Count => _layers.Count;

    /// <summary>The i-th module.</summary>
    public Module this[int index] => _layers[index];

    /// <inheritdoc/>
    public override Tensor Forward(Tensor input)
    {
        foreach (var m in _layers) input = m.Forward(input);
        return input;
    }

    /// <inheritdoc/>
    public IEnumerator<Module> GetEnumerator() => _layers.GetEnumerator();
    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();
}

/// <summary>Holds submodules in a list (registered as "0", "1", ...); has no Forward of its own.</summary>
public sealed class ModuleList : Module, IEnumerable<Module>
{
    private readonly List<Module> _items = [];

    /// <summary>Creates the list.</summary>
    public ModuleList(params Module[] modules)
    {
        foreach (var m in modules) Add(m);
    }

    /// <summary>Adds a module.</summary>
    public void Add(Module module)
    {
        RegisterModule(_items.Count.ToString(System.Globalization.CultureInfo.InvariantCulture), module);
        _items.Add(module);
    }

    /// <summary>Number of modules.</summary>
    public int Count => _items.Count;

    /// <summary>The i-th module.</summary>
    public Module this[int index] => _items[index];

    /// <inheritdoc/>
    public IEnumerator<Module> GetEnumerator() => _items.GetEnumerator();
    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();
}

/// <summary>
/// Holds submodules by string key in insertion order (like <c>torch.nn.ModuleDict</c>); each is registered as a
/// child named by its key (<c>encoders.text.weight</c>). Keys follow the rules of other module names (non-empty, no
/// '.'). Setting an existing key replaces its module in place, keeping its position. Has no Forward of its own.
/// </summary>
/// <example><code>
/// var heads = new ModuleDict { ["cls"] = new Linear(64, 10), ["box"] = new Linear(64, 4) };
/// foreach (var (name, head) in heads) outputs[name] = head.Forward(features);
/// </code></example>
public sealed class ModuleDict : Module, IEnumerable<(string Key, Module Module)>
{
    private readonly List<string> _keys = [];
    private readonly Dictionary<string, Module> _items = [];

    /// <summary>Creates an empty dict; fill it with <see cref="Add"/> or the indexer (or a collection initializer).</summary>
    public ModuleDict() { }

    /// <summary>Creates the dict from (key, module) pairs, in their order.</summary>
    /// <exception cref="ArgumentException">An invalid or repeated key.</exception>
    public ModuleDict(IEnumerable<(string Key, Module Module)> modules)
    {
        ArgumentNullException.ThrowIfNull(modules);
        foreach (var (key, module) in modules) Add(key, module);
    }

    /// <summary>Adds <paramref name="module"/> under a new <paramref name="key"/>.</summary>
    /// <exception cref="ArgumentException">The key is empty, contains '.', or is already present.</exception>
    public void Add(string key, Module module)
    {
        ArgumentNullException.ThrowIfNull(key);
        ArgumentNullException.ThrowIfNull(module);
        if (_items.ContainsKey(key))
            throw new ArgumentException($"ModuleDict: key '{key}' is already present; set it with the indexer to replace its module.", nameof(key));
        Set(key, module);
    }

    /// <summary>The module under <paramref name="key"/>; setting a new key adds it at the end, an existing key is replaced in place.</summary>
    /// <exception cref="KeyNotFoundException">Getting a key that is not present.</exception>
    /// <exception cref="ArgumentException">Setting an empty key or one containing '.'.</exception>
    public Module this[string key]
    {
        get
        {
            ArgumentNullException.ThrowIfNull(key);
            return _items.TryGetValue(key, out var m) ? m
                : throw new KeyNotFoundException($"ModuleDict: no module under key '{key}'; the keys are [{string.Join(", ", _keys.Select(k => $"'{k}'"))}].");
        }
        set
        {
            ArgumentNullException.ThrowIfNull(key);
            ArgumentNullException.ThrowIfNull(value);
            Set(key, value);
        }
    }

    private void Set(string key, Module module)
    {
        RegisterModule(key, module);   // validates the key; an existing name keeps its position
        if (!_items.ContainsKey(key)) _keys.Add(key);
        _items[key] = module;
    }

    /// <summary>Number of modules.</summary>
    public int Count => _keys.Count;

    /// <summary>True when a module is stored under <paramref name="key"/>.</summary>
    public bool ContainsKey(string key) => _items.ContainsKey(key);

    /// <summary>The module under <paramref name="key"/>, or false when there is none.</summary>
    public bool TryGetValue(string key, [System.Diagnostics.CodeAnalysis.MaybeNullWhen(false)] out Module module) => _items.TryGetValue(key, out module);

    /// <summary>The keys in insertion order.</summary>
    public IReadOnlyList<string> Keys => [.. _keys];

    /// <summary>The modules in key order.</summary>
    public IReadOnlyList<Module> Values => [.. _keys.Select(k => _items[k])];

    /// <summary>Enumerates (key, module) pairs in insertion order.</summary>
    public IEnumerator<(string Key, Module Module)> GetEnumerator()
    {
        foreach (var k in _keys.ToArray()) yield return (k, _items[k]);
    }

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();
}
