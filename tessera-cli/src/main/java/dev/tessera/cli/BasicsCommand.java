package dev.tessera.cli;

import dev.tessera.bench.TextTable;
import dev.tessera.learn.Sources;
import dev.tessera.learn.basics.Lesson;
import dev.tessera.learn.puzzles.check.Puzzle;
import dev.tessera.runtime.Device;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code tessera basics [LESSON]}: the first steps, each a small runnable program. */
@Command(name = "basics", mixinStandardHelpOptions = true, version = Main.VERSION, description = {"The basics: program ids, pointers, masks, block operations, profiling.",
        "Without a lesson: the list. With one (number or name): runs it. `all` runs them all."})
final class BasicsCommand implements Callable<Integer> {
    @Parameters(paramLabel = "LESSON", arity = "0..1", description = "a lesson's number or name, or all")
    String lesson;

    @Option(names = "--readme", description = "print the lesson's README section and source instead of running it")
    boolean readme;

    @Option(names = "--quick", description = "small sizes (the profiling lesson)")
    boolean quick;

    @Option(names = "--device", description = "cpu, cuda or cuda:N (default: the best device present)")
    String device;

    @Override
    public Integer call() {
        if (lesson == null) {
            System.out.println("Tessera basics (tessera-learn/src/main/java/dev/tessera/learn/basics/, README.md there):");
            TextTable t = TextTable.of("#", "lesson", "run", "source");
            for (Lesson l : Lesson.all()) {
                t.addRow(String.valueOf(l.number()), l.title(), "tessera basics " + l.name(), l.source().getSimpleName() + ".java");
            }
            t.print(System.out);
            return 0;
        }
        List<Lesson> lessons = lesson.equals("all") ? Lesson.all() : List.of(Lesson.get(lesson));
        Device d = device == null ? Device.defaultDevice() : Device.parse(device).require();
        for (Lesson l : lessons) {
            System.out.println("==== Basics " + l.number() + ": " + l.title() + "   (" + Puzzle.sourcePath(l.source()) + ")\n");
            if (readme) {
                String src = Sources.of(l.source());
                System.out.println(src != null ? src : "(source not bundled)");
                continue;
            }
            l.run(System.out, d, quick);
            System.out.println();
        }
        return 0;
    }
}
