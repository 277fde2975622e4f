// Trains the sequence classifier eagerly and with its train step traced (Jit.TraceStep), printing loss per epoch.
var epochs = args.Length > 0 ? int.Parse(args[0], System.Globalization.CultureInfo.InvariantCulture) : 8;
Console.WriteLine("== eager ==");
Lecture.Lstm.Example.Run(epochs, traced: false, log: Console.Out);
Console.WriteLine("== traced (Jit.TraceStep) ==");
Lecture.Lstm.Example.Run(epochs, traced: true, log: Console.Out);
