using System.Linq.Expressions;
using System.Numerics;
using System.Runtime.Intrinsics;
using FastExpressionCompiler;

namespace Trace.Jit;

internal sealed partial class FusedKernel
{
    /// <summary>
    /// A row program (<see cref="RowProgram"/>): <c>f(inputs, output, rowStart, rowEnd, inner)</c> runs, per row, one
    /// vectorized loop per stage — a sum accumulated as <see cref="BlockedSum"/> does (float64 for float32), or a max with
    /// NaN propagating — each stage's value then read by later loops as a broadcast column, and a last loop that stores
    /// the row's results (or stores the last stage's value as the row's one element). Rows are split across cores.
    /// </summary>
    private static FusedKernel BuildRowProgram<T>(RowProgram p, string source) where T : unmanaged
    {
        var (vecType, vecStatic, width) = Simd<T>();
        var body = p.Body;
        var ins = Expression.Parameter(typeof(T[][]), "inputs");
        var dst = Expression.Parameter(typeof(T[]), "output");
        var start = Expression.Parameter(typeof(int), "start");
        var end = Expression.Parameter(typeof(int), "end");
        var inner = Expression.Parameter(typeof(int), "inner");
        var (i, r, rowBase) = (Expression.Variable(typeof(int), "i"), Expression.Variable(typeof(int), "r"), Expression.Variable(typeof(int), "rowBase"));
        var total = Expression.Variable(typeof(double), "total");
        var arrays = body.Inputs.Select((v, n) => Expression.Variable(typeof(T[]), $"in{n}")).ToList();
        var setup = arrays.Select((a, n) => (Expression)Expression.Assign(a, Expression.ArrayIndex(ins, Expression.Constant(n)))).ToList();
        var stageValues = p.Stages.Select((s, n) => Expression.Variable(typeof(T), $"stage{n}")).ToArray();
        // A tail input's row starts at rowBase mod its size, set once per row.
        var tailBases = body.Inputs.Select((v, n) => Expression.Variable(typeof(int), $"tail{n}")).ToArray();

        Expression Index(int k) => p.Kinds[k] switch
        {
            InputKind.Full => Expression.Add(rowBase, i),
            InputKind.Row => i,
            InputKind.Column => r,
            InputKind.Tail => Expression.Add(tailBases[k], i),
            _ => Expression.Constant(0),
        };
        Expression VectorLoad(Value v)
        {
            int k = body.Inputs.IndexOf(v);
            return p.Kinds[k] is InputKind.Full or InputKind.Row or InputKind.Tail
                ? Expression.Call(vecStatic, "Create", [typeof(T)], arrays[k], Index(k))
                : Expression.Call(vecStatic, "Create", [typeof(T)], Expression.ArrayIndex(arrays[k], Index(k)));
        }
        Expression ScalarLoad(Value v) => Expression.ArrayIndex(arrays[body.Inputs.IndexOf(v)], Index(body.Inputs.IndexOf(v)));
        Dictionary<Value, Expression> Known(int stages, bool vector) => p.Stages.Take(stages).Select((s, n) => (s.Output, n)).ToDictionary(
            e => e.Output, e => vector ? Expression.Call(vecStatic, "Create", [typeof(T)], stageValues[e.n]) : (Expression)stageValues[e.n]);
        List<Expression> Vector(Value result, int stages, out List<ParameterExpression> vars) =>
            Emit<T>(body, result, VectorLoad, c => Expression.Call(vecStatic, "Create", [typeof(T)], Expression.Constant(c)), vecType, vecStatic, out vars, known: Known(stages, true));
        List<Expression> Scalar(Value result, int stages, out List<ParameterExpression> vars) =>
            Emit<T>(body, result, ScalarLoad, c => Expression.Constant(c), typeof(T), null, out vars, known: Known(stages, false));

        var perRow = new List<Expression> { Expression.Assign(rowBase, Expression.Multiply(r, inner)) };
        for (int k = 0; k < tailBases.Length; k++)
            if (p.Kinds[k] == InputKind.Tail) perRow.Add(Expression.Assign(tailBases[k], Expression.Modulo(rowBase, Expression.Constant(p.TailSizes[k]))));
        var locals = new List<ParameterExpression>();
        for (int s = 0; s < p.Stages.Count; s++)
        {
            var reduced = p.Stages[s].Inputs[0];
            var vectorBody = Vector(reduced, s, out var vectorVars);
            var scalarBody = Scalar(reduced, s, out var scalarVars);
            perRow.Add(Expression.Assign(i, Expression.Constant(0)));
            if (RowProgram.KindOf(p.Stages[s]) == RowReduce.Sum)
            {
                perRow.Add(Expression.Assign(total, Expression.Constant(0.0)));
                perRow.Add(BlockedSum(i, inner, total, vectorBody, vectorVars, scalarBody, scalarVars, vecStatic, width, out var sumLocals));
                perRow.Add(Expression.Assign(stageValues[s], Expression.Convert(total, typeof(T))));
                locals.AddRange(sumLocals);
            }
            else perRow.Add(RowMaxLoop<T>(i, inner, stageValues[s], vectorBody, vectorVars, scalarBody, scalarVars, vecType, vecStatic, width, locals));
        }
        if (p.StoresRows) perRow.Add(Expression.Assign(Expression.ArrayAccess(dst, r), stageValues[^1]));
        else
        {
            var vectorBody = Vector(p.Result, p.Stages.Count, out var vectorVars);
            var scalarBody = Scalar(p.Result, p.Stages.Count, out var scalarVars);
            var outIndex = Expression.Add(rowBase, i);
            var copyTo = vecStatic.GetMethods().First(m => m.Name == "CopyTo" && m.GetParameters().Length == 3
                && m.GetParameters()[1].ParameterType.IsArray).MakeGenericMethod(typeof(T));
            perRow.Add(Expression.Assign(i, Expression.Constant(0)));
            perRow.Add(Loop(Expression.LessThanOrEqual(i, Expression.Subtract(inner, Expression.Constant(width))),
                Expression.Block(vectorVars, vectorBody.Append(Expression.Call(copyTo, vectorBody[^1], dst, outIndex)).Append(Expression.AddAssign(i, Expression.Constant(width))))));
            perRow.Add(Loop(Expression.LessThan(i, inner),
                Expression.Block(scalarVars, scalarBody.Append(Expression.Assign(Expression.ArrayAccess(dst, outIndex), scalarBody[^1])).Append(Expression.PostIncrementAssign(i)))));
        }
        perRow.Add(Expression.PostIncrementAssign(r));
        var rows = Loop(Expression.LessThan(r, end), Expression.Block(perRow));
        var lambda = Expression.Lambda<Action<T[][], T[], int, int, int>>(
            Expression.Block([i, r, rowBase, total, .. stageValues, .. tailBases, .. locals.Distinct(), .. arrays], [.. setup, Expression.Assign(r, start), rows]),
            ins, dst, start, end, inner);
        var compiled = lambda.CompileFast(flags: CompilerFlags.ThrowOnNotSupportedExpression)
            ?? throw new NotSupportedException("FastExpressionCompiler could not compile the fusion group.");
        var outputShape = p.Result.TensorType!.Shape;
        return new FusedKernel(compiled, DTypes.Of<T>(), source, outputShape, p.Domain, p.BlockDims, body, rowSum: p.StoresRows);
    }

    /// <summary>
    /// <c>acc = −∞ lanes; vector loop: acc = max(acc, v); best = max over lanes; scalar loop: best = max(best, v)</c>, NaN
    /// propagating (<see cref="RowMax"/>); the row's max lands in <paramref name="best"/>.
    /// </summary>
    private static Expression RowMaxLoop<T>(ParameterExpression i, Expression inner, ParameterExpression best, List<Expression> vectorBody, List<ParameterExpression> vectorVars,
        List<Expression> scalarBody, List<ParameterExpression> scalarVars, Type vecType, Type vecStatic, int width, List<ParameterExpression> locals) where T : unmanaged
    {
        var acc = Expression.Variable(vecType, "maxAcc");
        locals.Add(acc);
        var lowest = Expression.Constant(typeof(T) == typeof(float) ? (T)(object)float.NegativeInfinity : (T)(object)double.NegativeInfinity);
        var vector = vecType.GetGenericTypeDefinition();
        System.Reflection.MethodInfo Helper(string name, bool vectors) => typeof(RowMax).GetMethods().Single(m => m.Name == name &&
            (vectors ? m.GetParameters()[0].ParameterType is { IsGenericType: true } t && t.GetGenericTypeDefinition() == vector : m.GetParameters()[0].ParameterType.IsGenericMethodParameter))
            .MakeGenericMethod(typeof(T));
        var (combine, lanes, scalar) = (Helper(nameof(RowMax.Of), true), Helper(nameof(RowMax.Lanes), true), Helper(nameof(RowMax.Of), false));
        return Expression.Block(
            Expression.Assign(acc, Expression.Call(vecStatic, "Create", [typeof(T)], lowest)),
            Loop(Expression.LessThanOrEqual(i, Expression.Subtract(inner, Expression.Constant(width))),
                Expression.Block(vectorVars, vectorBody.SkipLast(1).Append(Expression.Assign(acc, Expression.Call(combine, acc, vectorBody[^1])))
                    .Append(Expression.AddAssign(i, Expression.Constant(width))))),
            Expression.Assign(best, Expression.Call(lanes, acc)),
            Loop(Expression.LessThan(i, inner),
                Expression.Block(scalarVars, scalarBody.SkipLast(1).Append(Expression.Assign(best, Expression.Call(scalar, best, scalarBody[^1])))
                    .Append(Expression.PostIncrementAssign(i)))));
    }

    /// <summary><c>while (condition) body;</c></summary>
    private static Expression Loop(Expression condition, Expression body)
    {
        var done = Expression.Label();
        return Expression.Loop(Expression.IfThenElse(condition, body, Expression.Break(done)), done);
    }
}

/// <summary>The max of a row program's max stages: NaN propagates (a NaN anywhere in the row is the row's max), as the eager amax and softmax.</summary>
internal static class RowMax
{
    /// <summary>max(a, b), NaN if either is.</summary>
    public static T Of<T>(T a, T b) where T : INumber<T> => b > a || T.IsNaN(b) ? b : a;

    /// <summary>Lane-wise <see cref="Of{T}(T, T)"/>.</summary>
    public static Vector512<T> Of<T>(Vector512<T> a, Vector512<T> b) where T : INumber<T> =>
        Vector512.ConditionalSelect(Vector512.GreaterThan(b, a) | ~Vector512.Equals(b, b), b, a);

    /// <summary>Lane-wise <see cref="Of{T}(T, T)"/>.</summary>
    public static Vector256<T> Of<T>(Vector256<T> a, Vector256<T> b) where T : INumber<T> =>
        Vector256.ConditionalSelect(Vector256.GreaterThan(b, a) | ~Vector256.Equals(b, b), b, a);

    /// <summary>The max over the lanes.</summary>
    public static T Lanes<T>(Vector512<T> v) where T : INumber<T>
    {
        T m = v.GetElement(0);
        for (int l = 1; l < Vector512<T>.Count; l++) m = Of(m, v.GetElement(l));
        return m;
    }

    /// <summary>The max over the lanes.</summary>
    public static T Lanes<T>(Vector256<T> v) where T : INumber<T>
    {
        T m = v.GetElement(0);
        for (int l = 1; l < Vector256<T>.Count; l++) m = Of(m, v.GetElement(l));
        return m;
    }
}
