using System.Linq.Expressions;
using System.Reflection;
using System.Runtime.Intrinsics;
using FastExpressionCompiler;
using Trace.Kernels;
using Trace.Ops;

namespace Trace.Jit;

/// <summary>
/// A fusion group compiled to one loop: a LINQ expression tree over Vector512 (Vector256 where 512-bit
/// vectors are not accelerated) with a scalar tail, compiled by FastExpressionCompiler. Inputs are
/// same-shape contiguous tensors; scalar constants are folded into the code. Large tensors are split
/// across cores. Sizes are arguments of the loop, not constants in it: a group whose types are symbolic
/// (dynamic dims) compiles once and runs at every size, its row length and element counts evaluated per call. Loads and stores use <c>Vector512.Create(array, i)</c> / <c>CopyTo(array, i)</c>, never
/// <c>LoadUnsafe(ref a[i])</c>, which FastExpressionCompiler 6.0 miscompiles (docs/FACTS.md).
/// </summary>
internal sealed partial class FusedKernel
{
    private readonly Delegate _loop;
    private readonly DType _dtype;
    private readonly int[] _outputShape;  // the group's output sizes (symbolic entries evaluated per call)
    private readonly int[] _loopShape;    // the elementwise domain: the output's, or a sum's input's
    private readonly int _blockDims;      // 0: one flat loop; else rows of the loop shape's last k dims (broadcast inputs, row sums)
    private readonly int _grain;          // elements per worker before the loop is split across cores
    private readonly bool _rowSum;        // the group sums each row into one output element

    private FusedKernel(Delegate loop, DType dtype, string source, int[] outputShape, int[] loopShape, int blockDims = 0, Graph? body = null, bool rowSum = false)
    {
        _rowSum = rowSum;
        _loop = loop;
        _dtype = dtype;
        Source = source;
        _outputShape = outputShape;
        _loopShape = loopShape;
        _blockDims = blockDims;
        // Waking a second core costs tens of microseconds: only transcendental bodies split at a quarter of the grain.
        _grain = body is not null && body.Nodes.Any(n => n.Has(OpTraits.Transcendental))
            ? ParallelRange.ElementwiseGrain / 4 : ParallelRange.ElementwiseGrain;
    }

    /// <summary>
    /// The sum a fusion group ends with, if any: <c>aten::sum</c> over the trailing dims of an elementwise result
    /// (all of them, or the last k; its dims list and keepdim are constants copied into the body). The loop then
    /// accumulates instead of storing.
    /// </summary>
    internal static Node? FinalSum(Graph body) =>
        body.Outputs.Count == 1 && body.Outputs[0].Node is { Kind: "aten::sum" } sum && TrailingSum(sum) is not null ? sum : null;

    /// <summary>
    /// For <c>aten::sum(x, dims, keepdim)</c> with constant arguments whose dims are exactly x's last k dims (an empty
    /// list meaning all): k; otherwise null. k equals x's rank for a full sum.
    /// </summary>
    internal static int? TrailingSum(Node sum)
    {
        if (sum.Kind != "aten::sum" || sum.Inputs.Count != 3 || sum.Inputs[0].TensorType is not { } x ||
            PassUtil.IntList(sum.Inputs[1]) is not { } dims || !PassUtil.IsConstant(sum.Inputs[2])) return null;
        return RowProgram.TrailingDims(dims, x.Shape.Length);
    }

    /// <summary>True for a sum over every dim of its input.</summary>
    internal static bool IsFullSum(Node sum) => TrailingSum(sum) is int k && k == sum.Inputs[0].TensorType!.Shape.Length;

    /// <summary>C#-like text of the generated loop body (for debugging).</summary>
    public string Source { get; }

    /// <summary>True when the code generator has a lowering for ops of <paramref name="kind"/> (what <see cref="CpuBackend.CanFuse"/> asks): the op table marks them fusible.</summary>
    internal static bool CanLower(string kind) => OpTable.Has(kind, OpTraits.Fusible);

    /// <summary>Compiles a fusion-group body, or returns null (with the reason) when it has something the generator cannot express.</summary>
    public static FusedKernel? TryCompile(Graph body, out string? reason)
    {
        reason = null;
        var outType = body.Outputs.Count == 1 ? body.Outputs[0].TensorType : null;
        if (outType is null || !outType.DType.IsFloatingPoint()) { reason = "output is not a single floating tensor"; return null; }
        try
        {
            CheckExpressible(body);
            return outType.DType == DType.Float32 ? Build<float>(body) : Build<double>(body);
        }
        catch (Exception e) when (e is NotSupportedException or InvalidOperationException or ArgumentException)
        {
            reason = e.Message;
            return null;
        }
    }

    /// <summary>
    /// Runs the kernel on inputs laid out as the group's types say into a new tensor, or into <paramref name="into"/> (a
    /// buffer the caller owns: contiguous from element 0 of its storage, of the output's shape and dtype); <paramref name="symbols"/>
    /// are the size symbols' values when the group's types are symbolic.
    /// </summary>
    /// <exception cref="ArgumentException"><paramref name="into"/> does not have the output's layout.</exception>
    public Tensor Run(Tensor[] inputs, long[]? symbols, Tensor? into = null)
    {
        var shape = SymbolicDims.Evaluate(_outputShape, symbols);
        var loopShape = _loopShape == _outputShape ? shape : SymbolicDims.Evaluate(_loopShape, symbols);
        if (into is not null && (into.DType != _dtype || into.StorageOffset != 0 || !into.IsContiguous || !into.Shape.SequenceEqual(shape)))
            throw new ArgumentException($"prim::FusionGroup: the out= tensor ({into.DType.TorchName()} {Shapes.Format(into.Shape)}, offset {into.StorageOffset}) " +
                $"must be a contiguous {_dtype.TorchName()} tensor of shape {Shapes.Format(shape)} from element 0 of its storage.");
        if (_loop is Func<float[][], int, int, double> or Func<double[][], int, int, double>)
        {
            int count = checked(loopShape.Aggregate(1, (a, b) => a * b));
            double total = _dtype == DType.Float32 ? Reduce<float>(inputs, count) : Reduce<double>(inputs, count);
            if (into is null) return Tensor.Full(shape, total, _dtype);
            using (Dispatch.Internal()) into.Fill_(total);
            return into;
        }
        var output = into ?? Tensor.Empty(shape, _dtype);
        int n = output.Numel;
        int inner = _blockDims == 0 ? 0 : FusionLayout.Inner(loopShape, _blockDims);
        if (_rowSum)
        {
            // One output element per row of inner summed elements: workers take whole rows.
            if (_dtype == DType.Float32) LaunchRows((Action<float[][], float[], int, int, int>)_loop, inputs, output, n, inner, _grain);
            else LaunchRows((Action<double[][], double[], int, int, int>)_loop, inputs, output, n, inner, _grain);
            return output;
        }
        if (_dtype == DType.Float32) Launch((Action<float[][], float[], int, int, int>)_loop, inputs, output, n, inner, _grain);
        else Launch((Action<double[][], double[], int, int, int>)_loop, inputs, output, n, inner, _grain);
        return output;
    }

    /// <summary>The group's sum of <paramref name="n"/> elements: per-worker partial sums (each in blocks, accumulated in double), added in order.</summary>
    private double Reduce<T>(Tensor[] inputs, int n) where T : unmanaged
    {
        var loop = (Func<T[][], int, int, double>)_loop;
        var arrays = Arrays<T>(inputs);
        int blocks = (n + 63) / 64;
        var partial = new List<(int Start, double Sum)>();
        ParallelRange.Run(blocks, _grain / 64, (b0, b1) =>
        {
            double sum = loop(arrays, b0 * 64, Math.Min(b1 * 64, n));
            lock (partial) partial.Add((b0, sum));
        });
        // Added in chunk order, so that the result does not depend on which worker finished first.
        return partial.OrderBy(p => p.Start).Sum(p => p.Sum);
    }

    /// <summary>The inputs' arrays: contiguous from element 0, and of T (bool masks become 1/0, tested as != 0 in the loop).</summary>
    private static T[][] Arrays<T>(Tensor[] inputs) where T : unmanaged
    {
        var arrays = new T[inputs.Length][];
        var dtype = DTypes.Of<T>();
        using var _ = Dispatch.Internal();
        for (int i = 0; i < inputs.Length; i++)
        {
            var t = inputs[i].DType != dtype ? inputs[i].To(dtype)
                : inputs[i].IsContiguous && inputs[i].StorageOffset == 0 ? inputs[i] : inputs[i].Contiguous().Clone();
            arrays[i] = ((CpuStorage<T>)(t.IsContiguous && t.StorageOffset == 0 ? t : t.Contiguous().Clone()).Storage).Data;
        }
        return arrays;
    }

    private static void LaunchRows<T>(Action<T[][], T[], int, int, int> loop, Tensor[] inputs, Tensor output, int rows, int inner, int grain) where T : unmanaged
    {
        var arrays = Arrays<T>(inputs);
        var dst = ((CpuStorage<T>)output.Storage).Data;
        ParallelRange.Run(rows, Math.Max(1, grain / Math.Max(1, inner)), (r0, r1) => loop(arrays, dst, r0, r1, inner));
    }

    private static void Launch<T>(Action<T[][], T[], int, int, int> loop, Tensor[] inputs, Tensor output, int n, int inner, int grain) where T : unmanaged
    {
        var arrays = Arrays<T>(inputs);
        var dst = ((CpuStorage<T>)output.Storage).Data;
        if (inner > 0)
        {
            // Rows mode: the loop takes a row range.
            int rows = n / inner;
            ParallelRange.Run(rows, Math.Max(1, grain / inner), (r0, r1) => loop(arrays, dst, r0, r1, inner));
            return;
        }
        // Chunks are multiples of 64 elements so that every chunk but the last runs whole vectors (a zero-size rows
        // group, inner = 0, has n = 0 too and runs no chunk).
        int blocks = (n + 63) / 64;
        ParallelRange.Run(blocks, grain / 64, (b0, b1) => loop(arrays, dst, b0 * 64, Math.Min(b1 * 64, n), 0));
    }

    private static FusedKernel Build<T>(Graph body) where T : unmanaged
    {
        if (RowProgram.Needed(body)) return BuildRowProgram<T>(RowProgram.Lower(body), CodePrinter.Print(body, "FusionGroup"));
        if (FinalSum(body) is { } sum) return IsFullSum(sum) ? BuildSum<T>(body, sum) : BuildRowSum<T>(body, sum, TrailingSum(sum)!.Value);
        var (vecType, vecStatic, width) = Simd<T>();

        var ins = Expression.Parameter(typeof(T[][]), "inputs");
        var dst = Expression.Parameter(typeof(T[]), "output");
        var start = Expression.Parameter(typeof(int), "start");
        var end = Expression.Parameter(typeof(int), "end");
        var inner = Expression.Parameter(typeof(int), "inner");
        var i = Expression.Variable(typeof(int), "i");
        var arrays = body.Inputs.Select((v, k) => Expression.Variable(typeof(T[]), $"in{k}")).ToList();
        var setup = arrays.Select((a, k) => (Expression)Expression.Assign(a, Expression.ArrayIndex(ins, Expression.Constant(k)))).ToList();

        var outShape = body.Outputs[0].TensorType!.Shape;
        int blockDims = FusionLayout.BlockDims(body.Inputs.Select(v => v.TensorType?.Shape ?? []), outShape)
            ?? throw new NotSupportedException("an input does not broadcast as a block of trailing dims, one value per block, or one value");
        var kinds = body.Inputs.Select(v => v.TensorType is { } t ? FusionLayout.Classify(t.Shape, outShape, blockDims)!.Value : InputKind.Scalar).ToArray();
        bool rowsMode = kinds.Any(k => k != InputKind.Full);
        // Rows mode: i walks a row (0..inner), r is the row, rowBase = r * inner.
        var r = Expression.Variable(typeof(int), "r");
        var rowBase = Expression.Variable(typeof(int), "rowBase");
        Expression Index(int k) => !rowsMode ? i : kinds[k] switch
        {
            InputKind.Full => Expression.Add(rowBase, i),
            InputKind.Row => i,
            InputKind.Column => r,
            _ => Expression.Constant(0),
        };
        bool Broadcast(int k) => rowsMode && kinds[k] is InputKind.Column or InputKind.Scalar;
        var vectorBody = Emit<T>(body, body.Outputs[0],
            v => Broadcast(body.Inputs.IndexOf(v))
                ? Expression.Call(vecStatic, "Create", [typeof(T)], Expression.ArrayIndex(arrays[body.Inputs.IndexOf(v)], Index(body.Inputs.IndexOf(v))))
                : Expression.Call(vecStatic, "Create", [typeof(T)], arrays[body.Inputs.IndexOf(v)], Index(body.Inputs.IndexOf(v))),
            c => Expression.Call(vecStatic, "Create", [typeof(T)], Expression.Constant(c)), vecType, vecStatic, out var vectorVars);
        var scalarBody = Emit<T>(body, body.Outputs[0], v => Expression.ArrayIndex(arrays[body.Inputs.IndexOf(v)], Index(body.Inputs.IndexOf(v))),
            c => Expression.Constant(c), typeof(T), null, out var scalarVars);
        Expression outIndex = rowsMode ? Expression.Add(rowBase, i) : i;

        var vecBreak = Expression.Label("vecDone");
        var scalarBreak = Expression.Label("scalarDone");
        var copyTo = vecStatic.GetMethods().First(m => m.Name == "CopyTo" && m.GetParameters().Length == 3
            && m.GetParameters()[1].ParameterType.IsArray).MakeGenericMethod(typeof(T));
        // In rows mode the element loops run over one row [0, inner); otherwise over [start, end).
        Expression loopEnd = rowsMode ? inner : end;
        var vectorLoop = Expression.Loop(
            Expression.IfThenElse(Expression.LessThanOrEqual(i, Expression.Subtract(loopEnd, Expression.Constant(width))),
                Expression.Block(vectorVars, vectorBody.Append(Expression.Call(copyTo, vectorBody[^1], dst, outIndex))
                    .Append(Expression.AddAssign(i, Expression.Constant(width)))),
                Expression.Break(vecBreak)), vecBreak);
        var scalarLoop = Expression.Loop(
            Expression.IfThenElse(Expression.LessThan(i, loopEnd),
                Expression.Block(scalarVars, scalarBody.Append(Expression.Assign(Expression.ArrayAccess(dst, outIndex), scalarBody[^1]))
                    .Append(Expression.PostIncrementAssign(i))),
                Expression.Break(scalarBreak)), scalarBreak);
        Expression block;
        if (!rowsMode)
            block = Expression.Block([i, .. arrays], [.. setup, Expression.Assign(i, start), vectorLoop, scalarLoop]);
        else
        {
            // for (r = start; r < end; r++) { rowBase = r * inner; i = 0; vector loop; scalar loop; }
            var rowBreak = Expression.Label("rowsDone");
            var rowLoop = Expression.Loop(
                Expression.IfThenElse(Expression.LessThan(r, end),
                    Expression.Block(
                        Expression.Assign(rowBase, Expression.Multiply(r, inner)),
                        Expression.Assign(i, Expression.Constant(0)),
                        vectorLoop, scalarLoop,
                        Expression.PostIncrementAssign(r)),
                    Expression.Break(rowBreak)), rowBreak);
            block = Expression.Block([i, r, rowBase, .. arrays], [.. setup, Expression.Assign(r, start), rowLoop]);
        }
        var lambda = Expression.Lambda<Action<T[][], T[], int, int, int>>(block, ins, dst, start, end, inner);
        var compiled = lambda.CompileFast(flags: CompilerFlags.ThrowOnNotSupportedExpression)
            ?? throw new NotSupportedException("FastExpressionCompiler could not compile the fusion group.");
        return new FusedKernel(compiled, DTypes.Of<T>(), CodePrinter.Print(body, "FusionGroup"), outShape, outShape, rowsMode ? blockDims : 0, body);
    }

    /// <summary>The vector type the loops use (Vector512 where accelerated, else Vector256), its static class and lane count.</summary>
    private static (Type Vector, Type Static, int Width) Simd<T>() where T : unmanaged =>
        Vector512.IsHardwareAccelerated
            ? (typeof(Vector512<T>), typeof(Vector512), Vector512<T>.Count)
            : (typeof(Vector256<T>), typeof(Vector256), Vector256<T>.Count);
}
