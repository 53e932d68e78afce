package dev.tessera.cli;

import dev.tessera.bench.TextTable;
import dev.tessera.learn.Sources;
import dev.tessera.learn.advanced.Chapter;
import dev.tessera.learn.puzzles.check.Puzzle;
import dev.tessera.runtime.Device;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code tessera advanced [CHAPTER]}: the advanced chapters, each a runnable program. */
@Command(name = "advanced", mixinStandardHelpOptions = true, version = Main.VERSION, description = {"The advanced chapters: 1, flash attention; 3, quantization (2 is to come).",
        "Without a chapter: the list. With one (number or name): runs it. `all` runs them all."})
final class AdvancedCommand implements Callable<Integer> {
    @Parameters(paramLabel = "CHAPTER", arity = "0..1", description = "a chapter's number or name, or all")
    String chapter;

    @Option(names = "--readme", description = "print the chapter's source instead of running it")
    boolean readme;

    @Option(names = "--quick", description = "small sizes and few repetitions (a smoke test)")
    boolean quick;

    @Option(names = "--device", description = "cpu, cuda or cuda:N (default: the best device present)")
    String device;

    @Override
    public Integer call() {
        if (chapter == null) {
            System.out.println("Tessera advanced (tessera-learn/src/main/java/dev/tessera/learn/advanced/, README.md there):");
            TextTable t = TextTable.of("#", "chapter", "run", "source");
            for (Chapter c : Chapter.all()) {
                t.addRow(String.valueOf(c.number()), c.title(), "tessera advanced " + c.name(), c.source().getSimpleName() + ".java");
            }
            t.print(System.out);
            return 0;
        }
        List<Chapter> chapters = chapter.equals("all") ? Chapter.all() : List.of(Chapter.get(chapter));
        Device d = device == null ? Device.defaultDevice() : Device.parse(device).require();
        for (Chapter c : chapters) {
            System.out.println("==== Advanced " + c.number() + ": " + c.title() + "   (" + Puzzle.sourcePath(c.source()) + ")\n");
            if (readme) {
                String src = Sources.of(c.source());
                System.out.println(src != null ? src : "(source not bundled)");
                continue;
            }
            c.run(System.out, d, quick);
            System.out.println();
        }
        return 0;
    }
}
