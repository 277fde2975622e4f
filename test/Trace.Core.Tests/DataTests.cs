using System.Collections.Concurrent;
using System.Diagnostics;
using System.Runtime.CompilerServices;
using Microsoft.VisualStudio.TestTools.UnitTesting;
using Trace.Data;

namespace Trace.Core.Tests;

/// <summary>Dataset, TensorDataset and DataLoader: batching, shuffling, worker prefetch, errors and shutdown.</summary>
[TestClass]
public class DataTests
{
    /// <summary>x[i, j] = 10 i + j (float64, n × 3) and y[i] = 7 i (int64): the example id is x[i, 0] / 10.</summary>
    private static TensorDataset Numbered(int n)
    {
        var x = new double[n * 3];
        for (int i = 0; i < x.Length; i++) x[i] = 10 * (i / 3) + i % 3;
        var y = Enumerable.Range(0, n).Select(i => 7L * i).ToArray();
        return new TensorDataset(Tensor.From(x, [n, 3]), Tensor.From(y));
    }

    /// <summary>Example ids of a batch of <see cref="Numbered"/>, checking that x and y rows belong together.</summary>
    private static int[] Ids(Tensor[] batch)
    {
        Assert.HasCount(2, batch);
        var x = Reference.Values(batch[0]);
        var y = Reference.Values(batch[1]);
        var ids = new int[y.Length];
        for (int r = 0; r < ids.Length; r++)
        {
            ids[r] = (int)(x[3 * r] / 10);
            CollectionAssert.AreEqual(new double[] { 10 * ids[r], 10 * ids[r] + 1, 10 * ids[r] + 2 }, x.Skip(3 * r).Take(3).ToArray(), "x row");
            Assert.AreEqual(7.0 * ids[r], y[r], "y matches x");
        }
        return ids;
    }

    private static List<Tensor[]> Epoch(DataLoader loader) => loader.ToList();

    private static void AssertThrows<T>(Action act, params string[] parts) where T : Exception
    {
        var ex = Assert.ThrowsExactly<T>(act);
        foreach (var p in parts) Assert.Contains(p, ex.Message);
    }

    [TestMethod]
    public void TensorDatasetItemsAreRowsOfEachTensor()
    {
        var ds = Numbered(5);
        Assert.AreEqual(5, ds.Count);
        for (int i = 0; i < 5; i++)
        {
            var item = ds[i];
            Assert.HasCount(2, item);
            Reference.AssertShape(item[0], 3);
            Reference.AssertShape(item[1]);
            Reference.AssertClose([10 * i, 10 * i + 1, 10 * i + 2], item[0], 0, 0, $"x[{i}]");
            Reference.AssertClose([7 * i], item[1], 0, 0, $"y[{i}]");
        }
        AssertThrows<ArgumentOutOfRangeException>(() => _ = ds[5], "TensorDataset", "index 5", "5 examples");
        AssertThrows<ArgumentOutOfRangeException>(() => ds.GetBatch([0, -1]), "TensorDataset", "index -1");
    }

    [TestMethod]
    public void TensorDatasetBatchGathersRowsInIndexOrderLikeStacking()
    {
        var ds = Numbered(6);
        int[] indices = [4, 0, 4, 2];
        var fast = ds.GetBatch(indices);
        Reference.AssertShape(fast[0], 4, 3);
        Reference.AssertShape(fast[1], 4);
        CollectionAssert.AreEqual(indices, Ids(fast));
        var stacked = new ExampleDataset(ds).GetBatch(indices); // the default GetBatch, example by example
        for (int k = 0; k < 2; k++)
        {
            Assert.AreEqual(fast[k].DType, stacked[k].DType);
            Reference.AssertClose(Reference.Values(stacked[k]), fast[k], 0, 0, $"tensor {k}");
        }
    }

    [TestMethod]
    public void TensorDatasetRejectsTensorsWithDifferentFirstDims()
    {
        AssertThrows<ArgumentException>(() => new TensorDataset(Tensor.Zeros(4, 3), Tensor.Zeros(5)), "TensorDataset", "dim 0", "(4, 3)", "(5,)");
        AssertThrows<ArgumentException>(() => new TensorDataset(Tensor.Zeros(4), Tensor.Scalar(1.0)), "TensorDataset", "(4,)", "()");
        AssertThrows<ArgumentException>(() => new TensorDataset(), "TensorDataset", "at least one tensor");
    }

    [TestMethod]
    [DataRow(0)]
    [DataRow(2)]
    public void BatchesFollowTheDatasetWithAPartialLastBatch(int workers)
    {
        var loader = new DataLoader(Numbered(10), batchSize: 4, numWorkers: workers);
        Assert.AreEqual(3, loader.Count);
        var batches = Epoch(loader);
        Assert.HasCount(3, batches);
        int[][] expected = [[0, 1, 2, 3], [4, 5, 6, 7], [8, 9]];
        for (int b = 0; b < 3; b++)
        {
            Reference.AssertShape(batches[b][0], expected[b].Length, 3);
            Reference.AssertShape(batches[b][1], expected[b].Length);
            CollectionAssert.AreEqual(expected[b], Ids(batches[b]), $"batch {b}");
        }

        var dropping = new DataLoader(Numbered(10), batchSize: 4, dropLast: true, numWorkers: workers);
        Assert.AreEqual(2, dropping.Count);
        CollectionAssert.AreEqual(new[] { 0, 1, 2, 3, 4, 5, 6, 7 }, Epoch(dropping).SelectMany(Ids).ToArray());
    }

    [TestMethod]
    [DataRow(0, 3, false, 0)]
    [DataRow(0, 3, true, 0)]
    [DataRow(2, 3, true, 0)]
    [DataRow(3, 3, true, 1)]
    [DataRow(7, 1, false, 7)]
    [DataRow(7, 7, false, 1)]
    [DataRow(7, 8, false, 1)]
    [DataRow(7, 8, true, 0)]
    [DataRow(9, 4, false, 3)]
    [DataRow(9, 4, true, 2)]
    public void CountMatchesTheBatchesOfAnEpoch(int examples, int batchSize, bool dropLast, int expected)
    {
        foreach (int workers in new[] { 0, 2 })
        {
            var loader = new DataLoader(Numbered(examples), batchSize, shuffle: true, seed: 1, dropLast: dropLast, numWorkers: workers);
            Assert.AreEqual(expected, loader.Count);
            var batches = Epoch(loader);
            Assert.HasCount(expected, batches);
            Assert.IsTrue(batches.All(b => b[0].Size(0) <= batchSize && (!dropLast || b[0].Size(0) == batchSize)));
        }
    }

    [TestMethod]
    public void ShuffleVisitsEveryExampleOncePerEpochInANewOrder()
    {
        const int n = 23;
        var loader = new DataLoader(Numbered(n), batchSize: 5, shuffle: true, seed: 42);
        var orders = new List<int[]>();
        for (int e = 0; e < 3; e++)
        {
            var order = Epoch(loader).SelectMany(Ids).ToArray();
            CollectionAssert.AreEquivalent(Enumerable.Range(0, n).ToArray(), order, $"epoch {e} is a permutation");
            CollectionAssert.AreNotEqual(Enumerable.Range(0, n).ToArray(), order, $"epoch {e} is shuffled");
            orders.Add(order);
        }
        CollectionAssert.AreNotEqual(orders[0], orders[1]);
        CollectionAssert.AreNotEqual(orders[1], orders[2]);

        var again = new DataLoader(Numbered(n), batchSize: 5, shuffle: true, seed: 42);
        for (int e = 0; e < 3; e++) CollectionAssert.AreEqual(orders[e], Epoch(again).SelectMany(Ids).ToArray(), $"same seed, epoch {e}");
        var other = new DataLoader(Numbered(n), batchSize: 5, shuffle: true, seed: 43);
        CollectionAssert.AreNotEqual(orders[0], Epoch(other).SelectMany(Ids).ToArray(), "another seed");
    }

    [TestMethod]
    public void ShuffledBatchesAreTheSameForAnyNumberOfWorkers()
    {
        static List<double[]> ThreeEpochs(int workers, int prefetch)
        {
            var loader = new DataLoader(Numbered(29), batchSize: 4, shuffle: true, seed: 7, numWorkers: workers, prefetchFactor: prefetch);
            var values = new List<double[]>();
            for (int e = 0; e < 3; e++)
                foreach (var batch in loader)
                    values.AddRange(batch.Select(Reference.Values));
            return values;
        }
        var serial = ThreeEpochs(0, 2);
        Assert.HasCount(3 * 8 * 2, serial);
        foreach (var (workers, prefetch) in new[] { (1, 2), (3, 1), (3, 4) })
        {
            var parallel = ThreeEpochs(workers, prefetch);
            Assert.HasCount(serial.Count, parallel);
            for (int i = 0; i < serial.Count; i++)
                CollectionAssert.AreEqual(serial[i], parallel[i], $"numWorkers {workers}, prefetchFactor {prefetch}: tensor {i}");
        }
    }

    [TestMethod]
    public void WorkersLoadInParallelWhileTheConsumerWorks()
    {
        var ds = new SlowDataset(24, sleepMs: 5);
        var loader = new DataLoader(ds, batchSize: 4, numWorkers: 2);
        var ids = new List<long>();
        var clock = Stopwatch.StartNew();
        foreach (var batch in loader)
        {
            ids.AddRange(batch[0].ToArray<long>());
            ds.ConsumerBusy = true; // a training step
            Thread.Sleep(20);
            ds.ConsumerBusy = false;
        }
        clock.Stop();
        CollectionAssert.AreEqual(Enumerable.Range(0, 24).Select(i => (long)i).ToArray(), ids.ToArray(), "batches in order");
        Assert.IsGreaterThanOrEqualTo(2, ds.MaxActive, "two workers load at once");
        Assert.IsGreaterThan(0, ds.LoadsWhileConsumerBusy, "workers load while the consumer works");
        Assert.IsFalse(ds.Threads.ContainsKey(Thread.CurrentThread), "nothing loads on the consumer's thread");
        Assert.IsTrue(ds.Threads.Keys.All(t => !t.IsAlive), "workers ended with the epoch");
        // Serially: 6 × (20 ms load + 20 ms step) = 240 ms; prefetching hides most loads. Generous for a loaded machine.
        Assert.IsLessThan(5000, clock.ElapsedMilliseconds);
    }

    [TestMethod]
    [DataRow(0)]
    [DataRow(2)]
    public void AWorkerExceptionReachesTheConsumerWithItsTypeAndStack(int workers)
    {
        var loader = new DataLoader(new ThrowingDataset(12, badIndex: 7), batchSize: 2, numWorkers: workers, prefetchFactor: 3);
        var delivered = new List<long>();
        var e = loader.GetEnumerator();
        try
        {
            var ex = Assert.ThrowsExactly<InvalidDataException>(() =>
            {
                while (e.MoveNext()) delivered.AddRange(e.Current[0].ToArray<long>());
            });
            Assert.Contains("bad example 7", ex.Message);
            Assert.Contains(nameof(ThrowingDataset.LoadExample), ex.StackTrace!);
            CollectionAssert.AreEqual(new long[] { 0, 1, 2, 3, 4, 5 }, delivered.ToArray(), "batches before the failure are delivered");
            Assert.IsFalse(e.MoveNext(), "the epoch ends after the exception");
            if (e is PrefetchEnumerator prefetch) Assert.AreEqual(0, prefetch.LiveWorkers, "workers stopped");
        }
        finally
        {
            e.Dispose();
        }
    }

    [TestMethod]
    public void BreakingOutEarlyStopsTheWorkersPromptly()
    {
        var ds = new SlowDataset(400, sleepMs: 2);
        var loader = new DataLoader(ds, batchSize: 4, numWorkers: 3, prefetchFactor: 2);
        var e = loader.GetEnumerator();
        Assert.IsTrue(e.MoveNext());
        Assert.IsTrue(e.MoveNext());
        var clock = Stopwatch.StartNew();
        e.Dispose(); // what foreach does on break
        clock.Stop();
        Assert.IsLessThan(2000, clock.ElapsedMilliseconds, "Dispose waits only for the batches being loaded");
        Assert.AreEqual(0, ((PrefetchEnumerator)e).LiveWorkers);
        Assert.IsTrue(ds.Threads.Keys.All(t => !t.IsAlive), "worker threads ended");
        int loads = ds.Loads;
        Assert.IsLessThanOrEqualTo((2 + 3 * 2 + 3) * 4, loads, "at most the buffer was loaded ahead");
        Thread.Sleep(20);
        Assert.AreEqual(loads, ds.Loads, "nothing loads after Dispose");
        Assert.IsFalse(e.MoveNext());

        int seen = 0;
        foreach (var batch in new DataLoader(ds, batchSize: 4, numWorkers: 2))
            if (++seen == 3) break;
        Assert.IsTrue(ds.Threads.Keys.All(t => !t.IsAlive), "foreach's break ends the workers");
    }

    [TestMethod]
    public void WorkersUseTheConsumersGradMode()
    {
        var x = Tensor.From(new double[] { 1, 2, 3, 4 }, [2, 2]).RequiresGrad_();
        var ds = new TensorDataset(x);
        foreach (int workers in new[] { 0, 2 })
        {
            Assert.IsTrue(new DataLoader(ds, batchSize: 2, numWorkers: workers).Single()[0].RequiresGrad, $"numWorkers {workers}");
            using (Autograd.NoGrad())
                Assert.IsFalse(new DataLoader(ds, batchSize: 2, numWorkers: workers).Single()[0].RequiresGrad, $"numWorkers {workers}, no grad");
        }
    }

    [TestMethod]
    public void DefaultGetBatchStacksEachTuplePosition()
    {
        var ds = new ExampleDataset(Numbered(5));
        var batch = ds.GetBatch([3, 1]);
        Reference.AssertShape(batch[0], 2, 3);
        Reference.AssertShape(batch[1], 2);
        CollectionAssert.AreEqual(new[] { 3, 1 }, Ids(batch));
        var fromLoader = new DataLoader(ds, batchSize: 2, numWorkers: 1).ToList();
        CollectionAssert.AreEqual(new[] { 0, 1, 2, 3, 4 }, fromLoader.SelectMany(Ids).ToArray());
        AssertThrows<ArgumentException>(() => ds.GetBatch([]), "ExampleDataset.GetBatch", "at least one index");
    }

    [TestMethod]
    public void DefaultGetBatchRejectsExamplesThatCannotBeStacked()
    {
        var ragged = new ListDataset([Tensor.Zeros(3), Tensor.Zeros(1)], [Tensor.Zeros(3), Tensor.Zeros(1)], [Tensor.Zeros(4), Tensor.Zeros(1)]);
        ragged.GetBatch([0, 1]);
        AssertThrows<ArgumentException>(() => ragged.GetBatch([0, 1, 2]), "ListDataset.GetBatch", "tensor 0", "example 0 has shape (3,)", "example 2 has shape (4,)");
        var uneven = new ListDataset([Tensor.Zeros(3), Tensor.Zeros(1)], [Tensor.Zeros(3)]);
        AssertThrows<ArgumentException>(() => uneven.GetBatch([0, 1]), "ListDataset.GetBatch", "same number of tensors", "example 0 has 2", "example 1 has 1");
        AssertThrows<ArgumentException>(() => new DataLoader(ragged, batchSize: 3, numWorkers: 1).ToList(), "example 2 has shape (4,)");
    }

    [TestMethod]
    public void LoaderValidatesItsArguments()
    {
        var ds = Numbered(4);
        AssertThrows<ArgumentOutOfRangeException>(() => new DataLoader(ds, batchSize: 0), "DataLoader", "batchSize", "got 0");
        AssertThrows<ArgumentOutOfRangeException>(() => new DataLoader(ds, numWorkers: -1), "DataLoader", "numWorkers", "got -1");
        AssertThrows<ArgumentOutOfRangeException>(() => new DataLoader(ds, numWorkers: 1, prefetchFactor: 0), "DataLoader", "prefetchFactor", "got 0");
        Assert.ThrowsExactly<ArgumentNullException>(() => new DataLoader(null!));
        var empty = new DataLoader(new ListDataset(), batchSize: 2, shuffle: true, seed: 3, numWorkers: 2);
        Assert.AreEqual(0, empty.Count);
        Assert.IsEmpty(empty.ToList());
    }

    /// <summary>Exposes a dataset's examples without its batch override, so the default GetBatch stacks them.</summary>
    private sealed class ExampleDataset(Dataset inner) : Dataset
    {
        public override int Count => inner.Count;
        public override Tensor[] this[int index] => inner[index];
    }

    private sealed class ListDataset(params Tensor[][] examples) : Dataset
    {
        public override int Count => examples.Length;
        public override Tensor[] this[int index] => examples[index];
    }

    /// <summary>Example i is the int64 scalar i, after a sleep; counts concurrent and overlapping loads.</summary>
    private sealed class SlowDataset(int count, int sleepMs) : Dataset
    {
        private int _active, _maxActive, _loads, _loadsWhileBusy;
        private volatile bool _consumerBusy;

        /// <summary>Every thread that loaded an example (Thread compares by reference).</summary>
        public ConcurrentDictionary<Thread, byte> Threads { get; } = new();
        public bool ConsumerBusy { get => _consumerBusy; set => _consumerBusy = value; }
        public int MaxActive => Volatile.Read(ref _maxActive);
        public int Loads => Volatile.Read(ref _loads);
        public int LoadsWhileConsumerBusy => Volatile.Read(ref _loadsWhileBusy);
        public override int Count => count;

        public override Tensor[] this[int index]
        {
            get
            {
                Threads.TryAdd(Thread.CurrentThread, 0);
                Interlocked.Increment(ref _loads);
                int active = Interlocked.Increment(ref _active);
                for (int m = _maxActive; active > m; m = _maxActive) Interlocked.CompareExchange(ref _maxActive, active, m);
                if (_consumerBusy) Interlocked.Increment(ref _loadsWhileBusy);
                Thread.Sleep(sleepMs);
                Interlocked.Decrement(ref _active);
                return [Tensor.Scalar((long)index)];
            }
        }
    }

    private sealed class ThrowingDataset(int count, int badIndex) : Dataset
    {
        public override int Count => count;
        public override Tensor[] this[int index] => LoadExample(index);

        [MethodImpl(MethodImplOptions.NoInlining)]
        public Tensor[] LoadExample(int index) => index == badIndex
            ? throw new InvalidDataException($"bad example {index}")
            : [Tensor.Scalar((long)index)];
    }
}
