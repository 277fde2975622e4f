using System.Linq.Expressions;
using System.Reflection;
using System.Reflection.Emit;
using FastExpressionCompiler;
using Trace.Kernels.Gpu;

namespace Trace.Jit;

/// <summary>
/// Emits the struct of a fused GPU body: a value type implementing <see cref="IGpuFusedBody{T}"/> in a run-time assembly,
/// whose static <c>Eval</c> and <c>Eval4</c> are the fusion group's expression trees written as IL by FastExpressionCompiler's
/// <c>CompileFastToIL</c> (ILGPU compiles methods of emitted types, not the DynamicMethods of compiled delegates). Element
/// loads go through <see cref="GpuFused.Ld{TElement}"/>/<see cref="GpuFused.Ld4{TElement}"/> (a view's indexer returns a ref,
/// which expression trees cannot express); constants are literals; the trees capture nothing.
/// </summary>
internal static class CudaFusedTypes
{
    private static readonly ModuleBuilder Module =
        AssemblyBuilder.DefineDynamicAssembly(new AssemblyName("Trace.Jit.FusedGpu"), AssemblyBuilderAccess.Run).DefineDynamicModule("Trace.Jit.FusedGpu");
    private static readonly Lock Gate = new();
    private static int _count;

    private static readonly string[] Lanes = ["A", "B", "C", "D"];

    /// <summary>
    /// The body type of a fusion group computing <paramref name="result"/>: body input k is read from slot
    /// <paramref name="slots"/>[k] of the X views (the B views for a mask), at the index its <paramref name="kinds"/> entry
    /// says. With <paramref name="vectorized"/> (flat groups) <c>Eval4</c> computes four lanes from quad loads; otherwise it is
    /// never called and returns zeros.
    /// </summary>
    public static Type Define<T>(Graph body, Value result, InputKind[] kinds, int[] slots, bool[] masks, bool vectorized) where T : unmanaged
    {
        var args = Expression.Parameter(typeof(GpuFusedArgs<T>), "a");
        var (r, i, j, q) = (Expression.Parameter(typeof(int), "r"), Expression.Parameter(typeof(int), "i"), Expression.Parameter(typeof(int), "j"), Expression.Parameter(typeof(int), "q"));
        Expression View(int k) => Expression.Field(args, masks[k] ? $"B{slots[k]}" : $"X{slots[k]}");
        Expression AsT(int k, Expression e) => masks[k] ? Expression.Convert(e, typeof(T)) : e;
        Expression Load(int k, Expression index) =>
            AsT(k, Expression.Call(typeof(GpuFused), nameof(GpuFused.Ld), [masks[k] ? typeof(byte) : typeof(T)], View(k), index));
        Expression Index(int k) => kinds[k] switch
        {
            InputKind.Full => j,
            InputKind.Row => i,
            InputKind.Column => r,
            _ => Expression.Constant(0),
        };

        var scalar = FusedKernel.Emit<T>(body, result, v => Load(body.Inputs.IndexOf(v), Index(body.Inputs.IndexOf(v))), c => Expression.Constant(c),
            typeof(T), null, out var scalarVars, gpu: true);
        var eval = Expression.Lambda(Expression.Block(scalarVars, scalar), args, r, i, j);

        Expression eval4Body;
        var locals = new List<ParameterExpression>();
        if (vectorized)
        {
            // Each input is loaded once: full-shape inputs as quads, one-value inputs as one element.
            var statements = new List<Expression>();
            var loaded = new ParameterExpression[body.Inputs.Count];
            for (int k = 0; k < loaded.Length; k++)
            {
                var element = masks[k] ? typeof(byte) : typeof(T);
                bool full = kinds[k] == InputKind.Full;
                loaded[k] = Expression.Variable(full ? typeof(Quad<>).MakeGenericType(element) : typeof(T), $"in{k}");
                statements.Add(Expression.Assign(loaded[k], full
                    ? Expression.Call(typeof(GpuFused), nameof(GpuFused.Ld4), [element], View(k), q)
                    : Load(k, Expression.Constant(0))));
            }
            var quad = Expression.Variable(typeof(Quad<T>), "result");
            locals.AddRange(loaded);
            locals.Add(quad);
            foreach (var lane in Lanes)
            {
                var laneCode = FusedKernel.Emit<T>(body, result,
                    v => body.Inputs.IndexOf(v) is var k && kinds[k] == InputKind.Full ? AsT(k, Expression.Field(loaded[k], lane)) : loaded[k],
                    c => Expression.Constant(c), typeof(T), null, out var laneVars, gpu: true);
                locals.AddRange(laneVars);
                statements.AddRange(laneCode[..^1]);
                statements.Add(Expression.Assign(Expression.Field(quad, lane), laneCode[^1]));
            }
            statements.Add(quad);
            eval4Body = Expression.Block(locals, statements);
        }
        else eval4Body = Expression.Default(typeof(Quad<T>));
        var eval4 = Expression.Lambda(eval4Body, args, q);

        lock (Gate)
        {
            var type = Module.DefineType($"FusionGroup{_count++}", TypeAttributes.Public | TypeAttributes.Sealed | TypeAttributes.SequentialLayout,
                typeof(ValueType), [typeof(IGpuFusedBody<T>)]);
            Method(type, typeof(IGpuFusedBody<T>), "Eval", typeof(T), [typeof(GpuFusedArgs<T>), typeof(int), typeof(int), typeof(int)], eval);
            Method(type, typeof(IGpuFusedBody<T>), "Eval4", typeof(Quad<T>), [typeof(GpuFusedArgs<T>), typeof(int)], eval4);
            return type.CreateType();
        }
    }

    /// <summary>
    /// The body type of a row program (implementing <see cref="IGpuRowBody{T}"/>): <c>Stage</c> selects stage k's reduced
    /// expression, <c>Eval</c> is the result's; stage k's value is read from the row state's field <c>Rk</c>; inputs as
    /// <see cref="Define{T}"/> reads them, a tail input at (j mod its size).
    /// </summary>
    public static Type DefineRows<T>(RowProgram p, int[] slots, bool[] masks) where T : unmanaged
    {
        var body = p.Body;
        var args = Expression.Parameter(typeof(GpuFusedArgs<T>), "a");
        var state = Expression.Parameter(typeof(GpuRowState<T>), "s");
        var stage = Expression.Parameter(typeof(int), "stage");
        var (r, i, j) = (Expression.Parameter(typeof(int), "r"), Expression.Parameter(typeof(int), "i"), Expression.Parameter(typeof(int), "j"));
        Expression Load(Value v)
        {
            int k = body.Inputs.IndexOf(v);
            Expression index = p.Kinds[k] switch
            {
                InputKind.Full => j,
                InputKind.Row => i,
                InputKind.Column => r,
                InputKind.Tail => Expression.Modulo(j, Expression.Constant(p.TailSizes[k])),
                _ => Expression.Constant(0),
            };
            var load = Expression.Call(typeof(GpuFused), nameof(GpuFused.Ld), [masks[k] ? typeof(byte) : typeof(T)],
                Expression.Field(args, masks[k] ? $"B{slots[k]}" : $"X{slots[k]}"), index);
            return masks[k] ? Expression.Convert(load, typeof(T)) : load;
        }
        Expression Value(Value result, int stages)
        {
            var known = p.Stages.Take(stages).Select((n, k) => (n.Output, k)).ToDictionary(e => e.Output, e => (Expression)Expression.Field(state, $"R{e.k}"));
            var code = FusedKernel.Emit<T>(body, result, Load, c => Expression.Constant(c), typeof(T), null, out var vars, gpu: true, known: known);
            return Expression.Block(vars, code);
        }

        // stage == 0 ? <stage 0's value> : stage == 1 ? … : <the last stage's>.
        Expression stages = p.Stages.Count == 0 ? Expression.Default(typeof(T)) : Value(p.Stages[^1].Inputs[0], p.Stages.Count - 1);
        for (int k = p.Stages.Count - 2; k >= 0; k--)
            stages = Expression.Condition(Expression.Equal(stage, Expression.Constant(k)), Value(p.Stages[k].Inputs[0], k), stages);
        var stageLambda = Expression.Lambda(stages, args, state, stage, r, i, j);
        var evalLambda = Expression.Lambda(p.StoresRows ? Expression.Default(typeof(T)) : Value(p.Result, p.Stages.Count), args, state, r, i, j);

        lock (Gate)
        {
            var type = Module.DefineType($"RowProgram{_count++}", TypeAttributes.Public | TypeAttributes.Sealed | TypeAttributes.SequentialLayout,
                typeof(ValueType), [typeof(IGpuRowBody<T>)]);
            Method(type, typeof(IGpuRowBody<T>), "Stage", typeof(T), [typeof(GpuFusedArgs<T>), typeof(GpuRowState<T>), typeof(int), typeof(int), typeof(int), typeof(int)], stageLambda);
            Method(type, typeof(IGpuRowBody<T>), "Eval", typeof(T), [typeof(GpuFusedArgs<T>), typeof(GpuRowState<T>), typeof(int), typeof(int), typeof(int)], evalLambda);
            return type.CreateType();
        }
    }

    /// <summary>A public static method of <paramref name="type"/> with <paramref name="lambda"/>'s IL, implementing <paramref name="contract"/>'s member of that name.</summary>
    private static void Method(TypeBuilder type, Type contract, string name, Type returns, Type[] parameters, LambdaExpression lambda)
    {
        var method = type.DefineMethod(name, MethodAttributes.Public | MethodAttributes.Static | MethodAttributes.HideBySig, returns, parameters);
        if (!ExpressionCompiler.CompileFastToIL(lambda, method.GetILGenerator(), CompilerFlags.ThrowOnNotSupportedExpression))
            throw new NotSupportedException($"FastExpressionCompiler could not write the fused body's {name} as IL.");
        type.DefineMethodOverride(method, contract.GetMethod(name)!);
    }
}
