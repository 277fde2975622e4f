namespace Trace;

/// <summary>
/// A device's fused optimizer updates. The optimizer has made each parameter, its gradient and its state buffers
/// contiguous tensors of one floating dtype and shape on this device and computed the step's scalars
/// (<see cref="FusedUpdate"/>); the device runs all of a param group's updates as one multi-tensor step.
/// </summary>
internal interface IOptimizerKernels
{
    /// <summary>
    /// Runs one multi-tensor step over <paramref name="updates"/> (all on this device; SGD and Adam updates of float32
    /// and float64 tensors, mixed in any order), each parameter's elements updated exactly once. The CPU splits the
    /// concatenated elements across cores; CUDA queues one launch per chunk of parameters of one kind and dtype.
    /// </summary>
    /// <exception cref="InvalidOperationException">An update of a kind this device has no kernel for.</exception>
    void RunStep(IReadOnlyList<FusedUpdate> updates);
}
