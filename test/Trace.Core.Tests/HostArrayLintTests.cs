using System.Text.RegularExpressions;
using Microsoft.VisualStudio.TestTools.UnitTesting;

namespace Trace.Core.Tests;

/// <summary>
/// A source lint: Core reaches tensor data only through the device kernel tables, so a second device only implements
/// interfaces. Host-array access (<c>Data&lt;T&gt;()</c>, casts to <c>CpuStorage&lt;T&gt;</c>) is allowed in src/Core/Devices only.
/// </summary>
[TestClass]
public partial class HostArrayLintTests
{
    /// <summary>Where host arrays may appear besides src/Core/Devices: the CPU storage class's own definition.</summary>
    private static readonly string[] Allowed = ["src/Core/Tensors/Storage.cs"];

    [GeneratedRegex(@"\bData<|\bCpuStorage<")]
    private static partial Regex HostArrayAccess();

    [TestMethod]
    public void CoreOutsideDevicesHasNoHostArrayAccess()
    {
        var root = RepoRoot();
        var core = Path.Combine(root, "src", "Core");
        Assert.IsTrue(Directory.Exists(Path.Combine(core, "Devices")), $"no src/Core/Devices under {root}");
        var offenders = new List<string>();
        int scanned = 0;
        foreach (var file in Directory.EnumerateFiles(core, "*.cs", SearchOption.AllDirectories))
        {
            var rel = Path.GetRelativePath(root, file).Replace('\\', '/');
            if (rel.StartsWith("src/Core/Devices/") || rel.Contains("/obj/") || rel.Contains("/bin/") || Allowed.Contains(rel)) continue;
            scanned++;
            var lines = File.ReadAllLines(file);
            for (int i = 0; i < lines.Length; i++)
                if (HostArrayAccess().IsMatch(lines[i])) offenders.Add($"{rel}:{i + 1}: {lines[i].Trim()}");
        }
        Assert.IsGreaterThan(50, scanned, "expected to scan the Core sources");
        Assert.AreEqual(0, offenders.Count,
            "host-array access outside src/Core/Devices (go through DeviceKernels.For(device, op)):\n" + string.Join("\n", offenders));
    }

    [TestMethod]
    public void TheLintSeesHostArrayAccess()
    {
        Assert.IsTrue(HostArrayAccess().IsMatch("var d = t.Data<float>();"));
        Assert.IsTrue(HostArrayAccess().IsMatch("((CpuStorage<double>)x.Storage).Data"));
        Assert.IsFalse(HostArrayAccess().IsMatch("var d = t.Metadata(); IData<int> x;"));
    }

    /// <summary>The checkout the tests were built from: the first parent of the test binary holding Trace.sln.</summary>
    private static string RepoRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "Trace.sln"))) return dir.FullName;
        throw new InvalidOperationException($"no Trace.sln above {AppContext.BaseDirectory}");
    }
}
