using System.Collections;
using System.Runtime.ExceptionServices;

namespace Trace.Data;

/// <summary>
/// One epoch of a <see cref="DataLoader"/> loaded by background threads. Workers claim batch numbers in order
/// and load them into a ring of <c>capacity</c> slots (slot = batch mod capacity); a worker may claim batch b only
/// while fewer than <c>capacity</c> claimed batches are waiting for the consumer, so the batches in flight always
/// fit the ring and the batch the consumer waits for is always being loaded. All waits are Monitor waits on one
/// gate (no spinning). A failure at batch b stops further claims; batches before b are still delivered, then the
/// original exception is rethrown (<see cref="ExceptionDispatchInfo"/>), as loading serially would.
/// </summary>
internal sealed class PrefetchEnumerator : IEnumerator<Tensor[]>
{
    private readonly Workers _workers;
    private Tensor[]? _current;
    private bool _disposed;

    public PrefetchEnumerator(DataLoader loader, int[] order, int batches, int workers, int capacity) =>
        _workers = new Workers(loader, order, batches, workers, capacity, Autograd.IsEnabled);

    /// <summary>An enumerator dropped without Dispose still releases its blocked workers (without joining).</summary>
    ~PrefetchEnumerator() => _workers.Stop(join: false);

    /// <summary>Worker threads started and not yet finished (for tests).</summary>
    internal int LiveWorkers => _workers.LiveWorkers;

    public Tensor[] Current => _current ?? throw new InvalidOperationException("DataLoader: Current is undefined before MoveNext or after the last batch.");

    object IEnumerator.Current => Current;

    public bool MoveNext()
    {
        _current = _disposed ? null : _workers.Take();
        return _current is not null;
    }

    public void Reset() => throw new NotSupportedException("DataLoader: an epoch cannot be restarted; enumerate the loader again for the next epoch.");

    /// <summary>Stops the workers and waits for them to finish the batches they are loading.</summary>
    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        _current = null;
        _workers.Stop(join: true);
        GC.SuppressFinalize(this);
    }

    /// <summary>The state shared with the worker threads; it does not reference the enumerator, so that can be finalized.</summary>
    private sealed class Workers(DataLoader loader, int[] order, int batches, int workers, int capacity, bool gradEnabled)
    {
        private readonly object _gate = new();
        private readonly Tensor[]?[] _slots = new Tensor[]?[capacity];
        private Thread[]? _threads;
        private int _claimed, _taken, _live;
        private int _failedAt = int.MaxValue;
        private ExceptionDispatchInfo? _error;
        private bool _stopped;

        public int LiveWorkers => Volatile.Read(ref _live);

        /// <summary>The next batch in order, or null at the end of the epoch; rethrows a worker's exception.</summary>
        public Tensor[]? Take()
        {
            lock (_gate)
            {
                if (_stopped || _taken >= batches) return null;
                if (_threads is null) Start();
                int slot = _taken % _slots.Length;
                Tensor[]? batch;
                while ((batch = _slots[slot]) is null && _taken < _failedAt && !_stopped) Monitor.Wait(_gate);
                if (batch is not null)
                {
                    _slots[slot] = null;
                    _taken++;
                    Monitor.PulseAll(_gate); // a slot is free: a waiting worker may claim the next batch
                    return batch;
                }
                if (_stopped) return null;
            }
            Stop(join: true);
            _error!.Throw();
            return null;
        }

        /// <summary>Tells the workers to stop claiming batches; with <paramref name="join"/>, waits for them to end.</summary>
        public void Stop(bool join)
        {
            Thread[]? threads;
            lock (_gate)
            {
                _stopped = true;
                threads = _threads;
                Array.Clear(_slots);
                Monitor.PulseAll(_gate);
            }
            if (join && threads is not null)
                foreach (var t in threads) t.Join();
        }

        /// <summary>Starts the threads; called under the gate.</summary>
        private void Start()
        {
            _threads = new Thread[Math.Min(workers, batches)];
            _live = _threads.Length;
            for (int i = 0; i < _threads.Length; i++)
            {
                _threads[i] = new Thread(Run) { IsBackground = true, Name = $"Trace DataLoader worker {i}" };
                _threads[i].Start();
            }
        }

        private void Run()
        {
            try
            {
                using var noGrad = gradEnabled ? null : Autograd.NoGrad(); // the consumer's grad mode
                while (TryClaim(out int b))
                {
                    Tensor[]? batch = null;
                    ExceptionDispatchInfo? error = null;
                    try { batch = loader.LoadBatch(order, b); }
                    catch (Exception e) { error = ExceptionDispatchInfo.Capture(e); }
                    lock (_gate)
                    {
                        if (error is null) _slots[b % _slots.Length] = batch;
                        else if (b < _failedAt) (_failedAt, _error) = (b, error);
                        Monitor.PulseAll(_gate);
                    }
                }
            }
            finally
            {
                Interlocked.Decrement(ref _live);
            }
        }

        /// <summary>Waits for a free slot and claims the next batch; false when there is nothing left to load.</summary>
        private bool TryClaim(out int b)
        {
            lock (_gate)
            {
                while (!_stopped && _claimed < batches && _claimed < _failedAt && _claimed - _taken >= _slots.Length)
                    Monitor.Wait(_gate);
                b = _claimed;
                if (_stopped || _claimed >= batches || _claimed >= _failedAt) return false;
                _claimed++;
                return true;
            }
        }
    }
}
