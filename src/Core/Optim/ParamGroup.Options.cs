using System.Text.Json.Nodes;

namespace Trace.Optim;

/// <summary>A group's options by PyTorch's names, for state dicts (<c>lr</c>, <c>betas</c>, <c>weight_decay</c>, …).</summary>
public sealed partial class ParamGroup
{
    /// <summary>Every option name a group can have in a state dict, in PyTorch's spelling.</summary>
    internal static readonly string[] OptionNames =
        ["lr", "momentum", "dampening", "weight_decay", "nesterov", "maximize", "betas", "eps", "amsgrad", "alpha", "centered",
         "lr_decay", "initial_accumulator_value", "initial_lr"];

    /// <summary>The options that are set, by PyTorch's names (PyTorch's param group dict without <c>params</c>).</summary>
    internal JsonObject OptionsToJson()
    {
        var o = new JsonObject();
        void Num(string name, double? v) { if (v is { } x) o[name] = StateJson.Number(x); }
        void Flag(string name, bool? v) { if (v is { } x) o[name] = x; }
        Num("lr", _lr);
        Num("momentum", _momentum);
        Num("dampening", _dampening);
        Num("weight_decay", _weightDecay);
        Flag("nesterov", _nesterov);
        Flag("maximize", _maximize);
        if (_betas is { } b) o["betas"] = StateJson.Numbers([b.Item1, b.Item2]);
        Num("eps", _eps);
        Flag("amsgrad", _amsgrad);
        Num("alpha", _alpha);
        Flag("centered", _centered);
        Num("lr_decay", _lrDecay);
        Num("initial_accumulator_value", _initialAccumulatorValue);
        Num("initial_lr", InitialLr);
        return o;
    }

    /// <summary>
    /// A group without parameters holding this group's options with those of <paramref name="options"/> on top, unvalidated.
    /// An option this group does not have (the optimizer does not use it) or a value of the wrong kind is refused.
    /// </summary>
    /// <param name="options">Options by PyTorch's names (a state dict's param group).</param>
    /// <param name="where">Locates the group in messages, e.g. <c>Adam.LoadStateDict: param group 1 of the state dict</c>.</param>
    /// <exception cref="ArgumentException">An unknown or unused option, or a value of the wrong kind.</exception>
    internal ParamGroup WithOptions(JsonObject options, string where)
    {
        var g = new ParamGroup([]);
        g.CopyOptionsFrom(this);
        foreach (var (name, node) in options)
        {
            string what = $"{where}: option '{name}'";
            bool has = name switch
            {
                "lr" => _lr.HasValue, "momentum" => _momentum.HasValue, "dampening" => _dampening.HasValue,
                "weight_decay" => _weightDecay.HasValue, "nesterov" => _nesterov.HasValue, "maximize" => _maximize.HasValue,
                "betas" => _betas.HasValue, "eps" => _eps.HasValue, "amsgrad" => _amsgrad.HasValue, "alpha" => _alpha.HasValue,
                "centered" => _centered.HasValue, "lr_decay" => _lrDecay.HasValue,
                "initial_accumulator_value" => _initialAccumulatorValue.HasValue, "initial_lr" => true,
                _ => throw new ArgumentException($"{where} has an unknown option '{name}' (known: {string.Join(", ", OptionNames)})."),
            };
            if (!has) throw new ArgumentException($"{where} sets '{name}', an option this optimizer does not use; the state dict is probably another optimizer's.");
            switch (name)
            {
                case "lr": g._lr = StateJson.ReadDouble(node, what); break;
                case "momentum": g._momentum = StateJson.ReadDouble(node, what); break;
                case "dampening": g._dampening = StateJson.ReadDouble(node, what); break;
                case "weight_decay": g._weightDecay = StateJson.ReadDouble(node, what); break;
                case "nesterov": g._nesterov = StateJson.ReadBool(node, what); break;
                case "maximize": g._maximize = StateJson.ReadBool(node, what); break;
                case "betas":
                    var b = StateJson.ReadDoubles(node, what);
                    if (b.Length != 2) throw new ArgumentException($"{what} should be two numbers (beta1, beta2), got {StateJson.Text(node)}.");
                    g._betas = (b[0], b[1]);
                    break;
                case "eps": g._eps = StateJson.ReadDouble(node, what); break;
                case "amsgrad": g._amsgrad = StateJson.ReadBool(node, what); break;
                case "alpha": g._alpha = StateJson.ReadDouble(node, what); break;
                case "centered": g._centered = StateJson.ReadBool(node, what); break;
                case "lr_decay": g._lrDecay = StateJson.ReadDouble(node, what); break;
                case "initial_accumulator_value": g._initialAccumulatorValue = StateJson.ReadDouble(node, what); break;
                default: g.InitialLr = StateJson.ReadDouble(node, what); break;
            }
        }
        return g;
    }

    /// <summary>Sets every option (and <see cref="InitialLr"/>) to <paramref name="other"/>'s, without validation (the caller validated them).</summary>
    internal void CopyOptionsFrom(ParamGroup other)
    {
        (_lr, _momentum, _dampening, _weightDecay, _nesterov, _maximize) =
            (other._lr, other._momentum, other._dampening, other._weightDecay, other._nesterov, other._maximize);
        (_betas, _eps, _amsgrad, _alpha, _centered, _lrDecay, _initialAccumulatorValue) =
            (other._betas, other._eps, other._amsgrad, other._alpha, other._centered, other._lrDecay, other._initialAccumulatorValue);
        InitialLr = other.InitialLr;
    }
}
