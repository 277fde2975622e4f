using System.Linq.Expressions;
using System.Runtime.Intrinsics;
using FastExpressionCompiler;

namespace Trace.Jit;

internal sealed partial class FusedKernel
{
    /// <summary>
    /// A group ending in a full sum: <c>double f(inputs, start, end)</c> sums the elementwise result over
    /// [start, end) in blocks of 1024 elements, each accumulated in vector lanes (of double for float32) and added to a double
    /// total (as the eager sum does). Inputs have the summed shape or are one value.
    /// </summary>
    private static FusedKernel BuildSum<T>(Graph body, Node sum) where T : unmanaged
    {
        var (vecType, vecStatic, width) = Simd<T>();

        var summed = sum.Inputs[0];
        var shape = summed.TensorType!.Shape;
        var kinds = body.Inputs.Select(v => v.TensorType is { } t ? FusionLayout.Classify(t.Shape, shape, 1) : null).ToArray();
        if (kinds.Any(k => k is not (InputKind.Full or InputKind.Scalar))) throw new NotSupportedException("a summed group reads a row- or column-broadcast input");

        var ins = Expression.Parameter(typeof(T[][]), "inputs");
        var start = Expression.Parameter(typeof(int), "start");
        var end = Expression.Parameter(typeof(int), "end");
        var i = Expression.Variable(typeof(int), "i");
        var total = Expression.Variable(typeof(double), "total");
        var arrays = body.Inputs.Select((v, k) => Expression.Variable(typeof(T[]), $"in{k}")).ToList();
        var setup = arrays.Select((a, k) => (Expression)Expression.Assign(a, Expression.ArrayIndex(ins, Expression.Constant(k)))).ToList();
        bool Full(Value v) => kinds[body.Inputs.IndexOf(v)] == InputKind.Full;
        Expression Element(Value v) => Expression.ArrayIndex(arrays[body.Inputs.IndexOf(v)], Full(v) ? i : Expression.Constant(0));

        var vectorBody = Emit<T>(body, summed,
            v => Full(v) ? Expression.Call(vecStatic, "Create", [typeof(T)], arrays[body.Inputs.IndexOf(v)], i) : Expression.Call(vecStatic, "Create", [typeof(T)], Element(v)),
            c => Expression.Call(vecStatic, "Create", [typeof(T)], Expression.Constant(c)), vecType, vecStatic, out var vectorVars);
        var scalarBody = Emit<T>(body, summed, Element, c => Expression.Constant(c), typeof(T), null, out var scalarVars);

        // for (i = start; i < end;) { blockEnd = min(i + block, end); acc = 0; vector loop; total += sum(acc); scalar loop; }
        var blocks = BlockedSum(i, end, total, vectorBody, vectorVars, scalarBody, scalarVars, vecStatic, width, out var locals);
        var lambda = Expression.Lambda<Func<T[][], int, int, double>>(
            Expression.Block([i, total, .. locals, .. arrays],
                [.. setup, Expression.Assign(total, Expression.Constant(0.0)), Expression.Assign(i, start), blocks, total]),
            ins, start, end);
        var compiled = lambda.CompileFast(flags: CompilerFlags.ThrowOnNotSupportedExpression)
            ?? throw new NotSupportedException("FastExpressionCompiler could not compile the fusion group.");
        return new FusedKernel(compiled, DTypes.Of<T>(), CodePrinter.Print(body, "FusionGroup"), sum.Output.TensorType!.Shape, shape, body: body);
    }

    /// <summary>
    /// A group ending in a sum over its last <paramref name="k"/> dims: <c>f(inputs, output, rowStart, rowEnd, inner)</c>
    /// sums each row of inner = (product of those dims) elements, in blocks of 1024 accumulated in vector lanes (of double
    /// for float32) and added to a double total, and stores one element per row. Inputs broadcast with the same k (full, one row
    /// block, one value per row, one value), as in the elementwise rows mode.
    /// </summary>
    private static FusedKernel BuildRowSum<T>(Graph body, Node sum, int k) where T : unmanaged
    {
        var (vecType, vecStatic, width) = Simd<T>();

        var summed = sum.Inputs[0];
        var shape = summed.TensorType!.Shape;
        var kinds = body.Inputs.Select(v => v.TensorType is { } t ? FusionLayout.Classify(t.Shape, shape, k) : InputKind.Scalar).ToArray();
        if (kinds.Any(c => c is null)) throw new NotSupportedException($"an input does not broadcast over rows of the last {k} dims");

        var ins = Expression.Parameter(typeof(T[][]), "inputs");
        var dst = Expression.Parameter(typeof(T[]), "output");
        var start = Expression.Parameter(typeof(int), "start");
        var end = Expression.Parameter(typeof(int), "end");
        var innerEnd = Expression.Parameter(typeof(int), "inner");
        var (i, r, rowBase) = (Expression.Variable(typeof(int), "i"), Expression.Variable(typeof(int), "r"), Expression.Variable(typeof(int), "rowBase"));
        var total = Expression.Variable(typeof(double), "total");
        var arrays = body.Inputs.Select((v, n) => Expression.Variable(typeof(T[]), $"in{n}")).ToList();
        var setup = arrays.Select((a, n) => (Expression)Expression.Assign(a, Expression.ArrayIndex(ins, Expression.Constant(n)))).ToList();
        InputKind Kind(Value v) => kinds[body.Inputs.IndexOf(v)]!.Value;
        Expression Index(Value v) => Kind(v) switch
        {
            InputKind.Full => Expression.Add(rowBase, i),
            InputKind.Row => i,
            InputKind.Column => r,
            _ => Expression.Constant(0),
        };
        var array = (Value v) => arrays[body.Inputs.IndexOf(v)];
        var vectorBody = Emit<T>(body, summed,
            v => Kind(v) is InputKind.Full or InputKind.Row
                ? Expression.Call(vecStatic, "Create", [typeof(T)], array(v), Index(v))
                : Expression.Call(vecStatic, "Create", [typeof(T)], Expression.ArrayIndex(array(v), Index(v))),
            c => Expression.Call(vecStatic, "Create", [typeof(T)], Expression.Constant(c)), vecType, vecStatic, out var vectorVars);
        var scalarBody = Emit<T>(body, summed, v => Expression.ArrayIndex(array(v), Index(v)), c => Expression.Constant(c), typeof(T), null, out var scalarVars);

        var blocks = BlockedSum(i, innerEnd, total, vectorBody, vectorVars, scalarBody, scalarVars, vecStatic, width, out var locals);
        var rowsBreak = Expression.Label("rowsDone");
        // for (r = start; r < end; r++) { rowBase = r * inner; total = 0; i = 0; blocks; output[r] = (T)total; }
        var rows = Expression.Loop(
            Expression.IfThenElse(Expression.LessThan(r, end),
                Expression.Block(
                    Expression.Assign(rowBase, Expression.Multiply(r, innerEnd)),
                    Expression.Assign(total, Expression.Constant(0.0)),
                    Expression.Assign(i, Expression.Constant(0)),
                    blocks,
                    Expression.Assign(Expression.ArrayAccess(dst, r), Expression.Convert(total, typeof(T))),
                    Expression.PostIncrementAssign(r)),
                Expression.Break(rowsBreak)), rowsBreak);
        var lambda = Expression.Lambda<Action<T[][], T[], int, int, int>>(
            Expression.Block([i, r, rowBase, total, .. locals, .. arrays], [.. setup, Expression.Assign(r, start), rows]),
            ins, dst, start, end, innerEnd);
        var compiled = lambda.CompileFast(flags: CompilerFlags.ThrowOnNotSupportedExpression)
            ?? throw new NotSupportedException("FastExpressionCompiler could not compile the fusion group.");
        return new FusedKernel(compiled, DTypes.Of<T>(), CodePrinter.Print(body, "FusionGroup"), sum.Output.TensorType!.Shape, shape, k, body, rowSum: true);
    }

    /// <summary>
    /// <c>while (i &lt; end) { blockEnd = min(i + 1024, end); acc = 0; vector loop: acc += v; total += Sum(acc); scalar loop: total += v; }</c>:
    /// the summed value accumulated in blocks of 1024 elements in a vector of T, each block's sum added to a double
    /// total. Float32 values are widened into two vectors of doubles (<c>accLo += WidenLower(v); accHi += WidenUpper(v)</c>),
    /// so that, as in the eager sum, no rounding accumulates in float. <paramref name="locals"/> are the variables the
    /// caller's block must declare.
    /// </summary>
    private static Expression BlockedSum(ParameterExpression i, Expression end, ParameterExpression total,
        List<Expression> vectorBody, List<ParameterExpression> vectorVars, List<Expression> scalarBody, List<ParameterExpression> scalarVars,
        Type vecStatic, int width, out ParameterExpression[] locals)
    {
        const int block = 1024;
        var vecType = vectorBody[^1].Type;
        bool widen = vecType.GetGenericArguments()[0] == typeof(float);
        var accType = widen ? vecType.GetGenericTypeDefinition().MakeGenericType(typeof(double)) : vecType;
        var blockEnd = Expression.Variable(typeof(int), "blockEnd");
        var acc = Expression.Variable(accType, "acc");
        var accHi = Expression.Variable(accType, "accHi");
        var value = Expression.Variable(vecType, "value");
        locals = [blockEnd, acc, accHi, value];
        var accumulate = widen
            ? new Expression[]
            {
                Expression.Assign(value, vectorBody[^1]),
                Expression.Assign(acc, Expression.Add(acc, Expression.Call(vecStatic, "WidenLower", null, value))),
                Expression.Assign(accHi, Expression.Add(accHi, Expression.Call(vecStatic, "WidenUpper", null, value))),
            }
            : [Expression.Assign(acc, Expression.Add(acc, vectorBody[^1]))];
        var (vecBreak, scalarBreak, blocksBreak) = (Expression.Label("vecDone"), Expression.Label("scalarDone"), Expression.Label("blocksDone"));
        var vectorLoop = Expression.Loop(
            Expression.IfThenElse(Expression.LessThanOrEqual(i, Expression.Subtract(blockEnd, Expression.Constant(width))),
                Expression.Block(vectorVars, vectorBody.SkipLast(1)
                    .Concat(accumulate)
                    .Append(Expression.AddAssign(i, Expression.Constant(width)))),
                Expression.Break(vecBreak)), vecBreak);
        var scalarLoop = Expression.Loop(
            Expression.IfThenElse(Expression.LessThan(i, blockEnd),
                Expression.Block(scalarVars, scalarBody.SkipLast(1)
                    .Append(Expression.AddAssign(total, Expression.Convert(scalarBody[^1], typeof(double))))
                    .Append(Expression.PostIncrementAssign(i))),
                Expression.Break(scalarBreak)), scalarBreak);
        var next = Expression.Add(i, Expression.Constant(block));
        var blockSum = widen ? Expression.Add(acc, accHi) : (Expression)acc;
        return Expression.Loop(
            Expression.IfThenElse(Expression.LessThan(i, end),
                Expression.Block(
                    Expression.Assign(blockEnd, Expression.Condition(Expression.LessThan(next, end), next, end)),
                    Expression.Assign(acc, Expression.Default(accType)),
                    Expression.Assign(accHi, Expression.Default(accType)),
                    vectorLoop,
                    Expression.AddAssign(total, Expression.Convert(Expression.Call(vecStatic, "Sum", [accType.GetGenericArguments()[0]], blockSum), typeof(double))),
                    scalarLoop),
                Expression.Break(blocksBreak)), blocksBreak);
    }
}
