namespace Trace;

/// <summary>
/// The CUDA families without kernels yet in this build (rows, linalg, indexing, optimizers): every call is a
/// <see cref="NotSupportedException"/> naming the op and saying how to run it (on the CPU, explicitly).
/// </summary>
internal sealed class CudaMissingKernels : IRowKernels, IIndexingKernels, IOptimizerKernels
{
    public void Gather(Tensor src, int dim, Tensor index, Tensor r, string op) => throw CudaViews.NoKernel(op);

    public void ScatterAdd(Tensor r, int dim, Tensor index, Tensor src, string op) => throw CudaViews.NoKernel(op);

    public void IndexSelect(Tensor src, int dim, Tensor index, Tensor r, string op) => throw CudaViews.NoKernel(op);

    public void IndexAdd(Tensor r, int dim, Tensor index, Tensor src, string op) => throw CudaViews.NoKernel(op);

    public void SgdStep(Tensor param, Tensor grad, Tensor? momentumBuffer, in Kernels.SgdStepArgs<float> args, int start, int end) => throw CudaViews.NoKernel("SGD.Step");

    public void SgdStep(Tensor param, Tensor grad, Tensor? momentumBuffer, in Kernels.SgdStepArgs<double> args, int start, int end) => throw CudaViews.NoKernel("SGD.Step");

    public void AdamStep(Tensor param, Tensor grad, Tensor expAvg, Tensor expAvgSq, Tensor? maxExpAvgSq, in Kernels.AdamStepArgs<float> args, int start, int end) => throw CudaViews.NoKernel("Adam.Step");

    public void AdamStep(Tensor param, Tensor grad, Tensor expAvg, Tensor expAvgSq, Tensor? maxExpAvgSq, in Kernels.AdamStepArgs<double> args, int start, int end) => throw CudaViews.NoKernel("Adam.Step");

    public void Softmax(Tensor rows, Tensor r, int n, int len, bool log) => throw CudaViews.NoKernel(log ? "aten::log_softmax" : "aten::softmax");

    public void LayerNorm(Tensor x, Tensor? weight, Tensor? bias, Tensor y, Tensor mean, Tensor rstd, int n, int len, double eps) =>
        throw CudaViews.NoKernel("aten::native_layer_norm");

    public void Variance(Tensor rows, Tensor r, int n, int len, int correction, bool std) => throw CudaViews.NoKernel(std ? "aten::std" : "aten::var");


}
