package dev.tessera.cpu;

import dev.tessera.ir.Op;
import dev.tessera.ir.Op.*;

/**
 * The CPU backend's lowering table: one rule per op kind, all dispatched here. A rule returns the
 * step that computes the op, or null when nothing runs at its place (constants are filled once,
 * yields are handled by the op that owns the region).
 */
final class CpuLowering {
    private CpuLowering() {}

    static Step lower(Op op, Lowering l) {
        return switch (op) {
            case ProgramId p -> ProgramRules.programId(p, l);
            case NumPrograms n -> ProgramRules.numPrograms(n, l);
            case Constant c -> ElementwiseRules.constant(c, l);
            case Arange a -> ShapeRules.arange(a, l);
            case Splat s -> ShapeRules.splat(s, l);
            case Broadcast b -> ShapeRules.broadcast(b, l);
            case ExpandDims e -> ShapeRules.alias(e, l);
            case Reshape r -> ShapeRules.alias(r, l);
            case Permute p -> ShapeRules.permute(p, l);
            case Join j -> ShapeRules.join(j, l);
            case Split s -> ShapeRules.split(s, l);
            case Cat c -> ShapeRules.cat(c, l);
            case Unary u -> MathRules.unary(u, l);
            case Binary b -> ElementwiseRules.binary(b, l);
            case Compare c -> ElementwiseRules.compare(c, l);
            case Select s -> ElementwiseRules.select(s, l);
            case Fma f -> ElementwiseRules.fma(f, l);
            case Convert c -> ConversionRules.convert(c, l);
            case Bitcast b -> ConversionRules.bitcast(b, l);
            case PtrAdd p -> MemoryRules.ptrAdd(p, l);
            case Load ld -> MemoryRules.load(ld, l);
            case Store st -> MemoryRules.store(st, l);
            case Prefetch p -> null;   // a cache hint: the CPU has nothing to do (and checks no bounds for it)
            case DescriptorLoad d -> throw new IllegalStateException("descriptors are expanded before lowering (ExpandDescriptors)");
            case DescriptorStore d -> throw new IllegalStateException("descriptors are expanded before lowering (ExpandDescriptors)");
            case DescriptorAtomicAdd d -> throw new IllegalStateException("descriptors are expanded before lowering (ExpandDescriptors)");
            case AtomicRmw a -> AtomicRules.rmw(a, l);
            case AtomicCas a -> AtomicRules.cas(a, l);
            case Reduce r -> ReductionRules.reduce(r, l);
            case Scan s -> ReductionRules.scan(s, l);
            case ReduceTuple r -> ReductionRules.reduceTuple(r, l);
            case ScanTuple s -> ReductionRules.scanTuple(s, l);
            case Sort s -> ReductionRules.sort(s, l);
            case Histogram h -> ReductionRules.histogram(h, l);
            case Dot d -> DotRules.dot(d, l);
            case For f -> ControlRules.forLoop(f, l);
            case If i -> ControlRules.ifThenElse(i, l);
            case While w -> ControlRules.whileLoop(w, l);
            case Yield y -> null;
            case Assert a -> ProgramRules.deviceAssert(a, l);
            case Print p -> ProgramRules.print(p, l);
            case Hint h -> ShapeRules.alias(h, l);
            case Assume a -> ProgramRules.assume(a, l);
            case Barrier b -> null;
        };
    }
}
