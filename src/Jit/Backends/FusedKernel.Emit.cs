using System.Globalization;
using System.Linq.Expressions;
using System.Reflection;
using Trace.Kernels;
using Trace.Kernels.Gpu;

namespace Trace.Jit;

internal sealed partial class FusedKernel
{
    /// <summary>
    /// One assignment per node of the body up to <paramref name="result"/>, in vector mode (<paramref name="vecStatic"/>
    /// is Vector512/Vector256 and values are vectors of T) or scalar mode (values are T); returns the statements, the
    /// last of which yields <paramref name="result"/>'s value. Booleans (comparisons, masks) are lane masks — all bits
    /// set or clear — in vector mode and <c>bool</c> in scalar mode; a bool group input arrives as 1/0 in T. Int lists
    /// (a final sum's dims) are skipped. With <paramref name="gpu"/> (scalar mode, for an ILGPU kernel) ops whose CPU kernel
    /// struct ILGPU cannot compile call their GPU twins (<see cref="GpuTwins"/>), the structs the eager CUDA kernels use.
    /// <paramref name="known"/> are values computed elsewhere (a row program's reductions, read as columns); only the nodes
    /// <paramref name="result"/> depends on are emitted.
    /// </summary>
    internal static List<Expression> Emit<T>(Graph body, Value result, Func<Value, Expression> load, Func<T, Expression> constant,
        Type type, Type? vecStatic, out List<ParameterExpression> variables, bool gpu = false, IReadOnlyDictionary<Value, Expression>? known = null) where T : unmanaged
    {
        Type Twin(Type kernel) => gpu ? GpuTwins.Of(kernel) ?? kernel : kernel;
        var env = new Dictionary<Value, Expression>();
        var consts = new Dictionary<Value, object?>();
        var statements = new List<Expression>();
        variables = [];
        T zero = default;
        foreach (var v in body.Inputs)
            env[v] = v.TensorType?.DType == DType.Bool ? Not(vecStatic, Compare(vecStatic, "Equals", load(v), constant(zero))) : load(v);
        if (known is not null)
            foreach (var (v, e) in known) env[v] = e;
        var needed = Needed(result, env);
        T C(Value v) => (T)Convert.ChangeType(consts[v] ?? throw new NotSupportedException("None operand"), typeof(T), CultureInfo.InvariantCulture);
        Expression Operand(Value v) => env.TryGetValue(v, out var e) ? e : constant(C(v));
        Expression Number(Value v) => v.TensorType?.DType == DType.Bool
            ? throw new NotSupportedException("comparisons of booleans are not fused") : Operand(v);
        foreach (var n in body.Nodes)
        {
            if (n.Kind == "prim::ListConstruct") continue;
            if (env.ContainsKey(result)) break;
            if (n.Kind == "prim::Constant")
            {
                if (n.Attribute is TensorRef) throw new NotSupportedException("tensor constants are not fused");
                consts[n.Output] = n.Attribute;
                continue;
            }
            if (!needed.Contains(n) || env.ContainsKey(n.Output)) continue;
            var a = n.Inputs;
            // Math with a kernel struct in the op table calls the struct's Apply, the same code the eager kernel runs.
            Expression r = n.Def?.Kernel is { } kernel ? KernelCall(Close(Twin(kernel), typeof(T)), type, [.. a.Select(Operand)]) : n.Kind switch
            {
                "aten::add" => Expression.Add(Operand(a[0]), Operand(a[1])),
                "aten::sub" => Expression.Subtract(Operand(a[0]), Operand(a[1])),
                "aten::mul" => Expression.Multiply(Operand(a[0]), Operand(a[1])),
                "aten::div" => Expression.Divide(Operand(a[0]), Operand(a[1])),
                "aten::neg" => Expression.Negate(Operand(a[0])),
                "aten::square" => Expression.Multiply(Operand(a[0]), Operand(a[0])),
                "aten::clamp" => Clamp<T>(vecStatic, type, Operand(a[0]), consts.GetValueOrDefault(a[1]) is null ? null : C(a[1]),
                    consts.GetValueOrDefault(a[2]) is null ? null : C(a[2]), constant),
                "aten::gelu" => KernelCall(Twin(consts[a[1]] as string == "tanh" ? typeof(GeluTanhOp) : typeof(GeluOp)), type, Operand(a[0])),
                "aten::gelu_backward" when gpu => KernelCall(GpuTwins.GeluBackward(consts[a[2]] as string == "tanh"), type, Operand(a[0]), Operand(a[1])),
                // g · GELU'(x), the same operations as the eager kernel (VectorMath.GeluBackward).
                "aten::gelu_backward" => Expression.Multiply(Operand(a[0]), Expression.Call(typeof(VectorMath).GetMethod(
                    consts[a[2]] as string == "tanh" ? nameof(VectorMath.GeluTanhGrad) : nameof(VectorMath.GeluGrad), [type])!, Operand(a[1]))),
                "aten::eq" => Compare(vecStatic, "Equals", Number(a[0]), Number(a[1])),
                "aten::ne" => Not(vecStatic, Compare(vecStatic, "Equals", Number(a[0]), Number(a[1]))),
                "aten::lt" => Compare(vecStatic, "LessThan", Number(a[0]), Number(a[1])),
                "aten::le" => Compare(vecStatic, "LessThanOrEqual", Number(a[0]), Number(a[1])),
                "aten::gt" => Compare(vecStatic, "GreaterThan", Number(a[0]), Number(a[1])),
                "aten::ge" => Compare(vecStatic, "GreaterThanOrEqual", Number(a[0]), Number(a[1])),
                "aten::where" => Select(vecStatic, Operand(a[0]), Operand(a[1]), Operand(a[2])),
                "aten::masked_fill" => Select(vecStatic, Operand(a[1]), Operand(a[2]), Operand(a[0])),
                "aten::logical_and" => Logic(vecStatic, "BitwiseAnd", ExpressionType.And, Operand(a[0]), Operand(a[1])),
                "aten::logical_or" => Logic(vecStatic, "BitwiseOr", ExpressionType.Or, Operand(a[0]), Operand(a[1])),
                "aten::logical_xor" => Logic(vecStatic, "Xor", ExpressionType.ExclusiveOr, Operand(a[0]), Operand(a[1])),
                "aten::logical_not" => Not(vecStatic, Operand(a[0])),
                _ => throw new NotSupportedException($"{n.Kind} is marked fusible but has neither a kernel struct nor a structural lowering"),
            };
            var variable = Expression.Variable(r.Type, "v" + n.Output.Name);
            variables.Add(variable);
            statements.Add(Expression.Assign(variable, r));
            env[n.Output] = variable;
        }
        statements.Add(env[result]);
        return statements;
    }

    /// <summary>The nodes <paramref name="result"/> depends on through values not already in <paramref name="env"/>.</summary>
    private static HashSet<Node> Needed(Value result, Dictionary<Value, Expression> env)
    {
        var needed = new HashSet<Node>();
        var stack = new Stack<Value>([result]);
        while (stack.TryPop(out var v))
            if (!env.ContainsKey(v) && v.Node is { } p && needed.Add(p))
                foreach (var input in p.Inputs) stack.Push(input);
        return needed;
    }

    /// <summary>A vector comparison (a lane mask) or a scalar one (a bool); IEEE semantics, so NaN compares false.</summary>
    private static Expression Compare(Type? vecStatic, string name, Expression x, Expression y)
    {
        if (vecStatic is null)
            return name switch
            {
                "Equals" => Expression.Equal(x, y),
                "LessThan" => Expression.LessThan(x, y),
                "LessThanOrEqual" => Expression.LessThanOrEqual(x, y),
                "GreaterThan" => Expression.GreaterThan(x, y),
                _ => Expression.GreaterThanOrEqual(x, y),
            };
        return Expression.Call(Generic(vecStatic, name, 2, x.Type), x, y);
    }

    /// <summary>Negates a mask: OnesComplement of the lanes, or a bool's Not.</summary>
    private static Expression Not(Type? vecStatic, Expression mask) =>
        vecStatic is null ? Expression.Not(mask) : Expression.Call(Generic(vecStatic, "OnesComplement", 1, mask.Type), mask);

    /// <summary>cond ? a : b per lane (ConditionalSelect on a lane mask) or per element.</summary>
    private static Expression Select(Type? vecStatic, Expression cond, Expression a, Expression b) =>
        vecStatic is null ? Expression.Condition(cond, a, b) : Expression.Call(Generic(vecStatic, "ConditionalSelect", 3, a.Type), cond, a, b);

    /// <summary>And, or, xor of masks (bitwise on lanes, non-short-circuit on bools).</summary>
    private static Expression Logic(Type? vecStatic, string vectorName, ExpressionType scalar, Expression x, Expression y) =>
        vecStatic is null ? Expression.MakeBinary(scalar, x, y) : Expression.Call(Generic(vecStatic, vectorName, 2, x.Type), x, y);

    /// <summary>The generic <c>Vector512.Name&lt;T&gt;</c> with <paramref name="arity"/> vector parameters, for vectors of <paramref name="vectorType"/>.</summary>
    private static MethodInfo Generic(Type vecStatic, string name, int arity, Type vectorType) =>
        vecStatic.GetMethods().First(m => m.Name == name && m.IsGenericMethodDefinition && m.GetParameters().Length == arity
            && m.GetParameters().All(p => p.ParameterType.IsGenericType))
            .MakeGenericMethod(vectorType.GetGenericArguments()[0]);

    /// <summary>The eager clamp: <see cref="ClampMinOp{T}"/> then <see cref="ClampMaxOp{T}"/>, and NaN everywhere for a NaN bound.</summary>
    private static Expression Clamp<T>(Type? vecStatic, Type type, Expression x, T? lo, T? hi, Func<T, Expression> constant) where T : unmanaged
    {
        static bool IsNaN(T? v) => (object?)v switch { float f => float.IsNaN(f), double d => double.IsNaN(d), _ => false };
        if (IsNaN(lo) || IsNaN(hi)) return constant((T)Convert.ChangeType(double.NaN, typeof(T), CultureInfo.InvariantCulture));
        if (lo is { } l) x = KernelCall(Close(typeof(ClampMinOp<>), typeof(T)), type, x, Broadcast(vecStatic, type, constant(l)));
        if (hi is { } h) x = KernelCall(Close(typeof(ClampMaxOp<>), typeof(T)), type, x, Broadcast(vecStatic, type, constant(h)));
        return x;
    }

    /// <summary>A call of an eager kernel struct's <c>Apply</c> for values of <paramref name="type"/> (T or a vector of T), so fused and eager agree bit for bit.</summary>
    private static Expression KernelCall(Type kernel, Type type, params Expression[] args) =>
        Expression.Call(kernel.GetMethod(nameof(IUnaryOp<float>.Apply), args.Select(_ => type).ToArray())
            ?? throw new NotSupportedException($"{kernel.Name} has no Apply({string.Join(", ", args.Select(_ => type.Name))})"), args);

    /// <summary>An open generic kernel struct (<c>AddOp&lt;&gt;</c>) closed over the element type; a closed one as is.</summary>
    private static Type Close(Type kernel, Type element) => kernel.IsGenericTypeDefinition ? kernel.MakeGenericType(element) : kernel;

    private static Expression Broadcast(Type? vecStatic, Type type, Expression scalar) =>
        scalar.Type == type || vecStatic is null ? scalar : Expression.Call(vecStatic, "Create", [scalar.Type], scalar);
}
