namespace Trace.Jit;

/// <summary>
/// One recorded trace before compilation: <paramref name="Raw"/> is the joint forward+backward graph when
/// <paramref name="GradInputs"/> is set (the call input each gradient output belongs to), else the forward;
/// <paramref name="ForwardRaw"/> is the forward alone; <paramref name="Lifted"/> are the captured tensors that became inputs;
/// <paramref name="Captured"/> the pre-existing tensors frozen into constants, with their versions (see <see cref="TracedModule.Specialization.Captured"/>);
/// <paramref name="GradOutputs"/>, with <paramref name="GradInputs"/>, the forward outputs that have a gradient placeholder in the joint graph.
/// </summary>
internal sealed record Recording(Signature Signature, Graph Raw, Graph ForwardRaw, Tensor[] Lifted, int[]? GradInputs, string? EagerBackward,
    (Tensor Source, int Version)[] Captured, int[]? GradOutputs = null);
