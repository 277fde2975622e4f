Lecture.ParallelBlocks.Example.Run(steps: args.Length > 0 ? int.Parse(args[0], System.Globalization.CultureInfo.InvariantCulture) : 500, log: Console.Out);
