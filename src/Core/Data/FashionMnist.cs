namespace Trace.Data;

/// <summary>
/// The Fashion-MNIST dataset (like torchvision's <c>FashionMNIST(root, train)</c> with <c>ToTensor()</c>): 60,000
/// training or 10,000 test 28×28 grayscale images of clothing in 10 classes. Example i is (image, label): a float32
/// tensor of shape (1, 28, 28) with values in [0, 1] (byte / 255) and an int64 scalar in 0..9 (see
/// <see cref="Classes"/>). The whole split is also exposed as <see cref="Images"/> (N, 1, 28, 28) and
/// <see cref="Labels"/> (N), so training loops can batch by slicing; examples and batches are views or gathers of them.
/// The files are read from <see cref="DefaultRoot"/>, where Debian's <c>dataset-fashion-mnist</c> package installs them.
/// </summary>
/// <example><code>
/// var train = new FashionMnist();                     // /usr/share/datasets/fashion-mnist/, train split
/// var loader = new DataLoader(train, batchSize: 128, shuffle: true, seed: 0);
/// foreach (var batch in loader) { var (x, y) = (batch[0], batch[1]); ... }   // (128, 1, 28, 28), (128)
/// </code></example>
public sealed class FashionMnist : Dataset
{
    /// <summary>Where Debian's <c>dataset-fashion-mnist</c> package installs the four IDX files.</summary>
    public const string DefaultRoot = "/usr/share/datasets/fashion-mnist/";

    /// <summary>How to get the files when they are missing.</summary>
    internal const string InstallHint = "install Debian's dataset-fashion-mnist package: apt-get install dataset-fashion-mnist";

    private static readonly string[] ClassNames =
        ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"];

    private readonly TensorDataset _data;

    /// <summary>Reads one split from <paramref name="root"/> (default <see cref="DefaultRoot"/>).</summary>
    /// <param name="root">Directory holding <c>{train,t10k}-{images-idx3,labels-idx1}-ubyte.gz</c> (or the same names without <c>.gz</c>).</param>
    /// <param name="train">The 60,000 training examples when true, else the 10,000 test examples.</param>
    /// <exception cref="FileNotFoundException">The directory or a file of the split is missing (the message says how to install it).</exception>
    /// <exception cref="InvalidDataException">A file is damaged, not of the expected kind, or images and labels disagree.</exception>
    public FashionMnist(string? root = null, bool train = true)
    {
        Root = root ?? DefaultRoot;
        Train = train;
        string prefix = train ? "train" : "t10k";
        var images = IdxFile.Read(Find(Root, $"{prefix}-images-idx3-ubyte"));
        var labels = IdxFile.Read(Find(Root, $"{prefix}-labels-idx1-ubyte"));
        Check(images, labels);
        var pixels = images.ToTensor(DType.Float32, divisor: 255);
        Images = pixels.Reshape(images.Shape[0], 1, images.Shape[1], images.Shape[2]);
        Labels = labels.ToTensor(DType.Int64);
        _data = new TensorDataset(Images, Labels);
    }

    /// <summary>The class names, indexed by label: "T-shirt/top", "Trouser", ..., "Ankle boot".</summary>
    public static IReadOnlyList<string> Classes => ClassNames;

    /// <summary>The directory the files were read from.</summary>
    public string Root { get; }

    /// <summary>True for the training split, false for the test split.</summary>
    public bool Train { get; }

    /// <summary>All images of the split: float32, shape (N, 1, 28, 28), values in [0, 1].</summary>
    public Tensor Images { get; }

    /// <summary>All labels of the split: int64, shape (N), values in 0..9.</summary>
    public Tensor Labels { get; }

    /// <inheritdoc/>
    public override int Count => _data.Count;

    /// <summary>Example <paramref name="index"/>: (image (1, 28, 28) float32, label int64 scalar), views of <see cref="Images"/> and <see cref="Labels"/>.</summary>
    public override Tensor[] this[int index] => _data[index];

    /// <summary>The examples at <paramref name="indices"/>: one gather each from <see cref="Images"/> and <see cref="Labels"/>.</summary>
    public override Tensor[] GetBatch(IReadOnlyList<int> indices) => _data.GetBatch(indices);

    /// <summary>The path of <paramref name="name"/>.gz (or plain <paramref name="name"/>) under <paramref name="root"/>, or an error saying how to get it.</summary>
    private static string Find(string root, string name)
    {
        string gz = Path.Combine(root, name + ".gz"), plain = Path.Combine(root, name);
        if (File.Exists(gz)) return gz;
        if (File.Exists(plain)) return plain;
        string where = Directory.Exists(root) ? $"{root} has no {name}.gz" : $"directory {root} does not exist, so there is no {name}.gz";
        throw new FileNotFoundException($"FashionMnist: {where}. To get the files, {InstallHint} (it installs them under {DefaultRoot}), or pass the directory holding them as root.", gz);
    }

    /// <summary>Checks that the files are images and labels of one split: kinds, shapes, counts and label range.</summary>
    private static void Check(IdxFile images, IdxFile labels)
    {
        if (images.Type != IdxType.UByte || images.Shape.Count != 3)
            throw new InvalidDataException($"FashionMnist: {images.Path} should hold unsigned-byte images of shape (N, rows, columns) (magic 0x00000803), but holds {images.Type} data of shape {Shapes.Format([.. images.Shape])}.");
        if (labels.Type != IdxType.UByte || labels.Shape.Count != 1)
            throw new InvalidDataException($"FashionMnist: {labels.Path} should hold unsigned-byte labels of shape (N) (magic 0x00000801), but holds {labels.Type} data of shape {Shapes.Format([.. labels.Shape])}.");
        if (labels.Shape[0] != images.Shape[0])
            throw new InvalidDataException($"FashionMnist: {labels.Path} has {labels.Shape[0]} labels but {images.Path} has {images.Shape[0]} images; the files belong to different splits or one is damaged.");
        var values = labels.ToTensor(DType.Int32).ToArray<int>();
        for (int i = 0; i < values.Length; i++)
            if (values[i] >= ClassNames.Length)
                throw new InvalidDataException($"FashionMnist: {labels.Path} has label {values[i]} at index {i}; Fashion-MNIST labels are 0..{ClassNames.Length - 1}.");
    }
}
