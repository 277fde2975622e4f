using System.Globalization;
using System.Text;

namespace Trace;

public sealed partial class Tensor
{
    private const int SummarizeThreshold = 1000, EdgeItems = 3, LineWidth = 80;

    /// <summary>
    /// PyTorch-style text: <c>tensor([[ 0.1000, -2.0000], ...])</c>, elided with "..." above 1000 elements,
    /// with the dtype shown when it is not the default (float32, int64, bool; for empty tensors, float32).
    /// Follows PyTorch's <c>_tensor_str.py</c>: one number format and width for all printed elements, a
    /// fixed number of elements per line, and suffixes moved to a new line when the last line is full.
    /// </summary>
    /// <remarks>A CUDA tensor is read through a host copy (which waits for the queued kernels) and printed with a <c>device='cuda:0'</c> suffix.</remarks>
    public override string ToString()
    {
        // Printing is not control flow: no value guards for tracers.
        using var _ = Dispatch.Internal();
        Storage.CheckAlive("Tensor.ToString");
        return Device.Type == DeviceType.Cpu ? Format(null) : CudaTransfer.ToCpu(this).Format($"device='{Device}'");
    }

    private string Format(string? deviceSuffix)
    {
        const string prefix = "tensor(";
        int indent = prefix.Length;
        var sb = new StringBuilder(prefix);
        var suffix = new List<string>();
        if (deviceSuffix is not null) suffix.Add(deviceSuffix);
        if (Numel == 0)
        {
            sb.Append("[]");
            if (Dim != 1) suffix.Add($"size={Shapes.Format(_shape)}");
            if (DType != DTypes.DefaultFloat) suffix.Add($"dtype={DType.TorchName()}");
        }
        else
        {
            bool summarize = Numel > SummarizeThreshold;
            var fmt = ElementFormatter.For(this, summarize);
            if (Dim == 0) sb.Append(fmt.Format(this, StorageOffset));
            else AppendDim(sb, this, fmt, indent, summarize);
            if (DType is not (DType.Float32 or DType.Int64 or DType.Bool)) suffix.Add($"dtype={DType.TorchName()}");
        }
        // PyTorch's _add_suffixes, including its measure of the last line.
        int lastLine = sb.Length - sb.ToString().LastIndexOf('\n') + 1;
        foreach (var s in suffix)
        {
            if (lastLine + s.Length + 2 > LineWidth)
            {
                sb.Append(",\n").Append(' ', indent).Append(s);
                lastLine = indent + s.Length;
            }
            else
            {
                sb.Append(", ").Append(s);
                lastLine += s.Length + 2;
            }
        }
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
            // A fixed number of elements per line; the elision mark " ..." counts as one element.
            int perLine = Math.Max(1, (LineWidth - indent) / (fmt.Width + 2));
            int k = 0;
            foreach (int i in items)
            {
                if (k > 0) sb.Append(k % perLine == 0 ? ",\n" + new string(' ', indent + 1) : ", ");
                sb.Append(i < 0 ? " ..." : fmt.Format(t, t.StorageOffset + i * t._strides[0]));
                k++;
            }
        }
        else
        {
            bool firstItem = true;
            foreach (int i in items)
            {
                if (!firstItem) sb.Append(',').Append('\n', t.Dim - 1).Append(' ', indent + 1);
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

        /// <summary>Width every element is right-aligned to.</summary>
        public int Width { get; private set; } = 1;

        public static ElementFormatter For(Tensor t, bool summarize)
        {
            var f = new ElementFormatter();
            if (!t.IsFloatingPoint)
            {
                // Integers and bools: the width of the widest printed value.
                f._mode = t.DType == DType.Bool ? Mode.Bool : Mode.Int;
                foreach (long v in Shown<long>(t, summarize)) f.Width = Math.Max(f.Width, f.Text(v, v).Length);
                return f;
            }
            // Floats: only nonzero finite values decide the mode and the width (so nan/inf/0 may overhang).
            var nonzero = Shown<double>(t, summarize).Where(v => double.IsFinite(v) && v != 0).ToArray();
            f._mode = Mode.FloatInt;
            if (nonzero.Length == 0) return f;
            double max = nonzero.Max(Math.Abs), min = nonzero.Min(Math.Abs);
            bool wide = max / min > 1000 || max > 1e8;
            if (nonzero.All(v => v == Math.Ceiling(v))) f._mode = wide ? Mode.Sci : Mode.FloatInt;
            else f._mode = wide || min < 1e-4 ? Mode.Sci : Mode.Fixed;
            f.Width = Math.Max(1, nonzero.Max(v => f.Text(v, 0).Length));
            return f;
        }

        private static T[] Shown<T>(Tensor t, bool summarize) where T : unmanaged
        {
            // Only the elements that will be printed decide the format (edge items of every dim).
            if (!summarize || t.Dim == 0) return t.ToArray<T>();
            int n = t._shape[0];
            var idx = n > 2 * EdgeItems ? Enumerable.Range(0, EdgeItems).Concat(Enumerable.Range(n - EdgeItems, EdgeItems)) : Enumerable.Range(0, n);
            return idx.SelectMany(i => Shown<T>(t.Select(0, i), summarize)).ToArray();
        }

        /// <summary>The element of <paramref name="t"/>'s storage at <paramref name="offset"/>, formatted and right-aligned.</summary>
        public string Format(Tensor t, int offset)
        {
            // A 0-dim view of that element, read through the device's copy kernel (exact for every dtype as double or long).
            var element = new Tensor(t.Storage, [], [], offset);
            string s = t.IsFloatingPoint ? Text(element.Item<double>(), 0) : Text(0, element.Item<long>());
            return s.PadLeft(Width);
        }

        /// <summary>Python's formatting of one value: <paramref name="v"/> for floats, <paramref name="i"/> otherwise.</summary>
        private string Text(double v, long i)
        {
            if (_mode == Mode.Bool) return i != 0 ? "True" : "False";
            if (_mode == Mode.Int) return i.ToString(CultureInfo.InvariantCulture);
            if (double.IsNaN(v)) return "nan";
            if (double.IsInfinity(v)) return v > 0 ? "inf" : "-inf";
            // .NET's standard F/E formats round the exact binary value half-to-even, like Python's.
            return _mode switch
            {
                Mode.FloatInt => v.ToString("F0", CultureInfo.InvariantCulture) + ".",
                Mode.Fixed => v.ToString("F4", CultureInfo.InvariantCulture),
                _ => Sci(v),
            };
        }

        /// <summary>Python's <c>{:.4e}</c>: "1.0000e-05" (two or more exponent digits).</summary>
        private static string Sci(double v)
        {
            string s = v.ToString("E4", CultureInfo.InvariantCulture);
            int e = s.IndexOf('E');
            int exp = int.Parse(s.AsSpan(e + 1), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture);
            return s[..e] + (exp < 0 ? "e-" : "e+") + Math.Abs(exp).ToString("00", CultureInfo.InvariantCulture);
        }
    }
}
