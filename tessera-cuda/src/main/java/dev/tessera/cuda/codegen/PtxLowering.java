package dev.tessera.cuda.codegen;

import dev.tessera.cuda.codegen.control.DebugRules;
import dev.tessera.cuda.codegen.control.ProgramRules;
import dev.tessera.cuda.codegen.convert.ConversionRules;
import dev.tessera.cuda.codegen.dot.DotRules;
import dev.tessera.cuda.codegen.layout.DistributedLayout;
import dev.tessera.cuda.codegen.layout.ShapeRules;
import dev.tessera.cuda.codegen.math.ElementwiseRules;
import dev.tessera.cuda.codegen.memory.AtomicRules;
import dev.tessera.cuda.codegen.memory.MemoryRules;
import dev.tessera.cuda.codegen.memory.TmaRules;
import dev.tessera.cuda.codegen.reduce.HistogramRules;
import dev.tessera.cuda.codegen.reduce.ReductionRules;
import dev.tessera.cuda.codegen.reduce.ScanRules;
import dev.tessera.cuda.codegen.reduce.SortRules;
import dev.tessera.ir.Op;
import dev.tessera.ir.Op.*;
import dev.tessera.ir.Printer;

/**
 * The lowering table: one rule per op kind, all dispatched here. {@link #lower} handles an op in
 * program order (with a comment naming it and its source line); {@link #value} produces an op's
 * single result in a given layout, which is also how cheap values are recomputed in another layout.
 */
public final class PtxLowering {
    private PtxLowering() {}

    public static void lower(Op op, Lowerer cx) {
        cx.w.comment(firstLine(op) + (op.loc().isKnown() ? "  (" + op.loc() + ")" : ""));
        switch (op) {
            case Store s -> MemoryRules.store(s, cx);
            case Prefetch p -> MemoryRules.prefetch(p, cx);
            case DescriptorStore s -> TmaRules.store(s, cx);
            case Split s -> ShapeRules.split(s, cx);
            case ReduceTuple r -> ReductionRules.reduceTuple(r, cx);
            case ScanTuple s -> ScanRules.scanTuple(s, cx);
            case For f -> throw new IllegalStateException("loops are lowered from the GPU IR (GpuLowering)");
            case If i -> throw new IllegalStateException("branches are lowered from the GPU IR (GpuLowering)");
            case While w -> throw new IllegalStateException("loops are lowered from the GPU IR (GpuLowering)");
            case Yield y -> throw new IllegalStateException("yield outside its region's lowering");
            case Assert a -> DebugRules.deviceAssert(a, cx);
            case Print p -> DebugRules.print(p, cx);
            case Assume a -> { }
            case Barrier b -> {
                if (cx.target.tma() && TmaRules.readsGenericWrites(cx.kernel)) cx.w.op("fence.proxy.async.global");
                cx.smem.sync();
                cx.smem.assumeDirty();
            }
            default -> {
                var result = op.result();
                cx.define(result, value(op, cx.layoutOf(result), cx));
            }
        }
    }

    /** The single result of {@code op} in layout {@code out}. */
    static TileValue value(Op op, DistributedLayout out, Lowerer cx) {
        return switch (op) {
            case ProgramId p -> ProgramRules.programId(p, cx);
            case NumPrograms n -> ProgramRules.numPrograms(n, cx);
            case Constant c -> ElementwiseRules.constant(c, out, cx);
            case Arange a -> ElementwiseRules.arange(a, out, cx);
            case Splat s -> ElementwiseRules.splat(s, out, cx);
            case Broadcast b -> ElementwiseRules.broadcast(b, out, cx);
            case ExpandDims e -> ElementwiseRules.relabel(e, out, cx);
            case Reshape r -> ElementwiseRules.relabel(r, out, cx);
            case Permute p -> ElementwiseRules.relabel(p, out, cx);
            case Hint h -> ElementwiseRules.relabel(h, out, cx);
            case Join j -> ShapeRules.join(j, out, cx);
            case Cat c -> ShapeRules.cat(c, out, cx);
            case Unary u -> ElementwiseRules.unary(u, out, cx);
            case Binary b -> ElementwiseRules.binary(b, out, cx);
            case Compare c -> ElementwiseRules.compare(c, out, cx);
            case Select s -> ElementwiseRules.select(s, out, cx);
            case Fma f -> ElementwiseRules.fma(f, out, cx);
            case Convert c -> ConversionRules.convert(c, out, cx);
            case Bitcast b -> ConversionRules.bitcast(b, out, cx);
            case PtrAdd p -> ElementwiseRules.ptrAdd(p, out, cx);
            case Load l -> MemoryRules.load(l, out, cx);
            case AtomicRmw a -> AtomicRules.rmw(a, out, cx);
            case AtomicCas a -> AtomicRules.cas(a, out, cx);
            case Reduce r -> ReductionRules.reduce(r, out, cx);
            case Scan s -> ScanRules.scan(s, out, cx);
            case Sort s -> SortRules.sort(s, out, cx);
            case Histogram h -> HistogramRules.histogram(h, out, cx);
            case Dot d -> DotRules.dot(d, out, cx); // tensor-core dots are GpuOp.Mma, descriptor loads GpuOp.TmaLoad
            default -> throw new IllegalStateException("not a single-value op: " + Printer.print(op));
        };
    }

    private static String firstLine(Op op) {
        String s = Printer.print(op);
        int nl = s.indexOf('\n');
        return nl < 0 ? s : s.substring(0, nl) + " ...";
    }
}
