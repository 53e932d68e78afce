package dev.tessera.learn.puzzles.check;

import dev.tessera.backend.KernelFault;
import dev.tessera.runtime.Device;
import dev.tessera.semantic.TraceException;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

/**
 * Runs a puzzle's kernel at each of its sizes on seeded random inputs and compares every output
 * with the float64 reference. Outputs start poisoned (NaN), so elements never written show up. An
 * out-of-bounds access (the CPU backend checks each one) is reported with its source line.
 */
public final class Checker {
    private Checker() {}

    /** How a check ended, from best to worst. */
    public enum Verdict {
        PASS("passes"),
        NOT_SOLVED("not solved yet"),
        WRONG("wrong values"),
        OUT_OF_BOUNDS("out-of-bounds access"),
        DOES_NOT_TRACE("does not trace"),
        ERROR("error");

        private final String words;

        Verdict(String words) { this.words = words; }

        public String words() { return words; }
    }

    /** The outcome at one size; {@code details} are the lines to show (mismatches, the fault). */
    public record SizeResult(Size size, long seed, Verdict verdict, String summary, List<String> details) {}

    /** The outcome of a whole check. */
    public record Report(Puzzle puzzle, Class<?> implementation, long seed, Device device, List<SizeResult> sizes) {

        /** PASS if every size passed, else the verdict of the first size that did not. */
        public Verdict verdict() {
            return sizes.stream().map(SizeResult::verdict).filter(v -> v != Verdict.PASS).findFirst().orElse(Verdict.PASS);
        }

        public boolean passed() { return verdict() == Verdict.PASS; }

        /** The first size that did not pass, or null. */
        public SizeResult firstFailure() {
            return sizes.stream().filter(s -> s.verdict() != Verdict.PASS).findFirst().orElse(null);
        }
    }

    /** How many mismatching elements to show per output. */
    public static final int SHOWN = 5;

    /** Checks {@code implementation} (the skeleton, the solution, or any class with the puzzle's kernel). */
    public static Report check(Puzzle puzzle, Class<?> implementation, long seed, Device device) {
        List<SizeResult> results = new ArrayList<>();
        SplittableRandom seeds = new SplittableRandom(seed);
        for (Size size : puzzle.sizes()) {
            long sizeSeed = seeds.nextLong();
            SizeResult r = checkOne(puzzle, implementation, size, sizeSeed, device);
            results.add(r);
            // not written yet, or does not compile: the other sizes would only say the same
            if (r.verdict() == Verdict.NOT_SOLVED || r.verdict() == Verdict.DOES_NOT_TRACE) break;
        }
        return new Report(puzzle, implementation, seed, device, results);
    }

    /** Runs one size. */
    public static SizeResult checkOne(Puzzle puzzle, Class<?> implementation, Size size, long seed, Device device) {
        try (Problem p = new Problem(size, device, seed)) {
            puzzle.setUp(p);
            try {
                puzzle.launch(puzzle.kernel(implementation), p);
                device.backendImpl().synchronize(device.index());
            } catch (RuntimeException e) {
                return failure(size, seed, e);
            }
            puzzle.reference(p);
            return compare(puzzle, p, seed);
        }
    }

    static SizeResult failure(Size size, long seed, RuntimeException e) {
        NotSolvedYet todo = NotSolvedYet.in(e);
        if (todo != null) return new SizeResult(size, seed, Verdict.NOT_SOLVED, "not solved yet", List.of(todo.getMessage()));
        if (e instanceof KernelFault f) {
            return new SizeResult(size, seed, Verdict.OUT_OF_BOUNDS, "out-of-bounds access", List.of(f.getMessage()));
        }
        if (e instanceof TraceException t) {
            return new SizeResult(size, seed, Verdict.DOES_NOT_TRACE, "the kernel does not trace", List.of(t.getMessage()));
        }
        if (e instanceof IllegalArgumentException && e.getMessage() != null && e.getMessage().contains("@Kernel")) {
            return new SizeResult(size, seed, Verdict.DOES_NOT_TRACE, "no kernel to run", List.of(e.getMessage()));
        }
        return new SizeResult(size, seed, Verdict.ERROR, e.getClass().getSimpleName(), List.of(String.valueOf(e.getMessage())));
    }

    /** Compares every output with the reference. */
    static SizeResult compare(Puzzle puzzle, Problem p, long seed) {
        double atol = puzzle.atol(p), rtol = puzzle.rtol(p);
        List<String> details = new ArrayList<>();
        int wrongOutputs = 0;
        StringBuilder summary = new StringBuilder();
        for (Problem.Entry out : p.outputs()) {
            double[] got = out.tensor().toDoubleArray(), want = out.expected();
            boolean integer = !out.dtype().isFloat();
            int wrong = 0, unwritten = 0;
            List<String> shown = new ArrayList<>();
            for (int i = 0; i < want.length; i++) {
                double g = got[i], w = want[i];
                boolean poison = integer ? g == Problem.INT_POISON : Double.isNaN(g);
                boolean ok = integer ? g == w : Math.abs(g - w) <= atol + rtol * Math.abs(w);
                if (ok) continue;
                wrong++;
                if (poison) unwritten++;
                if (shown.size() < SHOWN) {
                    shown.add(String.format("%s%s: expected %s, got %s%s", out.name(), index(out.shape(), i), num(w, integer),
                            num(g, integer), poison ? " (never written: outputs start as " + (integer ? "" + Problem.INT_POISON : "NaN") + ")" : ""));
                }
            }
            if (wrong == 0) continue;
            wrongOutputs++;
            if (!summary.isEmpty()) summary.append("; ");
            summary.append(String.format("%s: %d of %d elements wrong", out.name(), wrong, want.length));
            if (unwritten > 0) summary.append(unwritten == wrong ? " (none of them written)" : " (" + unwritten + " never written)");
            details.addAll(shown);
            if (wrong > shown.size()) details.add("... and " + (wrong - shown.size()) + " more in " + out.name());
        }
        if (wrongOutputs == 0) return new SizeResult(p.size(), seed, Verdict.PASS, "ok", List.of());
        details.add(String.format("(tolerance: |got - expected| <= %.1g + %.1g·|expected|)", atol, rtol));
        return new SizeResult(p.size(), seed, Verdict.WRONG, summary.toString(), details);
    }

    /** "[3, 17]" for flat index i of a tensor of the given shape. */
    public static String index(long[] shape, long i) {
        long[] idx = new long[shape.length];
        for (int d = shape.length - 1; d >= 0; d--) {
            idx[d] = shape[d] == 0 ? 0 : i % shape[d];
            i = shape[d] == 0 ? 0 : i / shape[d];
        }
        StringBuilder b = new StringBuilder("[");
        for (int d = 0; d < idx.length; d++) b.append(d > 0 ? ", " : "").append(idx[d]);
        return b.append(']').toString();
    }

    private static String num(double v, boolean integer) {
        if (integer) return Long.toString((long) v);
        if (Double.isNaN(v)) return "NaN";
        return String.format("%.6g", v);
    }
}
