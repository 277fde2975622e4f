using System.Globalization;
using System.Text;

namespace Trace;

public sealed partial class Tensor
{
    private const int SummarizeThreshold = 1000, EdgeItems = 3, LineWidth = 80;

    /// <summary>
    /// PyTorch-style text: <c>tensor([[ 0.1000, -2.0000], ...])</c>, elided with "..." above 1000 elements,
    /// with the dtype shown when it is not the default (float32, int64, bool).
    /// </summary>
    public override string ToString()
    {
        if (Device.Type != DeviceType.Cpu) return $"tensor(<{Shapes.Format(_shape)} on {Device}>, dtype={DType.TorchName()})";
        const string prefix = "tensor(";
        bool summarize = Numel > SummarizeThreshold;
        var fmt = ElementFormatter.For(this, summarize);
        var sb = new StringBuilder(prefix);
        if (Numel == 0) sb.Append("[]");
        else if (Dim == 0) sb.Append(fmt.Format(this, StorageOffset).Trim());
        else AppendDim(sb, this, fmt, prefix.Length, summarize);
        var suffix = new List<string>();
        if (Numel == 0 && Dim != 1) suffix.Add($"size={Shapes.Format(_shape)}");
        if (DType is not (DType.Float32 or DType.Int64 or DType.Bool)) suffix.Add($"dtype={DType.TorchName()}");
        if (Device.Type != DeviceType.Cpu) suffix.Add($"device='{Device}'");
        foreach (var s in suffix) sb.Append(", ").Append(s);
        return sb.Append(')').ToString();
    }

    private static void AppendDim(StringBuilder sb, Tensor t, ElementFormatter fmt, int indent, bool summarize)
    {
        int n = t._shape[0];
        bool elide = summarize && n > 2 * EdgeItems;
        var items = elide ? Enumerable.Range(0, EdgeItems).Concat([-1]).Concat(Enumerable.Range(n - EdgeItems, EdgeItems)) : Enumerable.Range(0, n);
        sb.Append('[');
        if (t.Dim == 1)
        {
            int lineStart = sb.Length, first = 1;
            foreach (int i in items)
            {
                string s = i < 0 ? "..." : fmt.Format(t, t.StorageOffset + i * t._strides[0]);
                if (first == 0)
                {
                    sb.Append(',');
                    if (sb.Length - lineStart + s.Length + 2 > LineWidth - indent)
                    {
                        sb.Append('\n').Append(' ', indent + 1);
                        lineStart = sb.Length;
                    }
                    else sb.Append(' ');
                }
                sb.Append(s);
                first = 0;
            }
        }
        else
        {
            bool firstItem = true;
            foreach (int i in items)
            {
                if (!firstItem)
                {
                    sb.Append(',').Append('\n', t.Dim - 1).Append(' ', indent + 1);
                }
                if (i < 0) sb.Append("...");
                else AppendDim(sb, t.Select(0, i), fmt, indent + 1, summarize);
                firstItem = false;
            }
        }
        sb.Append(']');
    }

    /// <summary>Chooses one number format for all printed elements, as PyTorch's _Formatter does.</summary>
    private sealed class ElementFormatter
    {
        private enum Mode { Int, Bool, FloatInt, Fixed, Sci }
        private Mode _mode;
        private int _width;

        public static ElementFormatter For(Tensor t, bool summarize)
        {
            var f = new ElementFormatter();
            if (t.DType == DType.Bool) { f._mode = Mode.Bool; f._width = 5; return f; }
            var shown = summarize ? Shown(t) : t.ToArray<double>();
            if (!t.IsFloatingPoint) f._mode = Mode.Int;
            else
            {
                var finite = shown.Where(double.IsFinite).Select(Math.Abs).ToArray();
                var nonzero = finite.Where(v => v != 0).ToArray();
                bool allInt = finite.All(v => v == Math.Floor(v));
                double max = nonzero.Length > 0 ? nonzero.Max() : 0, min = nonzero.Length > 0 ? nonzero.Min() : 0;
                if (allInt) f._mode = max > 1e8 ? Mode.Sci : Mode.FloatInt;
                else f._mode = nonzero.Length > 0 && (max / min > 1000 || max > 1e8 || min < 1e-4) ? Mode.Sci : Mode.Fixed;
            }
            f._width = shown.Length == 0 ? 1 : shown.Max(v => f.Text(v).Length);
            return f;
        }

        private static double[] Shown(Tensor t)
        {
            // Only the elements that will be printed decide the format (edge items of every dim).
            if (t.Dim == 0) return t.ToArray<double>();
            int n = t._shape[0];
            var idx = n > 2 * EdgeItems ? Enumerable.Range(0, EdgeItems).Concat(Enumerable.Range(n - EdgeItems, EdgeItems)) : Enumerable.Range(0, n);
            return idx.SelectMany(i => Shown(t.Select(0, i))).ToArray();
        }

        public string Format(Tensor t, int offset)
        {
            double v = t.DType switch
            {
                DType.Float32 => t.Data<float>()[offset],
                DType.Float64 => t.Data<double>()[offset],
                DType.Int64 => t.Data<long>()[offset],
                DType.Int32 => t.Data<int>()[offset],
                _ => t.Data<bool>()[offset] ? 1 : 0,
            };
            string s = t.DType == DType.Int64 ? t.Data<long>()[offset].ToString(CultureInfo.InvariantCulture) : Text(v);
            return s.PadLeft(_width);
        }

        private string Text(double v)
        {
            if (_mode == Mode.Bool) return v != 0 ? "True" : "False";
            if (_mode == Mode.Int) return ((long)v).ToString(CultureInfo.InvariantCulture);
            if (double.IsNaN(v)) return "nan";
            if (double.IsInfinity(v)) return v > 0 ? "inf" : "-inf";
            return _mode switch
            {
                Mode.FloatInt => v.ToString("0", CultureInfo.InvariantCulture) + ".",
                Mode.Fixed => v.ToString("0.0000", CultureInfo.InvariantCulture),
                _ => v.ToString("0.0000e+00", CultureInfo.InvariantCulture),
            };
        }
    }
}
