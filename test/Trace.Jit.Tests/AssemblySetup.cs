using Microsoft.VisualStudio.TestTools.UnitTesting;

namespace Trace.Jit.Tests;

[TestClass]
public static class AssemblySetup
{
    /// <summary>Every graph traced by any test is linted and round-tripped through text.</summary>
    [AssemblyInitialize]
    public static void EnableSelfCheck(TestContext _) => Jit.SelfCheck = true;
}
