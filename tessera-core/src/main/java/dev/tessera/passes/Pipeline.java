package dev.tessera.passes;

import dev.tessera.ir.KernelIR;
import dev.tessera.ir.Printer;
import dev.tessera.ir.Verifier;
import java.util.List;

/**
 * Passes run in order, the whole sequence repeated until the IR stops changing (at most
 * {@code rounds} times). With {@code TESSERA_DUMP=passes} the IR is printed after each pass; with
 * {@code tessera.verify=true} (set in tests) the verifier runs after each.
 */
public final class Pipeline {
    private static final boolean VERIFY = Boolean.getBoolean("tessera.verify");
    private static final boolean DUMP = System.getProperty("tessera.dump", System.getenv().getOrDefault("TESSERA_DUMP", ""))
            .contains("passes");

    /** Enough for the standard passes to settle on every kernel we have seen (most need two or three). */
    private static final int STANDARD_ROUNDS = 8;

    private final List<Pass> passes;
    private final int rounds;

    /** Runs the passes once. */
    public Pipeline(List<Pass> passes) { this(passes, 1); }

    public Pipeline(List<Pass> passes, int rounds) {
        if (rounds < 1) throw new IllegalArgumentException("rounds must be at least 1, got " + rounds);
        this.passes = List.copyOf(passes);
        this.rounds = rounds;
    }

    /** The optimizations every kernel gets: canonicalize, fold, CSE, LICM, DCE, to a fixpoint. */
    public static Pipeline standard() {
        return new Pipeline(List.of(new Canonicalize(), new ConstantFolding(), new CommonSubexpressionElimination(),
                new LoopInvariantCodeMotion(), new DeadCodeElimination()), STANDARD_ROUNDS);
    }

    public KernelIR run(KernelIR kernel) {
        KernelIR ir = kernel;
        String before = rounds > 1 ? Printer.print(ir, false) : null;
        for (int round = 0; round < rounds; round++) {
            for (Pass p : passes) ir = apply(p, ir);
            if (rounds == 1) break;
            String after = Printer.print(ir, false);
            if (after.equals(before)) break;
            before = after;
        }
        return ir;
    }

    private static KernelIR apply(Pass p, KernelIR ir) {
        KernelIR out = p.run(ir);
        if (VERIFY) {
            try {
                Verifier.verify(out);
            } catch (RuntimeException e) {
                throw new IllegalStateException("IR invalid after pass " + p.name() + ":\n" + out, e);
            }
        }
        if (DUMP) System.err.println("// ---- " + out.name() + ": after " + p.name() + "\n" + out);
        return out;
    }
}
