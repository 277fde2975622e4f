// Usage:
//   11-Checkpoint --steps 10 --save ck           train 10 steps from scratch, save the checkpoint ck
//   11-Checkpoint --resume ck --steps 10 [--save ck2]   load ck (model + Adam state) and train 10 more
//   11-Checkpoint --write-forever ck [--hidden 2000]    rewrite a large checkpoint in a loop (kill it at any time)
//   11-Checkpoint --verify ck [--hidden 2000]           check that ck is one complete write of --write-forever
// Each training run prints its steps' losses and the final parameters' checksum.
using System.Globalization;
using Lecture.Checkpoint;

string? Arg(string name)
{
    int i = Array.IndexOf(args, name);
    return i >= 0 && i + 1 < args.Length ? args[i + 1] : null;
}
int Int(string name, int fallback) => Arg(name) is { } v ? int.Parse(v, CultureInfo.InvariantCulture) : fallback;

if (Arg("--write-forever") is { } forever)
{
    Example.WriteForever(forever, Int("--hidden", 2000), Console.Out);
    return 0;
}
if (Arg("--verify") is { } verify)
{
    Console.WriteLine($"complete write {Example.Verify(verify, Int("--hidden", 2000))}");
    return 0;
}
if (args.Length == 0) Console.WriteLine("(no arguments: training 20 steps; see the comment at the top of Program.cs for the options)");
Example.Train(Int("--steps", 20), resume: Arg("--resume"), save: Arg("--save"), log: Console.Out);
return 0;
