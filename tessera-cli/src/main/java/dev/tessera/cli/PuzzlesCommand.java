package dev.tessera.cli;

import dev.tessera.bench.TextTable;
import dev.tessera.learn.Sources;
import dev.tessera.learn.puzzles.check.Checker;
import dev.tessera.learn.puzzles.check.Puzzle;
import dev.tessera.learn.puzzles.check.Puzzles;
import dev.tessera.learn.puzzles.check.ReportText;
import dev.tessera.learn.puzzles.check.Size;
import dev.tessera.learn.visualize.Visualizer;
import dev.tessera.runtime.Device;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code tessera puzzles ...}: list, read, check and draw the puzzles. */
@Command(name = "puzzles", mixinStandardHelpOptions = true, version = Main.VERSION, description = {
        "The puzzles: kernels to write, each checked against a float64 reference.",
        "Your kernels are the files tessera-learn/src/main/java/dev/tessera/learn/puzzles/PuzzleNN*.java;",
        "edit one and run `tessera puzzles check N` (./tessera rebuilds what you changed).",
        "Without a subcommand: the list."},
        subcommands = {PuzzlesCommand.ListCmd.class, PuzzlesCommand.Show.class, PuzzlesCommand.Hint.class, PuzzlesCommand.Check.class,
                PuzzlesCommand.Solution.class, PuzzlesCommand.Visualize.class})
final class PuzzlesCommand implements Callable<Integer> {
    @Override
    public Integer call() { return new ListCmd().call(); }

    static Device device(String name) { return name == null ? Device.defaultDevice() : Device.parse(name).require(); }

    static long seed(Long given) { return given != null ? given : Math.floorMod(System.nanoTime() ^ 0x5DEECE66DL, 1_000_000L); }

    @Command(name = "list", mixinStandardHelpOptions = true, version = Main.VERSION, description = "Each puzzle and whether your version passes (runs every check, a few seconds).")
    static final class ListCmd implements Callable<Integer> {
        @Option(names = "--solution", description = "check the reference solutions instead of your kernels")
        boolean solution;

        @Option(names = "--no-check", description = "only list the puzzles")
        boolean noCheck;

        @Option(names = "--device", description = "cpu, cuda or cuda:N (default: the best device present)")
        String device;

        @Option(names = "--seed", description = "seed of the random inputs (default: a new one each run)")
        Long seed;

        @Override
        public Integer call() {
            Device d = device(device);
            long s = seed(seed);
            System.out.println("Tessera puzzles" + (noCheck ? "" : ": " + (solution ? "reference solutions" : "your kernels") + " on " + d + ", seed " + s));
            System.out.println("(your kernels: tessera-learn/src/main/java/dev/tessera/learn/puzzles/)");
            TextTable t = noCheck ? TextTable.of("#", "puzzle", "kernel file") : TextTable.of("#", "puzzle", "status");
            int solved = 0;
            for (Puzzle p : Puzzles.all()) {
                if (noCheck) {
                    t.addRow(String.valueOf(p.number()), p.title(), p.skeleton().getSimpleName() + ".java");
                    continue;
                }
                Checker.Report r = Checker.check(p, solution ? p.solution() : p.skeleton(), s, d);
                if (r.passed()) solved++;
                t.addRow(String.valueOf(p.number()), p.title(), status(r));
            }
            t.print(System.out);
            if (!noCheck) {
                System.out.println(solved + " of " + Puzzles.all().size() + " solved. Details: tessera puzzles check N;"
                        + " the statement: tessera puzzles show N.");
            }
            return 0;
        }

        private static String status(Checker.Report r) {
            return switch (r.verdict()) {
                case PASS -> "solved";
                case NOT_SOLVED -> "not solved yet";
                case WRONG -> "wrong values (" + r.firstFailure().size() + ")";
                case OUT_OF_BOUNDS -> "out-of-bounds access (" + r.firstFailure().size() + ")";
                case DOES_NOT_TRACE -> "does not trace";
                case ERROR -> "error: " + r.firstFailure().summary();
            };
        }
    }

    @Command(name = "show", mixinStandardHelpOptions = true, version = Main.VERSION, description = "The statement of puzzle N and your kernel's current source.")
    static final class Show implements Callable<Integer> {
        @Parameters(paramLabel = "N", description = "the puzzle's number (or its short name)")
        String puzzle;

        @Option(names = "--no-source", description = "the statement only")
        boolean noSource;

        @Override
        public Integer call() {
            Puzzle p = Puzzles.get(puzzle);
            System.out.println("Puzzle " + p.number() + " — " + p.title() + "\n");
            System.out.println(p.statement().indent(2));
            System.out.println("Sizes checked: " + String.join(" | ", p.sizes().stream().map(Size::toString).toList()));
            System.out.println("Your kernel: " + p.skeletonPath() + " (method " + p.kernelName() + ")");
            System.out.println("Hints: tessera puzzles hint " + p.number() + " [1-" + p.hints().size() + "]; check: tessera puzzles check "
                    + p.number() + "; picture: tessera puzzles visualize " + p.number());
            String src = Sources.of(p.skeleton());
            if (!noSource && src != null) System.out.println("\n---- " + p.skeleton().getSimpleName() + ".java (as last built)\n" + src);
            return 0;
        }
    }

    @Command(name = "hint", mixinStandardHelpOptions = true, version = Main.VERSION, description = "Hints for puzzle N, one level at a time.")
    static final class Hint implements Callable<Integer> {
        @Parameters(index = "0", paramLabel = "N", description = "the puzzle's number")
        String puzzle;

        @Parameters(index = "1", paramLabel = "LEVEL", arity = "0..1", description = "show hints 1 to LEVEL (default 1)")
        Integer level;

        @Option(names = "--all", description = "every hint")
        boolean all;

        @Override
        public Integer call() {
            Puzzle p = Puzzles.get(puzzle);
            List<String> hints = p.hints();
            int n = all ? hints.size() : Math.max(1, Math.min(hints.size(), level == null ? 1 : level));
            System.out.println("Puzzle " + p.number() + " — " + p.title() + ": hint" + (n > 1 ? "s 1-" + n : " 1") + " of " + hints.size());
            for (int i = 0; i < n; i++) System.out.println("  " + (i + 1) + ". " + hints.get(i));
            if (n < hints.size()) System.out.println("More: tessera puzzles hint " + p.number() + " " + (n + 1));
            return 0;
        }
    }

    @Command(name = "check", mixinStandardHelpOptions = true, version = Main.VERSION, description = {"Check your kernel for puzzle N against the float64 reference.",
            "It runs on random inputs at several sizes (edge sizes included); the report shows mismatches with their positions",
            "and out-of-bounds accesses with their line."})
    static final class Check implements Callable<Integer> {
        @Parameters(paramLabel = "N", description = "the puzzle's number (or its short name)")
        String puzzle;

        @Option(names = "--solution", description = "check the reference solution instead")
        boolean solution;

        @Option(names = "--device", description = "cpu, cuda or cuda:N (default: the best device present)")
        String device;

        @Option(names = "--seed", description = "seed of the random inputs (default: a new one, printed)")
        Long seed;

        @Override
        public Integer call() {
            Puzzle p = Puzzles.get(puzzle);
            Checker.Report r = Checker.check(p, solution ? p.solution() : p.skeleton(), seed(seed), device(device));
            System.out.print(ReportText.format(r));
            return switch (r.verdict()) {
                case PASS -> 0;
                case NOT_SOLVED -> 2;
                default -> 1;
            };
        }
    }

    @Command(name = "solution", mixinStandardHelpOptions = true, version = Main.VERSION, description = "The reference solution of puzzle N (try the hints first).")
    static final class Solution implements Callable<Integer> {
        @Parameters(paramLabel = "N", description = "the puzzle's number (or its short name)")
        String puzzle;

        @Override
        public Integer call() {
            Puzzle p = Puzzles.get(puzzle);
            System.out.println("Puzzle " + p.number() + " — " + p.title() + ": reference solution (" + p.solutionPath() + ")\n");
            String src = Sources.of(p.solution());
            System.out.println(src != null ? src : "(the source is not bundled in this build)");
            System.out.println("Check it: tessera puzzles check " + p.number() + " --solution");
            return 0;
        }
    }

    @Command(name = "visualize", mixinStandardHelpOptions = true, version = Main.VERSION, description = {"Draw which elements each program of your kernel loads and stores.",
            "It runs on the CPU and writes an SVG per tensor for the chosen program, and a page (index.html) that steps",
            "through every program.",
            "Masked-off lanes are grey, out-of-bounds accesses red."})
    static final class Visualize implements Callable<Integer> {
        @Parameters(paramLabel = "N", description = "the puzzle's number (or its short name)")
        String puzzle;

        @Option(names = "--pid", description = "the program to draw: its place in launch order (3) or its ids (1,2); default 0")
        String pid = "0";

        @Option(names = "--solution", description = "draw the reference solution instead of your kernel")
        boolean solution;

        @Option(names = "--size", description = "problem size, e.g. N=100 or M=20,N=40 (default: the puzzle's picture size)")
        String size;

        @Option(names = "--out", description = "output folder (default: visualize/puzzle-NN)")
        Path out;

        @Option(names = "--seed", description = "seed of the random inputs (default: ${DEFAULT-VALUE})")
        long seed = 1;

        @Override
        public Integer call() {
            Puzzle p = Puzzles.get(puzzle);
            Size s = p.pictureSize();
            if (size != null) {
                Map<String, Integer> dims = new LinkedHashMap<>(s.dims());
                for (String kv : size.split(",")) {
                    String[] parts = kv.trim().split("=");
                    if (parts.length != 2 || !dims.containsKey(parts[0].trim())) {
                        throw new IllegalArgumentException("--size takes NAME=VALUE pairs of " + dims.keySet() + ", got '" + kv + "'");
                    }
                    dims.put(parts[0].trim(), Integer.parseInt(parts[1].trim()));
                }
                s = new Size(dims);
            }
            Path dir = out != null ? out : Path.of("visualize", String.format("puzzle-%02d", p.number()));
            Visualizer.Output o = Visualizer.write(p, solution ? p.solution() : p.skeleton(), s, seed, pid, dir);
            System.out.println("Puzzle " + p.number() + " — " + p.title() + ", " + (solution ? "reference solution" : "your kernel") + ", " + s
                    + ": " + o.recording().programs().size() + " programs");
            if (o.recording().problem() != null) System.out.println(o.recording().problem());
            if (o.program() < 0) {
                System.out.println("Nothing ran, so there is nothing to draw" + (solution ? "." : "; try --solution to see the reference's accesses."));
                return o.recording().problem() != null && o.recording().problem().startsWith("not solved") ? 2 : 1;
            }
            System.out.print(dev.tessera.learn.visualize.Notes.of(o.recording(), o.program()));
            for (Path f : o.pictures()) System.out.println("picture: " + f);
            System.out.println("page:    " + o.page() + "   (open it in a browser; " + o.page().getFileName() + "#pid=N shows program N)");
            return 0;
        }
    }

}
