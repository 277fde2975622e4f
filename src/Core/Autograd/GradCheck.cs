using System.Text;

namespace Trace;

public static partial class Autograd
{
    /// <summary>
    /// Checks the gradients of <paramref name="f"/> against central finite differences (like
    /// <c>torch.autograd.gradcheck</c>): for every input that requires grad, the full Jacobian computed by
    /// backward must match the numerical one within <c>atol + rtol·|numerical|</c>. Inputs that require grad
    /// must be float64. Throws <see cref="GradCheckException"/> describing the first mismatches; returns true.
    /// </summary>
    public static bool GradCheck(Func<Tensor[], Tensor> f, Tensor[] inputs, double eps = 1e-6, double atol = 1e-5, double rtol = 1e-3)
    {
        var diff = inputs.Where(t => t.RequiresGrad).ToArray();
        if (diff.Length == 0) throw new ArgumentException("GradCheck: no input requires grad; set RequiresGrad on the inputs to check.");
        foreach (var t in diff)
            if (t.DType != DType.Float64)
                throw new ArgumentException($"GradCheck: inputs must be float64 for finite differences to be meaningful, got {t.DType.TorchName()} (shape {Shapes.Format(t.Shape)}).");

        Tensor output;
        using (EnableGrad()) output = f(inputs);
        if (!output.IsFloatingPoint) throw new ArgumentException($"GradCheck: output must be floating point, got {output.DType.TorchName()}.");
        var outFlat = output.Reshape(-1);
        int nOut = outFlat.Numel;

        var report = new StringBuilder();
        int failures = 0;
        for (int i = 0; i < inputs.Length; i++)
        {
            var x = inputs[i];
            if (!x.RequiresGrad) continue;
            var numerical = NumericalJacobian(f, inputs, x, nOut, eps);
            var analytical = AnalyticalJacobian(output, x, nOut);
            for (int r = 0; r < x.Numel; r++)
                for (int c = 0; c < nOut; c++)
                {
                    double n = numerical[r, c], a = analytical[r, c];
                    if (Closeness.IsClose(a, n, rtol, atol)) continue;
                    if (failures++ < 8)
                        report.AppendLine($"  input {i} (shape {Shapes.Format(x.Shape)}) element {r}, output element {c}: analytical {a:G6} vs numerical {n:G6}");
                }
        }
        if (failures > 0)
            throw new GradCheckException($"GradCheck: Jacobian mismatch in {failures} entr{(failures == 1 ? "y" : "ies")} (atol={atol}, rtol={rtol}):\n{report}");
        return true;
    }

    private static double[,] NumericalJacobian(Func<Tensor[], Tensor> f, Tensor[] inputs, Tensor x, int nOut, double eps)
    {
        var jac = new double[x.Numel, nOut];
        var copy = DeviceKernels.For(x.Device, "GradCheck").Copy;
        var shape = x.Shape.ToArray();
        var idx = new int[shape.Length];
        Span<double> value = stackalloc double[1];
        using var _ = NoGrad();
        for (int r = 0; r < x.Numel; r++)
        {
            int off = x.StorageOffset;
            for (int d = 0; d < shape.Length; d++) off += idx[d] * x.Strides[d];
            // Perturb the element in place through a 0-dim view of it (no version bump: the input is not modified).
            var element = new Tensor(x.Storage, [], [], off);
            copy.CopyToHost(element, value);
            double orig = value[0];
            copy.CopyFromHost<double>([orig + eps], element);
            var plus = f(inputs).To(DType.Float64).ToArray<double>();
            copy.CopyFromHost<double>([orig - eps], element);
            var minus = f(inputs).To(DType.Float64).ToArray<double>();
            copy.CopyFromHost<double>([orig], element);
            for (int c = 0; c < nOut; c++) jac[r, c] = (plus[c] - minus[c]) / (2 * eps);
            for (int d = shape.Length - 1; d >= 0 && ++idx[d] == shape[d]; d--) idx[d] = 0;
        }
        return jac;
    }

    private static double[,] AnalyticalJacobian(Tensor output, Tensor x, int nOut)
    {
        var jac = new double[x.Numel, nOut];
        for (int c = 0; c < nOut; c++)
        {
            var oneHot = Tensor.Zeros(output.Shape.ToArray(), output.DType);
            oneHot.Reshape(-1)[c].Fill_(1);
            var saved = x.Grad;
            x.Grad = null;
            output.Backward(oneHot, retainGraph: true);
            var g = x.Grad?.To(DType.Float64).ToArray<double>();
            x.Grad = saved;
            for (int r = 0; r < x.Numel; r++) jac[r, c] = g is null ? 0 : g[r];
        }
        return jac;
    }
}

/// <summary>Thrown by <see cref="Autograd.GradCheck"/> when analytical and numerical gradients disagree.</summary>
public sealed class GradCheckException(string message) : Exception(message);
