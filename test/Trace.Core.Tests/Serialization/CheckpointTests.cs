using Trace.Nn;
using Trace.Optim;
using Trace.Serialization;

namespace Trace.Core.Tests.Serialization;

/// <summary>
/// Module files and checkpoints: train 10 steps, save, load into a fresh model (and optimizer and scheduler), train 10 more,
/// and get bit for bit what 20 straight steps give; strict and non-strict loads report keys as PyTorch; a checkpoint is
/// replaced atomically and a bad one is refused before anything changes.
/// </summary>
[TestClass]
public sealed class CheckpointTests
{
    public static IEnumerable<object[]> Setups => [["Adam"], ["SGD momentum"], ["AdamW + OneCycleLR"], ["AdamW + SequentialLR"]];

    private static (Optimizer Opt, IStateful? Sched, Action? Step) Make(string setup, Module model)
    {
        switch (setup)
        {
            case "Adam": return (new Adam(model.Parameters(), lr: 1e-2), null, null);
            case "SGD momentum": return (new SGD(TrainingRun.Groups(model, 0.02), lr: 0.05, momentum: 0.9, nesterov: true), null, null);
            case "AdamW + OneCycleLR":
                {
                    var opt = new AdamW(TrainingRun.Groups(model, 3e-3), lr: 1e-2, weightDecay: 0.05);
                    var s = new OneCycleLR(opt, [2e-2, 5e-3], totalSteps: 20);
                    return (opt, s, s.Step);
                }
            default:
                {
                    var opt = new AdamW(model.Parameters(), lr: 1e-2);
                    var s = new SequentialLR(opt, [new LinearLR(opt, startFactor: 0.1, totalIters: 5), new CosineAnnealingLR(opt, tMax: 15)], [5]);
                    return (opt, s, s.Step);
                }
        }
    }

    [TestMethod]
    [DynamicData(nameof(Setups))]
    public void TenStepsSavedAndResumedEqualTwentyStraight(string setup)
    {
        var straight = TrainingRun.Model(1);
        var (straightOpt, _, straightStep) = Make(setup, straight);
        TrainingRun.Train(straight, straightOpt, straightStep, 0, 20);

        var path = TrainingRun.TempPath("ckpt");
        try
        {
            var first = TrainingRun.Model(1);
            var (firstOpt, firstSched, firstStep) = Make(setup, first);
            TrainingRun.Train(first, firstOpt, firstStep, 0, 10);
            Checkpoint.Save(path, first, firstOpt, firstSched, epoch: 9, new Dictionary<string, string> { ["run"] = "a" });

            var fresh = TrainingRun.Model(7);   // other initial weights: all of them are loaded
            var (freshOpt, freshSched, freshStep) = Make(setup, fresh);
            var info = Checkpoint.Load(path, fresh, freshOpt, freshSched);
            Assert.AreEqual(9, info.Epoch);
            CollectionAssert.AreEquivalent(new Dictionary<string, string> { ["run"] = "a" }.ToList(), info.Metadata.ToList());
            Assert.IsTrue(info.ModelKeys.IsEmpty);
            TrainingRun.Train(fresh, freshOpt, freshStep, 10, 20);

            TrainingRun.AssertSameState(straight, fresh, $"{setup}: model");
            TrainingRun.AssertSameState(straightOpt, freshOpt, $"{setup}: optimizer");
            Assert.AreEqual(0, Directory.GetFiles(Path.GetDirectoryName(path)!, Path.GetFileName(path) + ".tmp-*").Length, "no temporary file is left");
        }
        finally { File.Delete(path); }
    }

    [TestMethod]
    public void ModuleSaveAndLoadUseStateDictKeysAndReportIncompatibleKeys()
    {
        var path = TrainingRun.TempPath("module");
        try
        {
            var model = TrainingRun.Model(1);
            TrainingRun.Train(model, new SGD(model.Parameters(), lr: 0.1), null, 0, 2);
            model.Save(path, new Dictionary<string, string> { ["note"] = "two steps" });
            var file = SafeTensors.Load(path);
            CollectionAssert.AreEquivalent(model.StateDict().Keys.ToList(), file.Tensors.Keys.ToList());
            CollectionAssert.Contains(file.Tensors.Keys.ToList(), "1.num_batches_tracked");
            Assert.AreEqual("two steps", file.Metadata["note"]);

            var fresh = TrainingRun.Model(2);
            Assert.IsTrue(fresh.Load(path).IsEmpty);
            Assert.AreEqual("<All keys matched successfully>", fresh.Load(path).ToString());
            TrainingRun.AssertSameState(model, fresh, "loaded module");

            // A model with one more layer: strict refuses (the existing message), non-strict reports the keys.
            var bigger = new Sequential(new Linear(8, 16), new BatchNorm1d(16), new ReLU(), new Linear(16, 4), new Linear(4, 2));
            var ex = Assert.ThrowsExactly<ArgumentException>(() => bigger.Load(path));
            StringAssert.Contains(ex.Message, "Error(s) in loading state_dict for Sequential");
            StringAssert.Contains(ex.Message, "Missing key(s) in state_dict: \"4.weight\", \"4.bias\".");
            var keys = bigger.Load(path, strict: false);
            CollectionAssert.AreEqual(new[] { "4.weight", "4.bias" }, keys.MissingKeys.ToList());
            Assert.AreEqual(0, keys.UnexpectedKeys.Count);
            Assert.AreEqual("_IncompatibleKeys(missing_keys=['4.weight', '4.bias'], unexpected_keys=[])", keys.ToString());

            var smaller = new Sequential(new Linear(8, 16), new BatchNorm1d(16));
            keys = smaller.Load(path, strict: false);
            CollectionAssert.AreEquivalent(new[] { "3.weight", "3.bias" }, keys.UnexpectedKeys.ToList());
            CollectionAssert.AreEqual(model.StateDict()["0.weight"].ToArray<double>(), smaller.StateDict()["0.weight"].ToArray<double>());

            var wrongShape = new Sequential(new Linear(8, 16), new BatchNorm1d(16), new ReLU(), new Linear(16, 5));
            var before = wrongShape.StateDict()["0.weight"].ToArray<double>();
            ex = Assert.ThrowsExactly<ArgumentException>(() => wrongShape.Load(path, strict: false));
            StringAssert.Contains(ex.Message, "size mismatch for 3.weight: copying a param with shape (4, 16) from checkpoint, the shape in current model is (5, 16).");
            CollectionAssert.AreEqual(before, wrongShape.StateDict()["0.weight"].ToArray<double>(), "nothing is copied when a shape differs");

            var missing = TrainingRun.TempPath("missing");
            var nf = Assert.ThrowsExactly<FileNotFoundException>(() => fresh.Load(missing));
            StringAssert.Contains(nf.Message, "Sequential.Load: there is no file");
        }
        finally { File.Delete(path); }
    }

    [TestMethod]
    public void BadCheckpointsAreRefusedBeforeAnythingChanges()
    {
        var path = TrainingRun.TempPath("ckpt-bad");
        try
        {
            var model = TrainingRun.Model(1);
            var opt = new Adam(model.Parameters(), lr: 1e-2);
            TrainingRun.Train(model, opt, null, 0, 3);
            Checkpoint.Save(path, model, opt, epoch: 3);

            // The optimizer part does not fit (another optimizer): the model is not changed either.
            var fresh = TrainingRun.Model(5);
            var freshBefore = TrainingRun.Model(5);
            var sgd = new SGD(fresh.Parameters(), lr: 0.1);
            var ex = Assert.ThrowsExactly<ArgumentException>(() => Checkpoint.Load(path, fresh, sgd));
            StringAssert.Contains(ex.Message, "holds the state of a Adam optimizer, not of a SGD");
            var adamGroups = new Adam(TrainingRun.Groups(fresh, 1e-3), lr: 1e-2);
            ex = Assert.ThrowsExactly<ArgumentException>(() => Checkpoint.Load(path, fresh, adamGroups));
            StringAssert.Contains(ex.Message, "different number of parameter groups");
            TrainingRun.AssertSameState(freshBefore, fresh, "a refused checkpoint leaves the model as it was");
            Assert.AreEqual(0, adamGroups.State.Count);

            ex = Assert.ThrowsExactly<ArgumentException>(() => Checkpoint.Load(path, fresh, new Adam(fresh.Parameters()), new StepLR(opt, 2)));
            StringAssert.Contains(ex.Message, "holds no scheduler state");
            TrainingRun.AssertSameState(freshBefore, fresh, "a refused checkpoint leaves the model as it was");

            // The model alone loads; the optimizer state in the file is then ignored.
            Assert.AreEqual(3, Checkpoint.Load(path, fresh).Epoch);
            TrainingRun.AssertSameState(model, fresh, "model only");

            ex = Assert.ThrowsExactly<ArgumentException>(() => Checkpoint.Save(path, model, metadata: new Dictionary<string, string> { ["trace.epoch"] = "1" }));
            StringAssert.Contains(ex.Message, "reserved");

            model.Save(path);
            var notCkpt = Assert.ThrowsExactly<InvalidDataException>(() => Checkpoint.Load(path, fresh));
            StringAssert.Contains(notCkpt.Message, "is not a Trace checkpoint");

            File.WriteAllBytes(path, [1, 2, 3]);
            Assert.ThrowsExactly<InvalidDataException>(() => Checkpoint.Load(path, fresh));

            var missing = TrainingRun.TempPath("missing");
            var nf = Assert.ThrowsExactly<FileNotFoundException>(() => Checkpoint.Load(missing, fresh));
            StringAssert.Contains(nf.Message, "Checkpoint.Load: there is no file");
            var noDir = Path.Combine(Path.GetTempPath(), $"trace-no-dir-{Guid.NewGuid():N}", "x.ckpt");
            Assert.ThrowsExactly<DirectoryNotFoundException>(() => Checkpoint.Save(noDir, model));
        }
        finally { File.Delete(path); }
    }

    [TestMethod]
    public void AFailedWriteLeavesThePreviousFileWhole()
    {
        var path = TrainingRun.TempPath("atomic");
        try
        {
            var model = TrainingRun.Model(1);
            Checkpoint.Save(path, model, epoch: 1);
            var before = File.ReadAllBytes(path);
            Assert.ThrowsExactly<IOException>(() => AtomicFile.Write(path, s =>
            {
                s.Write(new byte[1000]);
                throw new IOException("disk full (simulated)");
            }, "test"));
            CollectionAssert.AreEqual(before, File.ReadAllBytes(path), "the old checkpoint is untouched");
            Assert.AreEqual(0, Directory.GetFiles(Path.GetDirectoryName(path)!, Path.GetFileName(path) + ".tmp-*").Length, "the temporary file is removed");
            Assert.AreEqual(1, Checkpoint.Load(path, TrainingRun.Model(2)).Epoch);
        }
        finally { File.Delete(path); }
    }
}
