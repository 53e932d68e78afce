package dev.tessera.learn.puzzles.check;

import dev.tessera.learn.puzzles.check.Checker.Report;
import dev.tessera.learn.puzzles.check.Checker.SizeResult;
import dev.tessera.learn.puzzles.check.Checker.Verdict;

/** A check report as the command line prints it. */
public final class ReportText {
    private ReportText() {}

    public static String format(Report r) {
        Puzzle p = r.puzzle();
        boolean learner = r.implementation() == p.skeleton();
        StringBuilder b = new StringBuilder();
        b.append("Puzzle ").append(p.number()).append(" — ").append(p.title()).append(": ")
                .append(learner ? "your kernel" : r.implementation() == p.solution() ? "the reference solution" : name(r.implementation()))
                .append('\n');
        if (learner || r.implementation() == p.solution()) b.append("  ").append(Puzzle.sourcePath(r.implementation())).append('\n');
        b.append("  device ").append(r.device()).append(", seed ").append(r.seed()).append(" (repeat with --seed ").append(r.seed()).append(")\n\n");
        int width = r.sizes().stream().mapToInt(s -> s.size().toString().length()).max().orElse(4);
        for (SizeResult s : r.sizes()) {
            b.append(String.format("  %-" + width + "s  %s%n", s.size(), s.verdict() == Verdict.PASS ? "ok"
                    : s.verdict() == Verdict.NOT_SOLVED ? "not solved yet" : mark(s.verdict()) + "  " + s.summary()));
            if (s.verdict() != Verdict.NOT_SOLVED) {
                for (String d : s.details()) b.append("      ").append(d.replace("\n", "\n      ")).append('\n');
            }
        }
        b.append('\n');
        Verdict v = r.verdict();
        int passed = (int) r.sizes().stream().filter(s -> s.verdict() == Verdict.PASS).count();
        switch (v) {
            case PASS -> b.append("PASS: all ").append(passed).append(" sizes match the float64 reference.\n");
            case NOT_SOLVED -> b.append("Not solved yet: ").append(r.firstFailure().details().getFirst()).append(".\n")
                    .append("Write the kernel in ").append(p.skeletonPath()).append(" and run this again.\n")
                    .append("The statement: tessera puzzles show ").append(p.number()).append("    a hint: tessera puzzles hint ").append(p.number()).append('\n');
            case WRONG -> b.append("FAIL: wrong values at ").append(r.sizes().size() - passed).append(" of ").append(r.sizes().size())
                    .append(" sizes (outputs start as NaN, so \"never written\" means no store reached the element).\n")
                    .append("See which elements each program touches: tessera puzzles visualize ").append(p.number()).append(" --pid 0\n");
            case OUT_OF_BOUNDS -> b.append("FAIL: an access outside a tensor (above: the line, the program, the offset). A mask is missing or wrong.\n")
                    .append("See it drawn in red: tessera puzzles visualize ").append(p.number()).append('\n');
            case DOES_NOT_TRACE -> b.append("FAIL: the kernel does not trace (above: the line and why).\n");
            case ERROR -> b.append("FAIL: ").append(r.firstFailure().summary()).append('\n');
        }
        return b.toString();
    }

    /** A class's name; a notebook cell's class (JShell puts them in package REPL, in a wrapper class) by its own. */
    private static String name(Class<?> c) { return c.getPackageName().equals("REPL") ? c.getSimpleName() : c.getName(); }

    private static String mark(Verdict v) {
        return switch (v) {
            case PASS -> "ok";
            case NOT_SOLVED -> "not solved yet";
            case WRONG -> "WRONG";
            case OUT_OF_BOUNDS -> "OUT OF BOUNDS";
            case DOES_NOT_TRACE -> "DOES NOT TRACE";
            case ERROR -> "ERROR";
        };
    }
}
