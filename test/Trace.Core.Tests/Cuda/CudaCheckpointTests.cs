using Microsoft.VisualStudio.TestTools.UnitTesting;
using Trace.Nn;
using Trace.Optim;
using Trace.Serialization;

namespace Trace.Core.Tests.Cuda;

/// <summary>
/// Checkpoints of models and optimizers on the CUDA device: resumed on CUDA they continue as the straight CUDA run, bit for
/// bit; loaded on the CPU they hold the same values (the file is device-free).
/// </summary>
[TestClass]
[DoNotParallelize]
public class CudaCheckpointTests
{
    private static Sequential Model(Device device)
    {
        var g = new Generator(4);
        var m = new Sequential(new Linear(6, 5, generator: g), new ReLU(), new Linear(5, 3, generator: g));
        m.To(device);
        return m;
    }

    private static void Train(Module model, Optimizer opt, Device device, int from, int to)
    {
        for (int step = from; step < to; step++)
        {
            var g = new Generator(50 + (ulong)step);
            var x = Tensor.Randn([8, 6], generator: g).To(device);
            var y = Tensor.Randn([8, 3], generator: g).To(device);
            opt.ZeroGrad();
            Functional.MseLoss(model.Forward(x), y).Backward();
            opt.Step();
        }
    }

    [TestMethod]
    public void CudaCheckpointResumesOnCudaAndLoadsOnTheCpu()
    {
        var cuda = Device.Cuda();
        var straight = Model(cuda);
        var straightOpt = new Adam(straight.Parameters(), lr: 1e-2);
        Train(straight, straightOpt, cuda, 0, 6);

        var path = Path.Combine(Path.GetTempPath(), $"trace-cuda-ckpt-{Guid.NewGuid():N}.safetensors");
        try
        {
            var first = Model(cuda);
            var firstOpt = new Adam(first.Parameters(), lr: 1e-2);
            Train(first, firstOpt, cuda, 0, 3);
            Checkpoint.Save(path, first, firstOpt, epoch: 3);

            var resumed = Model(cuda);
            var resumedOpt = new Adam(resumed.Parameters(), lr: 1e-2);
            Checkpoint.Load(path, resumed, resumedOpt);
            Assert.IsTrue(resumedOpt.State.Values.All(s => s.ExpAvg!.Device == cuda), "state is loaded onto the parameters' device");
            Train(resumed, resumedOpt, cuda, 3, 6);
            foreach (var (k, t) in straight.StateDict())
                CollectionAssert.AreEqual(t.ToArray<float>(), resumed.StateDict()[k].ToArray<float>(), $"resumed on CUDA: {k}");

            var cpu = Model(Device.Cpu);
            var cpuOpt = new Adam(cpu.Parameters(), lr: 1e-2);
            Checkpoint.Load(path, cpu, cpuOpt);
            foreach (var (k, t) in first.StateDict())
                CollectionAssert.AreEqual(t.ToArray<float>(), cpu.StateDict()[k].ToArray<float>(), $"loaded on the CPU: {k}");
            var p = first.Parameters().First();
            CollectionAssert.AreEqual(firstOpt.State[p].ExpAvgSq!.ToArray<float>(), cpuOpt.State[cpu.Parameters().First()].ExpAvgSq!.ToArray<float>());
        }
        finally { File.Delete(path); }
    }
}
