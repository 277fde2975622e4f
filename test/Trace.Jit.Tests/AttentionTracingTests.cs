using Microsoft.VisualStudio.TestTools.UnitTesting;
using Trace.Nn;
using Trace.Testing;
using F = Trace.Nn.Functional;

namespace Trace.Jit.Tests;

/// <summary>Scaled dot-product attention, MultiheadAttention and a transformer encoder layer traced, against eager in values and gradients.</summary>
[TestClass]
[DoNotParallelize]
public class AttentionTracingTests
{
    private static Device DeviceOf(string device) => device == "cpu" ? Device.Cpu : Device.Cuda();

    /// <summary>
    /// Calls <paramref name="traced"/> and <paramref name="eager"/> on fresh inputs twice (the first
    /// <paramref name="differentiable"/> of them leaves that require grad), comparing outputs and the gradients of those
    /// leaves and of <paramref name="parameters"/>.
    /// </summary>
    private static void AssertMatchesEager(Func<Tensor[], Tensor> eager, TracedModule traced, Func<Tensor[]> inputs, Tensor[] parameters, string what, int differentiable = int.MaxValue)
    {
        for (int call = 0; call < 2; call++)
        {
            var x = inputs();
            var xe = x.Select((t, i) => i < differentiable ? t.Detach().Clone().RequiresGrad_() : t).ToArray();
            var xt = x.Select((t, i) => i < differentiable ? t.Detach().Clone().RequiresGrad_() : t).ToArray();
            var ye = eager(xe);
            var yt = traced.Call(xt)[0];
            TraceAssert.AllClose(ye, yt, 1e-5, 1e-5, $"{what} call {call}: output");
            var leaves = xe.Where(t => t.RequiresGrad).ToArray();
            var ge = Autograd.Grad([ye.Square().Sum()], [.. leaves, .. parameters]);
            var gt = Autograd.Grad([yt.Square().Sum()], [.. xt.Where(t => t.RequiresGrad), .. parameters]);
            for (int i = 0; i < ge.Length; i++) TraceAssert.AllClose(ge[i]!, gt[i]!, 1e-4, 1e-5, $"{what} call {call}: gradient {i}");
        }
    }

    [TestMethod]
    [DataRow("cpu")]
    [DataRow("cuda")]
    public void CausalAndMaskedAttentionTraceLikeEager(string device)
    {
        var dev = DeviceOf(device);
        var g = new Generator(701);
        Tensor[] Inputs() => [Tensor.Randn([2, 2, 5, 4], generator: g).To(dev), Tensor.Randn([2, 2, 5, 4], generator: g).To(dev), Tensor.Randn([2, 2, 5, 3], generator: g).To(dev)];
        Tensor Causal(Tensor[] v) => F.ScaledDotProductAttention(v[0], v[1], v[2], isCausal: true);
        AssertMatchesEager(Causal, Jit.Trace(Causal, Inputs(), new TraceOptions { CheckTrace = false }), Inputs, [], $"{device} causal");
        // A float mask as a graph input, and a custom scale.
        Tensor[] Masked() => [.. Inputs(), Tensor.Randn([5, 5], generator: g).To(dev)];
        Tensor WithMask(Tensor[] v) => F.ScaledDotProductAttention(v[0], v[1], v[2], v[3], scale: 0.4);
        AssertMatchesEager(WithMask, Jit.Trace(WithMask, Masked(), new TraceOptions { CheckTrace = false }), Masked, [], $"{device} float mask", differentiable: 3);
    }

    [TestMethod]
    public void MultiheadAttentionWithAKeyPaddingMaskTracesLikeEager()
    {
        var dev = Device.Cpu;
        const string device = "cpu";
        var g = new Generator(702);
        var mha = new MultiheadAttention(8, 2, batchFirst: true, generator: g);
        mha.To(dev);
        var pad = Tensor.From(new[] { false, false, false, true, false, false, true, true }, [2, 4]).To(dev);
        Tensor Attend(Tensor[] v)
        {
            var (output, weights) = mha.Forward(v[0], v[1], v[1], keyPaddingMask: pad);
            return output.Sum(-1).Unsqueeze(-1).Add(weights!.Sum(-1, keepdim: true)).Add(output);
        }
        Tensor[] Inputs() => [Tensor.Randn([2, 3, 8], generator: g).To(dev), Tensor.Randn([2, 4, 8], generator: g).To(dev)];
        var traced = Jit.Trace(Attend, Inputs(), new TraceOptions { CheckTrace = false });
        AssertMatchesEager(Attend, traced, Inputs, [.. mha.Parameters()], $"{device} MultiheadAttention");
    }

    [TestMethod]
    [DataRow(false)]
    [DataRow(true)]
    public void AnEncoderLayerTracesLikeEager(bool normFirst)
    {
        var g = new Generator(703);
        var layer = new TransformerEncoderLayer(8, 2, 16, dropout: 0.0, activation: "gelu", batchFirst: true, normFirst: normFirst, generator: g);
        Tensor[] Inputs() => [Tensor.Randn([3, 5, 8], generator: g)];
        // As a module (Forward(Tensor): unmasked self-attention) ...
        var traced = Jit.Trace(layer, Inputs()[0], new TraceOptions { CheckTrace = false });
        AssertMatchesEager(v => layer.Forward(v[0]), traced, Inputs, [.. layer.Parameters()], $"norm_first={normFirst} module");
        // ... and as a function of the input and a causal float mask.
        var mask = TransformerEncoder.GenerateSquareSubsequentMask(5);
        Tensor[] WithMask() => [.. Inputs(), mask];
        Tensor Causal(Tensor[] v) => layer.Forward(v[0], v[1], isCausal: true);
        AssertMatchesEager(Causal, Jit.Trace(Causal, WithMask(), new TraceOptions { CheckTrace = false }), WithMask, [.. layer.Parameters()], $"norm_first={normFirst} causal", differentiable: 1);
    }
}
