package dev.tessera.passes;

import dev.tessera.ir.Op;

/** What an op does besides computing its results: the facts DCE, CSE and LICM depend on. */
public final class Effects {
    private Effects() {}

    /** Must run even if its results are unused: writes memory, may fail, prints, or ends a region. */
    public static boolean hasSideEffects(Op op) {
        return switch (op) {
            case Op.Store s -> true;
            case Op.Prefetch p -> true;   // a hint with no result: kept where it was written, as its author placed it
            case Op.DescriptorStore s -> true;
            case Op.DescriptorAtomicAdd a -> true;
            case Op.AtomicRmw a -> true;
            case Op.AtomicCas a -> true;
            case Op.Assert a -> true;
            case Op.Print p -> true;
            case Op.Barrier b -> true;
            case Op.Assume a -> true;
            case Op.Yield y -> true;
            case Op.Load l -> l.isVolatile();
            case Op.For f -> regionHasSideEffects(f.body());
            case Op.While w -> true; // may not terminate; keep
            case Op.If i -> regionHasSideEffects(i.thenRegion()) || regionHasSideEffects(i.elseRegion());
            default -> false;
        };
    }

    private static boolean regionHasSideEffects(dev.tessera.ir.Region r) {
        return r.ops().stream().anyMatch(o -> !(o instanceof Op.Yield) && hasSideEffects(o));
    }

    /** Computes its results from its operands alone: safe to merge with an equal op or move. */
    public static boolean isPure(Op op) {
        return switch (op) {
            case Op.Load l -> false;
            case Op.DescriptorLoad l -> false;
            case Op.ProgramId p -> true;
            case Op.NumPrograms n -> true;
            default -> op.regions().isEmpty() && !hasSideEffects(op);
        };
    }
}
