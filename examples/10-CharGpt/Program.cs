// Trains the tiny character-level GPT on /usr/share/common-licenses/GPL-3 and prints losses and a sample.
// Arguments: [steps] [eager]: the number of training steps (default 600; on this small corpus the validation loss stops falling around there); "eager" runs the step without the JIT.
var steps = args.Length > 0 ? int.Parse(args[0], System.Globalization.CultureInfo.InvariantCulture) : 600;
Lecture.CharGpt.Example.Run(steps, Console.Out, traced: !(args.Length > 1 && args[1] == "eager"));
