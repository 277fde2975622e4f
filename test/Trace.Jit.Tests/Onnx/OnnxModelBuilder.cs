using Google.Protobuf;

namespace Trace.Jit.Tests.OnnxFormat;

using OnnxPb = global::Onnx;

/// <summary>Writes ONNX models node by node in the tests, as another framework's exporter would (typed data fields, Constant nodes).</summary>
internal sealed class OnnxModelBuilder(string name, long opset = 17)
{
    private readonly OnnxPb.GraphProto _graph = new() { Name = name };

    public OnnxModelBuilder Input(string input, params object[] dims)
    {
        _graph.Input.Add(Info(input, dims));
        return this;
    }

    public OnnxModelBuilder Output(string output, params object[] dims)
    {
        _graph.Output.Add(Info(output, dims));
        return this;
    }

    /// <summary>A float initializer in float_data (not raw_data), as some exporters write them.</summary>
    public OnnxModelBuilder Initializer(string init, Tensor value)
    {
        var p = new OnnxPb.TensorProto { Name = init, DataType = 1 };
        p.Dims.AddRange(value.Shape.ToArray().Select(d => (long)d));
        p.FloatData.AddRange(value.Contiguous().ToArray<float>());
        _graph.Initializer.Add(p);
        return this;
    }

    public OnnxModelBuilder Ints(string init, params long[] values)
    {
        var p = new OnnxPb.TensorProto { Name = init, DataType = 7 };
        p.Dims.Add(values.Length);
        p.Int64Data.AddRange(values);
        _graph.Initializer.Add(p);
        return this;
    }

    public OnnxModelBuilder Node(string op, string[] inputs, string[] outputs, params OnnxPb.AttributeProto[] attributes)
    {
        var n = new OnnxPb.NodeProto { OpType = op, Name = $"/{op}_{_graph.Node.Count}" };
        n.Input.AddRange(inputs);
        n.Output.AddRange(outputs);
        n.Attribute.AddRange(attributes);
        _graph.Node.Add(n);
        return this;
    }

    /// <summary>A Constant node holding one float.</summary>
    public OnnxModelBuilder Constant(string output, float value) =>
        Node("Constant", [], [output], new OnnxPb.AttributeProto { Name = "value_float", Type = OnnxPb.AttributeProto.Types.AttributeType.Float, F = value });

    public static OnnxPb.AttributeProto Int(string n, long v) => new() { Name = n, Type = OnnxPb.AttributeProto.Types.AttributeType.Int, I = v };

    public static OnnxPb.AttributeProto Float(string n, float v) => new() { Name = n, Type = OnnxPb.AttributeProto.Types.AttributeType.Float, F = v };

    public static OnnxPb.AttributeProto IntList(string n, params long[] v)
    {
        var a = new OnnxPb.AttributeProto { Name = n, Type = OnnxPb.AttributeProto.Types.AttributeType.Ints };
        a.Ints.AddRange(v);
        return a;
    }

    public byte[] Build(string domain = "")
    {
        var m = new OnnxPb.ModelProto { IrVersion = 8, ProducerName = "hand-written test exporter", Graph = _graph };
        m.OpsetImport.Add(new OnnxPb.OperatorSetIdProto { Domain = domain, Version = opset });
        return m.ToByteArray();
    }

    /// <summary>A float tensor's value info; a string dim is symbolic (dim_param).</summary>
    private static OnnxPb.ValueInfoProto Info(string name, object[] dims)
    {
        var shape = new OnnxPb.TensorShapeProto();
        foreach (var d in dims)
            shape.Dim.Add(d is string s ? new OnnxPb.TensorShapeProto.Types.Dimension { DimParam = s } : new OnnxPb.TensorShapeProto.Types.Dimension { DimValue = Convert.ToInt64(d) });
        return new OnnxPb.ValueInfoProto { Name = name, Type = new OnnxPb.TypeProto { TensorType = new OnnxPb.TypeProto.Types.Tensor { ElemType = 1, Shape = shape } } };
    }
}
