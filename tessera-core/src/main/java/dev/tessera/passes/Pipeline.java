package dev.tessera.passes;

import dev.tessera.ir.KernelIR;
import dev.tessera.ir.Verifier;
import java.util.List;

/**
 * Passes run in order. With {@code TESSERA_DUMP=passes} the IR is printed after each; with
 * {@code tessera.verify=true} (set in tests) the verifier runs after each.
 */
public final class Pipeline {
    private static final boolean VERIFY = Boolean.getBoolean("tessera.verify");
    private static final boolean DUMP = System.getProperty("tessera.dump", System.getenv().getOrDefault("TESSERA_DUMP", ""))
            .contains("passes");

    private final List<Pass> passes;

    public Pipeline(List<Pass> passes) { this.passes = List.copyOf(passes); }

    /** The optimizations every kernel gets. */
    public static Pipeline standard() { return new Pipeline(List.of(new DeadCodeElimination())); }

    public KernelIR run(KernelIR kernel) {
        KernelIR ir = kernel;
        for (Pass p : passes) {
            ir = p.run(ir);
            if (VERIFY) {
                try {
                    Verifier.verify(ir);
                } catch (RuntimeException e) {
                    throw new IllegalStateException("IR invalid after pass " + p.name() + ":\n" + ir, e);
                }
            }
            if (DUMP) System.err.println("// ---- " + ir.name() + ": after " + p.name() + "\n" + ir);
        }
        return ir;
    }
}
