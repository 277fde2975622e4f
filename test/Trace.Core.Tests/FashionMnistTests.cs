using System.Diagnostics;
using System.IO.Compression;
using Microsoft.VisualStudio.TestTools.UnitTesting;
using Trace.Data;

namespace Trace.Core.Tests;

/// <summary>
/// FashionMnist on small generated splits (values, shapes, errors) and on the real dataset from Debian's
/// dataset-fashion-mnist package, which .ci/run installs: the real-data tests fail, not skip, when it is missing.
/// </summary>
[TestClass]
public sealed class FashionMnistTests
{
    private string _dir = "";

    [TestInitialize]
    public void CreateDir() => Directory.CreateDirectory(_dir = Path.Combine(Path.GetTempPath(), "trace-fmnist-" + Guid.NewGuid().ToString("N")));

    [TestCleanup]
    public void DeleteDir() => Directory.Delete(_dir, recursive: true);

    /// <summary>Writes a split of <paramref name="n"/> images (pixel k of image i = (31 i + 7 k) mod 256) and labels i mod 10.</summary>
    private (byte[] Pixels, byte[] Labels) WriteSplit(string prefix, int n, bool gzip = true, int labelCount = -1, byte? badLabel = null)
    {
        var pixels = new byte[n * 784];
        for (int i = 0; i < pixels.Length; i++) pixels[i] = (byte)((31 * (i / 784) + 7 * (i % 784)) % 256);
        var labels = Enumerable.Range(0, labelCount < 0 ? n : labelCount).Select(i => (byte)(i % 10)).ToArray();
        if (badLabel is { } b) labels[^1] = b;
        string ext = gzip ? ".gz" : "";
        IdxWriter.Write(Path.Combine(_dir, $"{prefix}-images-idx3-ubyte{ext}"), IdxWriter.Bytes(0x08, [(uint)n, 28, 28], pixels), gzip);
        IdxWriter.Write(Path.Combine(_dir, $"{prefix}-labels-idx1-ubyte{ext}"), IdxWriter.Bytes(0x08, [(uint)labels.Length], labels), gzip);
        return (pixels, labels);
    }

    [TestMethod]
    [DataRow(true, true)]
    [DataRow(false, false)]
    public void ASplitIsImagesInZeroOneAndInt64Labels(bool train, bool gzip)
    {
        var (pixels, labels) = WriteSplit(train ? "train" : "t10k", 12, gzip);
        var ds = new FashionMnist(_dir, train);
        Assert.AreEqual(12, ds.Count);
        Assert.AreEqual(train, ds.Train);
        Assert.AreEqual(_dir, ds.Root);
        Assert.AreEqual(DType.Float32, ds.Images.DType);
        Reference.AssertShape(ds.Images, 12, 1, 28, 28);
        Assert.AreEqual(DType.Int64, ds.Labels.DType);
        Reference.AssertShape(ds.Labels, 12);
        CollectionAssert.AreEqual(pixels.Select(p => p / 255f).ToArray(), ds.Images.ToArray<float>());
        CollectionAssert.AreEqual(labels.Select(l => (long)l).ToArray(), ds.Labels.ToArray<long>());

        var (image, label) = (ds[5][0], ds[5][1]);
        Reference.AssertShape(image, 1, 28, 28);
        Reference.AssertShape(label);
        Assert.AreEqual(DType.Int64, label.DType);
        Assert.AreEqual(5L, label.Item<long>());
        CollectionAssert.AreEqual(pixels.Skip(5 * 784).Take(784).Select(p => p / 255f).ToArray(), image.ToArray<float>());

        var batches = new DataLoader(ds, batchSize: 5).ToList();
        Assert.HasCount(3, batches);
        Reference.AssertShape(batches[0][0], 5, 1, 28, 28);
        CollectionAssert.AreEqual(new long[] { 0, 1, 2, 3, 4 }, batches[0][1].ToArray<long>());
        Reference.AssertShape(batches[2][0], 2, 1, 28, 28);
        CollectionAssert.AreEqual(pixels.Skip(10 * 784).Select(p => p / 255f).ToArray(), batches[2][0].ToArray<float>());
    }

    [TestMethod]
    public void ClassesAreTorchvisionsNames()
    {
        CollectionAssert.AreEqual(new[] { "T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot" },
            FashionMnist.Classes.ToArray());
        Assert.AreEqual("/usr/share/datasets/fashion-mnist/", FashionMnist.DefaultRoot);
    }

    [TestMethod]
    public void MissingFilesSayHowToInstallThem()
    {
        var absent = Path.Combine(_dir, "absent");
        var ex = Assert.ThrowsExactly<FileNotFoundException>(() => new FashionMnist(absent));
        Assert.Contains($"directory {absent} does not exist", ex.Message);
        Assert.Contains("train-images-idx3-ubyte.gz", ex.Message);
        Assert.Contains("install Debian's dataset-fashion-mnist package: apt-get install dataset-fashion-mnist", ex.Message);

        WriteSplit("train", 3);
        File.Delete(Path.Combine(_dir, "train-labels-idx1-ubyte.gz"));
        ex = Assert.ThrowsExactly<FileNotFoundException>(() => new FashionMnist(_dir));
        Assert.Contains($"{_dir} has no train-labels-idx1-ubyte.gz", ex.Message);
        Assert.Contains("apt-get install dataset-fashion-mnist", ex.Message);
        ex = Assert.ThrowsExactly<FileNotFoundException>(() => new FashionMnist(_dir, train: false));
        Assert.Contains("t10k-images-idx3-ubyte.gz", ex.Message);
    }

    [TestMethod]
    public void FilesThatDisagreeAreRejected()
    {
        WriteSplit("train", 4, labelCount: 5);
        var ex = Assert.ThrowsExactly<InvalidDataException>(() => new FashionMnist(_dir));
        Assert.Contains("has 5 labels but", ex.Message);
        Assert.Contains("has 4 images", ex.Message);
        Assert.Contains("train-labels-idx1-ubyte.gz", ex.Message);

        WriteSplit("t10k", 4, badLabel: 10);
        ex = Assert.ThrowsExactly<InvalidDataException>(() => new FashionMnist(_dir, train: false));
        Assert.Contains("label 10 at index 3", ex.Message);

        // Labels where the images should be: a 1-D file, not (N, rows, columns).
        var images = Path.Combine(_dir, "train-images-idx3-ubyte.gz");
        IdxWriter.Write(images, IdxWriter.Bytes(0x08, [4], [1, 2, 3, 4]), gzip: true);
        ex = Assert.ThrowsExactly<InvalidDataException>(() => new FashionMnist(_dir));
        Assert.Contains(images, ex.Message);
        Assert.Contains("0x00000803", ex.Message);
    }

    /// <summary>Bytes <paramref name="offset"/>.. of a gzip file, decompressed here without IdxFile.</summary>
    private static byte[] RawBytes(string path, int offset, int count)
    {
        using var gz = new GZipStream(File.OpenRead(Path.Combine(FashionMnist.DefaultRoot, path)), CompressionMode.Decompress);
        var skip = new byte[offset];
        gz.ReadExactly(skip);
        var bytes = new byte[count];
        gz.ReadExactly(bytes);
        return bytes;
    }

    [TestMethod]
    public void TheRealDatasetHasTheKnownSizesAndBalancedClasses()
    {
        Assert.IsTrue(Directory.Exists(FashionMnist.DefaultRoot),
            $"{FashionMnist.DefaultRoot} is missing: install Debian's dataset-fashion-mnist package (apt-get install dataset-fashion-mnist); .ci/run does");
        var clock = Stopwatch.StartNew();
        var train = new FashionMnist();
        var test = new FashionMnist(train: false);
        Console.WriteLine($"FashionMnist: both splits read in {clock.Elapsed.TotalMilliseconds:F0} ms");
        Assert.AreEqual(60000, train.Count);
        Assert.AreEqual(10000, test.Count);
        Reference.AssertShape(train.Images, 60000, 1, 28, 28);
        Reference.AssertShape(test.Images, 10000, 1, 28, 28);
        Reference.AssertShape(train.Labels, 60000);
        Reference.AssertShape(test.Labels, 10000);

        foreach (var (split, perClass) in new[] { (train, 6000), (test, 1000) })
        {
            var counts = new int[10];
            foreach (var l in split.Labels.ToArray<long>()) counts[l]++;
            CollectionAssert.AreEqual(Enumerable.Repeat(perClass, 10).ToArray(), counts, $"{(split.Train ? "train" : "test")}: labels per class");
            Assert.AreEqual(0.0, split.Images.Min().Item(), "darkest pixel");
            Assert.AreEqual(1.0, split.Images.Max().Item(), "brightest pixel");
        }
    }

    [TestMethod]
    [DataRow(true, 0)]
    [DataRow(true, 59999)]
    [DataRow(false, 0)]
    [DataRow(false, 4321)]
    public void RealImagesAndLabelsMatchTheRawFileBytes(bool train, int index)
    {
        var ds = new FashionMnist(train: train);
        string prefix = train ? "train" : "t10k";
        var pixels = RawBytes($"{prefix}-images-idx3-ubyte.gz", 16 + 784 * index, 784);
        var labels = RawBytes($"{prefix}-labels-idx1-ubyte.gz", 8, 20);
        var item = ds[index];
        CollectionAssert.AreEqual(pixels.Select(p => p / 255f).ToArray(), item[0].ToArray<float>(), $"image {index}");
        Assert.AreEqual((long)RawBytes($"{prefix}-labels-idx1-ubyte.gz", 8 + index, 1)[0], item[1].Item<long>(), $"label {index}");
        CollectionAssert.AreEqual(labels.Select(l => (long)l).ToArray(), ds.Labels.Narrow(0, 0, 20).ToArray<long>(), "first 20 labels");
        if (train && index == 0)
            Assert.AreEqual("Ankle boot", FashionMnist.Classes[(int)item[1].Item<long>()], "the first training image is an ankle boot, as in torchvision");
    }
}
