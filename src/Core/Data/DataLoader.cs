using System.Collections;

namespace Trace.Data;

/// <summary>
/// Iterates a <see cref="Dataset"/> in batches (like <c>torch.utils.data.DataLoader</c>); each enumeration is one
/// epoch. With <c>shuffle</c>, epoch e (the loader's e-th enumeration, from 0) visits the examples in a
/// permutation drawn from a generator seeded by (seed, e), so loaders with the same seed yield the same batches
/// in the same order whatever <see cref="NumWorkers"/> is. With workers, background threads prefetch up to
/// <see cref="NumWorkers"/> × <see cref="PrefetchFactor"/> batches while the consumer works; batches still
/// arrive in order, and a worker's exception is rethrown on the consumer's <c>MoveNext</c> when it reaches the
/// failed batch. Dispose the enumerator (<c>foreach</c> does) to stop the workers.
/// </summary>
/// <example><code>
/// var loader = new DataLoader(new TensorDataset(x, y), batchSize: 64, shuffle: true, seed: 0, numWorkers: 2);
/// foreach (var batch in loader) { var (xb, yb) = (batch[0], batch[1]); ... }
/// </code></example>
public sealed class DataLoader : IEnumerable<Tensor[]>
{
    private readonly ulong _seed;
    private long _epoch = -1;

    /// <summary>Creates a loader; nothing is loaded until it is enumerated.</summary>
    /// <param name="dataset">The examples.</param>
    /// <param name="batchSize">Examples per batch (the last batch may be smaller unless <paramref name="dropLast"/>).</param>
    /// <param name="shuffle">Visit the examples in a fresh random order each epoch.</param>
    /// <param name="seed">Seed of the shuffle; when null one is drawn from <see cref="Generator.Default"/>.</param>
    /// <param name="dropLast">Skip the last batch when it is smaller than <paramref name="batchSize"/>.</param>
    /// <param name="numWorkers">Background loading threads; 0 loads on the consumer's thread.</param>
    /// <param name="prefetchFactor">Batches in flight per worker (ignored when <paramref name="numWorkers"/> is 0).</param>
    /// <exception cref="ArgumentOutOfRangeException">batchSize &lt; 1, numWorkers &lt; 0 or prefetchFactor &lt; 1.</exception>
    public DataLoader(Dataset dataset, int batchSize = 1, bool shuffle = false, ulong? seed = null, bool dropLast = false,
        int numWorkers = 0, int prefetchFactor = 2)
    {
        ArgumentNullException.ThrowIfNull(dataset);
        if (batchSize < 1)
            throw new ArgumentOutOfRangeException(nameof(batchSize), $"DataLoader: batchSize must be at least 1, got {batchSize}.");
        if (numWorkers < 0)
            throw new ArgumentOutOfRangeException(nameof(numWorkers), $"DataLoader: numWorkers must be 0 (load on the consumer's thread) or more, got {numWorkers}.");
        if (prefetchFactor < 1)
            throw new ArgumentOutOfRangeException(nameof(prefetchFactor), $"DataLoader: prefetchFactor must be at least 1, got {prefetchFactor}.");
        Dataset = dataset;
        BatchSize = batchSize;
        Shuffle = shuffle;
        DropLast = dropLast;
        NumWorkers = numWorkers;
        PrefetchFactor = prefetchFactor;
        _seed = seed ?? (shuffle ? (ulong)Generator.Default.NextInt64(long.MaxValue) : 0);
    }

    /// <summary>The examples.</summary>
    public Dataset Dataset { get; }

    /// <summary>Examples per batch.</summary>
    public int BatchSize { get; }

    /// <summary>True when each epoch visits the examples in a fresh random order.</summary>
    public bool Shuffle { get; }

    /// <summary>True when a last batch smaller than <see cref="BatchSize"/> is skipped.</summary>
    public bool DropLast { get; }

    /// <summary>Background loading threads (0: load on the consumer's thread).</summary>
    public int NumWorkers { get; }

    /// <summary>Batches in flight per worker.</summary>
    public int PrefetchFactor { get; }

    /// <summary>Number of batches per epoch.</summary>
    public int Count => BatchCount(Dataset.Count);

    private int BatchCount(int examples) => DropLast ? examples / BatchSize : (int)((examples + (long)BatchSize - 1) / BatchSize);

    /// <summary>Starts the next epoch. Dispose the enumerator to stop its workers (<c>foreach</c> does).</summary>
    public IEnumerator<Tensor[]> GetEnumerator()
    {
        long epoch = Interlocked.Increment(ref _epoch);
        int n = Dataset.Count;
        if (n < 0) throw new InvalidOperationException($"DataLoader: {Dataset.GetType().Name}.Count is negative ({n}).");
        var order = EpochOrder(n, epoch);
        int batches = BatchCount(n);
        return NumWorkers == 0 || batches == 0
            ? LoadSerially(order, batches)
            : new PrefetchEnumerator(this, order, batches, NumWorkers, NumWorkers * PrefetchFactor);
    }

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();

    /// <summary>The example indices of one epoch: 0..n-1, or with shuffle a Fisher–Yates permutation seeded by (seed, epoch).</summary>
    private int[] EpochOrder(int n, long epoch)
    {
        var order = new int[n];
        for (int i = 0; i < n; i++) order[i] = i;
        if (!Shuffle) return order;
        var generator = new Generator(EpochSeed(_seed, epoch));
        for (int i = n - 1; i > 0; i--)
        {
            int j = (int)generator.NextInt64(i + 1);
            (order[i], order[j]) = (order[j], order[i]);
        }
        return order;
    }

    /// <summary>Mixes the loader seed with the epoch number (splitmix64 finalizer on each) into one generator seed.</summary>
    internal static ulong EpochSeed(ulong seed, long epoch) => Mix(Mix(seed) ^ (ulong)epoch);

    private static ulong Mix(ulong z)
    {
        z += 0x9E3779B97F4A7C15UL;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }

    /// <summary>Loads batch <paramref name="batch"/> of an epoch whose example order is <paramref name="order"/>.</summary>
    internal Tensor[] LoadBatch(int[] order, int batch)
    {
        int start = batch * BatchSize;
        var indices = new ArraySegment<int>(order, start, Math.Min(BatchSize, order.Length - start));
        return Dataset.GetBatch(indices)
            ?? throw new InvalidOperationException($"DataLoader: {Dataset.GetType().Name}.GetBatch returned null for batch {batch}.");
    }

    private IEnumerator<Tensor[]> LoadSerially(int[] order, int batches)
    {
        for (int b = 0; b < batches; b++) yield return LoadBatch(order, b);
    }
}
