package dev.tessera.cpu;

import dev.tessera.ir.Op;
import dev.tessera.ir.Region;
import dev.tessera.ir.Shape;
import dev.tessera.ir.Value;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Lowers a region's ops with their elementwise runs fused: each op is lowered as usual, then ops
 * of one shape that a loop can compute lane by lane ({@link LaneCode}, splats, aliases, and loads
 * and stores of consecutive addresses, {@link FusedAccess}) are collected into a {@link FusionGroup},
 * which becomes one {@link FusedStep} at the place where it closes.
 *
 * <p>Moving a group's ops to where it closes must not change what any step sees, so a group
 * closes before an op that reads one of its values, and a group that loads or stores closes before
 * any other op with effects (memory, faults, output, regions), keeping their order. A store closes
 * its group, so a fused loop never reads memory after it wrote some. Values no other step reads
 * stay in registers.
 */
final class Fusion {
    private Fusion() {}

    static Step[] lower(List<Op> ops, Lowering l) {
        List<Step> steps = new ArrayList<>();
        Map<Shape, FusionGroup> open = new LinkedHashMap<>();
        for (Op op : ops) {
            Step unfused = CpuLowering.lower(op, l);
            Shape lanes = laneShape(op, l);
            FusionGroup target = lanes == null ? null : open.get(lanes);
            if (target != null && !accepts(target, op, l)) {
                close(target, open, steps, l);
                target = null;
            }
            List<Value> reads = lanes != null ? l.arraysRead(op) : readsWithin(op, l);
            boolean effects = hasEffects(op);
            for (FusionGroup g : List.copyOf(open.values())) {
                if (g != target && (g.definesAny(reads) || effects && g.touchesMemory())) close(g, open, steps, l);
            }
            if (lanes == null) {
                if (unfused != null) steps.add(unfused);
                continue;
            }
            if (target == null) open.put(lanes, target = new FusionGroup(lanes));
            target.add(op, unfused);
            if (op instanceof Op.Store || target.isFull()) close(target, open, steps, l);
        }
        for (FusionGroup g : List.copyOf(open.values())) close(g, open, steps, l);
        return steps.toArray(Step[]::new);
    }

    /** The shape of the lanes a fused loop would compute op over, or null when op is not fused. */
    private static Shape laneShape(Op op, Lowering l) {
        return switch (op) {
            case Op.Splat s -> s.result().type().shape();
            case Op.Load ld -> FusedAccess.of(ld, l) != null ? ld.result().type().shape() : null;
            case Op.Store st -> FusedAccess.of(st, l) != null ? st.value().type().shape() : null;
            default -> FusionGroup.isAlias(op) || LaneCode.of(op) != null ? op.result().type().shape() : null;
        };
    }

    /** Whether op can join the group: room left, and a fused access's addresses must not depend on a load. */
    private static boolean accepts(FusionGroup g, Op op, Lowering l) {
        if (g.isFull()) return false;
        FusedAccess a = FusedAccess.of(op, l);
        return a == null || !g.needsLoad(a.offsets());
    }

    /** Ops whose order with a group's loads and stores matters: memory, faults, output, and ops holding regions. */
    private static boolean hasEffects(Op op) {
        return switch (op) {
            case Op.Load ld -> true;
            case Op.Store st -> true;
            case Op.AtomicRmw a -> true;
            case Op.AtomicCas a -> true;
            case Op.Assert a -> true;
            case Op.Assume a -> true;
            case Op.Print p -> true;
            default -> !op.regions().isEmpty();
        };
    }

    /** The values op's step reads, those its nested regions' steps read included. */
    private static List<Value> readsWithin(Op op, Lowering l) {
        List<Value> reads = new ArrayList<>(l.arraysRead(op));
        for (Region r : op.regions()) for (Op nested : r.ops()) reads.addAll(readsWithin(nested, l));
        return reads;
    }

    private static void close(FusionGroup g, Map<Shape, FusionGroup> open, List<Step> steps, Lowering l) {
        open.remove(g.shape);
        Step s = g.members.size() == 1 ? (g.unfused.isEmpty() ? null : g.unfused.getFirst()) : FusedStep.of(g, l);
        if (s != null) steps.add(s);
    }
}
