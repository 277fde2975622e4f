using Trace.Kernels.Gpu;

namespace Trace;

/// <summary>
/// The CUDA fused optimizer updates (<see cref="GpuOptim"/>): multi-tensor launches, each updating a chunk of up to
/// <see cref="GpuChunk{TSlot}.Capacity"/> parameters of one kind (SGD or Adam), dtype and set of shared scalars, with
/// the CPU kernels' formulas and operation order. A parameter's own scalars (Adam's step size and eps at its step
/// count, SGD's first step) travel in its slot, so parameters whose step counts differ share a launch. Parameters keep
/// their order within a kind and dtype; nothing is read back to the host.
/// </summary>
internal sealed class CudaOptimizerKernels : IOptimizerKernels
{
    public void RunStep(IReadOnlyList<FusedUpdate> updates)
    {
        foreach (var u in updates)
            if (u is not (SgdUpdate<float> or SgdUpdate<double> or AdamUpdate<float> or AdamUpdate<double>))
                throw new InvalidOperationException($"CUDA optimizer step: no kernel for an update of type {u.GetType().Name}.");
        Sgd<float>(updates);
        Sgd<double>(updates);
        Adam<float>(updates);
        Adam<double>(updates);
    }

    /// <summary>Queues the SGD updates of element type <typeparamref name="T"/>, a launch per full chunk or change of shared scalars.</summary>
    private static void Sgd<T>(IReadOnlyList<FusedUpdate> updates) where T : unmanaged
    {
        var chunk = default(GpuChunk<GpuSgdSlot<T>>);
        var shared = default(GpuSgdArgs<T>);
        GpuDevice? gpu = null;
        foreach (var u in updates)
        {
            if (u is not SgdUpdate<T> s || s.Length == 0) continue;
            var args = new GpuSgdArgs<T>(s.Args, s.MomentumBuffer is not null);
            var d = CudaViews.Gpu(s.Param);
            var slot = new GpuSgdSlot<T>(CudaViews.Run<T>(s.Param), CudaViews.Run<T>(s.Grad), CudaViews.Run<T>(s.MomentumBuffer), s.Args.FirstStep);
            if (chunk.Count > 0 && d == gpu && args.Equals(shared) && chunk.TryAdd(slot)) continue;
            if (chunk.Count > 0) GpuOptim.Sgd(gpu!, chunk, shared);
            (chunk, shared, gpu) = (default, args, d);
            chunk.TryAdd(slot);
        }
        if (chunk.Count > 0) GpuOptim.Sgd(gpu!, chunk, shared);
    }

    /// <summary>Queues the Adam/AdamW updates of element type <typeparamref name="T"/>, a launch per full chunk or change of shared scalars.</summary>
    private static void Adam<T>(IReadOnlyList<FusedUpdate> updates) where T : unmanaged
    {
        var chunk = default(GpuChunk<GpuAdamSlot<T>>);
        var shared = default(GpuAdamArgs<T>);
        GpuDevice? gpu = null;
        foreach (var u in updates)
        {
            if (u is not AdamUpdate<T> a || a.Length == 0) continue;
            var args = new GpuAdamArgs<T>(a.Args, a.MaxExpAvgSq is not null);
            var d = CudaViews.Gpu(a.Param);
            var slot = new GpuAdamSlot<T>(CudaViews.Run<T>(a.Param), CudaViews.Run<T>(a.Grad), CudaViews.Run<T>(a.ExpAvg), CudaViews.Run<T>(a.ExpAvgSq),
                CudaViews.Run<T>(a.MaxExpAvgSq), a.Args);
            if (chunk.Count > 0 && d == gpu && args.Equals(shared) && chunk.TryAdd(slot)) continue;
            if (chunk.Count > 0) GpuOptim.Adam(gpu!, chunk, shared);
            (chunk, shared, gpu) = (default, args, d);
            chunk.TryAdd(slot);
        }
        if (chunk.Count > 0) GpuOptim.Adam(gpu!, chunk, shared);
    }
}
