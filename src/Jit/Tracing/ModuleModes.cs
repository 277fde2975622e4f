using Trace.Nn;

namespace Trace.Jit;

/// <summary>
/// The training flags of every module in a traced model's tree: forward code branches on them in .NET (dropout,
/// running statistics), so they are part of each specialization's key. The module list is collected again only
/// when some module's registrations change.
/// </summary>
internal sealed class ModuleModes(Module? root)
{
    private (string Name, Module Module)[] _modules = [];
    private int _version = -1;
    private string[]? _fixedNames;
    private bool[]? _fixed;

    /// <summary>
    /// The modes of a module tree that is not here (a model loaded from a file): its saved module names and modes, which
    /// <see cref="SetAll"/> changes.
    /// </summary>
    public ModuleModes(string[] names, bool[] modes) : this(root: null)
    {
        _fixedNames = names;
        _fixed = [.. modes];
    }

    /// <summary>Puts every module of a loaded tree in training (true) or eval mode.</summary>
    public void SetAll(bool training)
    {
        if (_fixed is null) throw new InvalidOperationException("JIT: the modes of a traced model are its modules' (call Train()/Eval() on the model).");
        Array.Fill(_fixed, training);
    }

    /// <summary>True for the modes of a loaded module tree (see <see cref="SetAll"/>).</summary>
    public bool IsFixed => _fixed is not null;

    /// <summary>Each module's name (<c>1.0</c>; the root is its type name), in the order of <see cref="Current"/>.</summary>
    public IReadOnlyList<string> Names
    {
        get
        {
            if (_fixedNames is not null) return _fixedNames;
            Refresh();
            return [.. _modules.Select(m => m.Name.Length == 0 ? m.Module.GetType().Name : $"{m.Name} ({m.Module.GetType().Name})")];
        }
    }

    /// <summary>Whether each module is in training mode now.</summary>
    public bool[] Current()
    {
        if (_fixed is not null) return [.. _fixed];
        Refresh();
        var modes = new bool[_modules.Length];
        for (int i = 0; i < modes.Length; i++) modes[i] = _modules[i].Module.IsTraining;
        return modes;
    }

    private void Refresh()
    {
        if (root is null || _version == Module.StructureVersion) return;
        _modules = [.. root.NamedModules()];
        _version = Module.StructureVersion;
    }
}
