package dev.tessera.cuda.codegen.layout;

import dev.tessera.cuda.codegen.Target;
import dev.tessera.passes.AxisInfo;
import dev.tessera.cuda.codegen.gpu.TensorCores;
import dev.tessera.ir.KernelIR;
import dev.tessera.ir.Op;
import dev.tessera.ir.Op.*;
import dev.tessera.ir.Region;
import dev.tessera.ir.Shape;
import dev.tessera.ir.Value;
import dev.tessera.types.DType;
import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Gives every value a layout, Triton-style: memory ops are the anchors (a coalesced layout from
 * AxisInfo, so that global accesses are 128-bit where the data allow), the layouts they want
 * flow backwards through elementwise and shape ops to the values feeding them, and then forwards
 * each op takes the layout that needs the fewest conversions. Where a producer and a consumer still
 * disagree, the consumer's operand is converted: values built from constants and aranges are
 * recomputed in the wanted layout, others go through shared memory once, right where they are
 * defined (so a conversion is never repeated inside a loop that merely uses the value).
 */
public final class LayoutAssignment {
    final int numWarps;
    private final Target target;
    private final AxisInfo axis;
    private final Rematerialization remat;
    private final Map<Value, DistributedLayout> want = new IdentityHashMap<>();
    private final Map<Value, DistributedLayout> layout = new IdentityHashMap<>();
    private final Map<Op, Map<Value, DistributedLayout>> required = new IdentityHashMap<>();
    private final Map<Op, DistributedLayout> memoryLayout = new IdentityHashMap<>();
    private final Map<Value, Set<DistributedLayout>> eager = new IdentityHashMap<>();
    private final Set<Dot> chained = java.util.Collections.newSetFromMap(new IdentityHashMap<>());
    /** Each for loop's carried values (its body's arguments) and results, with the values its body yields for them. */
    private final Map<Value, Value> yielded = new IdentityHashMap<>();
    /** The values for loops carry (their body's arguments past the induction variable): their layout follows their yields'. */
    private final Set<Value> carriedArgs = java.util.Collections.newSetFromMap(new IdentityHashMap<>());
    /** Each for loop's carried values (its body's arguments past the induction variable) with their inits. */
    private final Map<Value, Value> carriedInits = new IdentityHashMap<>();

    /** Every value some op reads (nested regions included): an atomic whose old values no op reads can be a reduction. */
    private final Set<Value> read = java.util.Collections.newSetFromMap(new IdentityHashMap<>());

    public LayoutAssignment(KernelIR kernel, int numWarps, Target target, AxisInfo axis, Rematerialization remat) {
        this.numWarps = numWarps;
        this.target = target;
        this.axis = axis;
        this.remat = remat;
        collectReads(kernel.body());
        for (KernelIR.Param p : kernel.params()) layout.put(p.value(), scalar());
        findChains(kernel.body());
        wantRegion(kernel.body());
        assignRegion(kernel.body());
        collectEager(kernel.body());
    }

    public DistributedLayout scalar() { return DistributedLayout.scalar(numWarps); }

    private void collectReads(Region r) {
        for (Op op : r.ops()) {
            read.addAll(op.operands());
            for (Region nested : op.regions()) collectReads(nested);
        }
    }

    /** Whether some op reads {@code v}. */
    public boolean isRead(Value v) { return read.contains(v); }

    /**
     * Whether atomic {@code a} may update neighbouring elements in one instruction: an f32 add on a
     * target with vector atomics. Every other atomic is one element an instruction, so that a
     * warp's lanes touch neighbouring addresses.
     */
    public boolean vectorizes(AtomicRmw a) {
        return target.vectorAtomics() && a.fn() == AtomicRmw.Fn.ADD && a.value().type().dtype() == DType.F32;
    }

    /** The layout {@code v} is produced in. */
    public DistributedLayout layoutOf(Value v) {
        if (v.type().isScalar()) return scalar();
        DistributedLayout l = layout.get(v);
        if (l == null) throw new IllegalStateException("no layout for " + v + " : " + v.type());
        return l;
    }

    /** The layout {@code op} reads {@code operand} in. */
    public DistributedLayout required(Op op, Value operand) {
        if (operand.type().isScalar()) return scalar();
        Map<Value, DistributedLayout> m = required.get(op);
        DistributedLayout l = m == null ? null : m.get(operand);
        return l != null ? l : layoutOf(operand);
    }

    /** Layouts {@code v} must also be converted to right after its definition. */
    public Set<DistributedLayout> eagerConversions(Value v) { return eager.getOrDefault(v, Set.of()); }

    public boolean isRematerializable(Value v) { return remat.isRematerializable(v); }

    /** The op defining {@code v} (null for parameters and region arguments). */
    public Op producerOf(Value v) { return remat.producer(v); }

    /** Whether {@code v} is the constant +0 (a scalar's or splatted). */
    public boolean isZeroConstant(Value v) {
        Op op = v == null ? null : remat.producer(v);
        while (op instanceof Splat s) op = remat.producer(s.source());
        return op instanceof Constant c && Double.doubleToRawLongBits(c.value().doubleValue()) == 0;
    }

    // ------------------------------------------------------------------ anchors

    /**
     * The layout a load, store or atomic accesses memory in: the coalesced one, except for a load
     * whose users want another that reads memory as well (see {@link #readsAsWell}), which it then
     * reads in directly. A vector broadcast against a tile (a GEMV's x, a norm's weights) so
     * arrives in the slice of the tile's layout instead of going through shared memory, with a
     * barrier, every time it is loaded. Asked for first when its users' wants are known (phase 1
     * visits a region's ops last to first).
     */
    public DistributedLayout memoryLayout(Op op) {
        DistributedLayout m = memoryLayout.get(op);
        if (m != null) return m;
        m = coalesced(op);
        if (op instanceof Load l && !l.isVolatile()) {
            DistributedLayout w = want.get(l.result());
            if (w != null && !w.equals(m) && readsAsWell(l, w, m)) m = w;
        }
        memoryLayout.put(op, m);
        return m;
    }

    /** The coalesced layout of a load, store or atomic through its pointer operand. */
    private DistributedLayout coalesced(Op op) {
        Value pointer = op.operands().getFirst();
        Value mask = switch (op) {
            case Load l -> l.mask();
            case Store s -> s.mask();
            case Prefetch p -> p.mask();
            case AtomicRmw a -> a.mask();
            default -> null;
        };
        Shape shape = pointer.type().shape();
        if (shape.isScalar()) return scalar();
        int[] order = contiguityOrder(axis.of(pointer).contiguity(), shape.rank());
        int d = order[0];
        boolean scalarAtomic = op instanceof AtomicRmw a ? !vectorizes(a) : op instanceof AtomicCas;
        // vector atomics hold 4 f32 (16 bytes) at most, as vectorWidth's widest access does
        int vector = scalarAtomic ? 1 : vectorWidth(pointer, mask, d);
        return Layouts.coalesced(shape, order, vector, numWarps);
    }

    /**
     * Whether load {@code l} reads memory in {@code w} as well as in its coalesced layout {@code m}:
     * its pointer, mask and other can be computed in {@code w} from scalars (no conversion moves
     * them), each thread's accesses are as wide and no more of them, and a warp's first access uses
     * its 32-byte sectors as fully. Lanes or warps that {@code w} replicates read the same addresses
     * again (from L1). More accesses a thread are refused: attention's backward read its row
     * statistics in the dots' slice as four 8-byte loads instead of one, and the addresses spilled.
     * A vector with fewer elements than the program has threads, which the coalesced layout
     * replicates anyway, is read in {@code w} where that takes at most two accesses a thread
     * (Triton's rule for cheap loads): the FP8 GEMM's row scales, loaded every K step, reach the
     * rows of wgmma's accumulators without a conversion and its two barriers.
     */
    private boolean readsAsWell(Load l, DistributedLayout w, DistributedLayout m) {
        if (!w.shape().equals(m.shape())) return false;
        for (Value v : new Value[] {l.pointer(), l.mask(), l.other()}) {
            if (v != null && !v.type().isScalar() && !remat.isRematerializable(v)) return false;
        }
        if (m.shape().rank() == 1 && m.shape().numel() < numWarps * DistributedLayout.LANES && w.numRegs() <= 2) return true;
        int d = contiguityOrder(axis.of(l.pointer()).contiguity(), m.shape().rank())[0];   // the dimension coalesced() ran along
        int most = vectorWidth(l.pointer(), l.mask(), d), es = l.pointer().type().pointee().byteSize();
        int vw = Math.min(most, run(w, d)), vm = Math.min(most, run(m, d));
        return vw >= vm && w.numRegs() / vw <= m.numRegs() / vm && sectorUse(w, d, vw, es) >= sectorUse(m, d, vm, es);
    }

    /** Consecutive elements along {@code d} in a thread's consecutive registers, from register 0. */
    private static int run(DistributedLayout l, int d) {
        int stride = 1 << DistributedLayout.dimShift(l.shape(), d), n = 1;
        for (int i = 0; i < l.regBits() && l.regBasis(i) == stride * n; i++) n *= 2;
        return n;
    }

    /** The share of the 32-byte sectors a warp's first access of {@code vector} elements a lane touches that it uses. */
    private static double sectorUse(DistributedLayout l, int d, int vector, int elementBytes) {
        Set<Integer> elements = new java.util.HashSet<>();
        Set<Long> sectors = new java.util.HashSet<>();
        int shift = DistributedLayout.dimShift(l.shape(), d), alongD = (l.shape().dim(d) - 1) << shift;
        for (int lane = 0; lane < DistributedLayout.LANES; lane++) {
            for (int r = 0; r < vector; r++) {
                int e = l.lanePart(lane) ^ l.regPart(r);
                if (!elements.add(e)) continue;
                long across = e & ~alongD, along = (long) DistributedLayout.coordinate(l.shape(), d, e) * elementBytes / 32;
                sectors.add(across << 32 | along);
            }
        }
        return (double) elements.size() * elementBytes / (32.0 * sectors.size());
    }

    /** A row-major block read from shared memory: 16 bytes per thread along the innermost dimension where the block allows. */
    private DistributedLayout boxLayout(dev.tessera.ir.Type t) {
        Shape shape = t.shape();
        int rank = shape.rank();
        int[] order = new int[rank];
        for (int i = 0; i < rank; i++) order[i] = rank - 1 - i;
        return Layouts.coalesced(shape, order, Math.max(1, 16 / t.dtype().byteSize()), numWarps);
    }

    /** Elements per 128-bit access along dimension {@code d}, as contiguity, alignment and the mask allow. */
    public int vectorWidth(Value pointer, Value mask, int d) {
        int es = pointer.type().pointee().byteSize();
        AxisInfo.Facts f = axis.of(pointer);
        int v = Math.min(16 / es, f.contiguity()[d]);
        v = Math.min(v, Math.max(1, f.divisibility()[d] / es));
        if (mask != null) v = Math.min(v, axis.of(mask).constancy()[d]);
        return Integer.highestOneBit(Math.max(1, v));
    }

    /** Dimensions by decreasing contiguity (the last dimension first among equals). */
    private static int[] contiguityOrder(int[] contiguity, int rank) {
        List<Integer> dims = new ArrayList<>();
        for (int d = rank - 1; d >= 0; d--) dims.add(d);
        dims.sort((a, b) -> Integer.compare(contiguity[b], contiguity[a]));
        return dims.stream().mapToInt(Integer::intValue).toArray();
    }

    // ------------------------------------------------------------------ phase 1: what users want

    private void setWant(Value v, DistributedLayout l) {
        if (v == null || l == null || v.type().isScalar()) return;
        want.putIfAbsent(v, l);
    }

    private void wantRegion(Region r) {
        List<Op> ops = r.ops();
        for (int i = ops.size() - 1; i >= 0; i--) wantOp(ops.get(i));
    }

    private void wantOp(Op op) {
        switch (op) {
            case Load l -> {
                DistributedLayout m = memoryLayout(l);
                setWant(l.pointer(), m);
                setWant(l.mask(), m);
                setWant(l.other(), m);
            }
            case Store s -> {
                DistributedLayout m = memoryLayout(s);
                setWant(s.pointer(), m);
                setWant(s.value(), m);
                setWant(s.mask(), m);
            }
            case Prefetch p -> {
                DistributedLayout m = memoryLayout(p);
                setWant(p.pointer(), m);
                setWant(p.mask(), m);
            }
            case AtomicRmw a -> {
                DistributedLayout m = memoryLayout(a);
                setWant(a.pointer(), m);
                setWant(a.value(), m);
                setWant(a.mask(), m);
            }
            case AtomicCas a -> {
                DistributedLayout m = memoryLayout(a);
                setWant(a.pointer(), m);
                setWant(a.compare(), m);
                setWant(a.value(), m);
            }
            case Dot d -> {
                setWant(d.acc(), dotLayout(d));
                if (chained.contains(d) && d.a().type().dtype().bits() == 16) setWant(d.a(), aFragmentLayout(d));
            }
            case Scan s -> setWant(s.input(), Layouts.scan(s.input().type().shape(), s.axis(), numWarps));
            case ScanTuple s -> {
                for (Value in : s.inputs()) setWant(in, Layouts.scan(in.type().shape(), s.axis(), numWarps));
            }
            case Split s -> {
                DistributedLayout w = want.get(s.results().get(0));
                setWant(s.source(), w != null ? w.joined() : splitLayout(s.source().type().shape()));
            }
            case Join j -> {
                DistributedLayout w = want.get(j.result());
                if (w != null && w.lastBitRegister() >= 0) {
                    setWant(j.lhs(), w.splitHalf());
                    setWant(j.rhs(), w.splitHalf());
                }
            }
            case For f -> {
                // a carried value's uses inside the loop come first: a conversion there runs every
                // iteration, one for a use after the loop once (attention's row maximum and sum,
                // carried in the slice of the dots' layout, are stored in another layout at the end;
                // its accumulator, carried from loop to loop as the next loop's dot reads it, is
                // asked of the loop before in that layout, not in the layout of its final store)
                // an accumulator computed from a tensor-core dot in the body (the FP8 GEMM's
                // acc + dot·scale) is wanted in the dot's layout before its final store's: else
                // the product went through shared memory every iteration (a [128, 128] f32 tile
                // on sm_90a) to meet an accumulator kept in the store's layout
                List<Value> args = f.body().args().subList(1, f.body().args().size());
                List<Value> yields = ((Yield) f.body().terminator()).values();
                for (Value y : yields) {
                    Dot d = y.type().isScalar() || remat.isRematerializable(y) ? null : producingDot(y, y.type().shape(), 0);
                    if (d != null) setWant(y, dotLayout(d));
                }
                for (int i = 0; i < args.size(); i++) {
                    setWant(yields.get(i), want.get(f.results().get(i)));
                    carriedInits.put(args.get(i), f.inits().get(i));
                }
                wantRegion(f.body());
                for (int i = 0; i < args.size(); i++) {
                    DistributedLayout w = want.getOrDefault(args.get(i), want.get(f.results().get(i)));
                    setWant(yields.get(i), w);
                    setWant(f.inits().get(i), w);
                }
            }
            case While w -> {
                List<Value> yields = ((Yield) w.body().terminator()).values();
                for (int i = 0; i < w.inits().size(); i++) setWant(yields.get(i), want.get(w.results().get(i)));
                wantRegion(w.body());
                wantRegion(w.condition());
                for (int i = 0; i < w.inits().size(); i++) {
                    DistributedLayout l = want.getOrDefault(w.results().get(i), want.getOrDefault(w.body().args().get(i), want.get(w.condition().args().get(i))));
                    setWant(yields.get(i), l);
                    setWant(w.inits().get(i), l);
                }
            }
            case If i -> {
                List<Value> ty = ((Yield) i.thenRegion().terminator()).values(), ey = ((Yield) i.elseRegion().terminator()).values();
                for (int k = 0; k < i.results().size(); k++) {
                    setWant(ty.get(k), want.get(i.results().get(k)));
                    setWant(ey.get(k), want.get(i.results().get(k)));
                }
                wantRegion(i.thenRegion());
                wantRegion(i.elseRegion());
            }
            default -> {
                DistributedLayout w = op.results().size() == 1 ? want.get(op.results().getFirst()) : null;
                if (w == null && isElementwise(op)) w = anchoredOperandLayout(op);
                if (w != null && isDerived(op)) {
                    for (Value v : op.operands()) setWant(v, derivedOperandLayout(op, v, w));
                }
            }
        }
    }

    /** Elementwise ops of several operands: their operands meet in one layout. */
    private static boolean isElementwise(Op op) {
        return op instanceof Binary || op instanceof Compare || op instanceof Select || op instanceof Fma;
    }

    /**
     * For an op that no user asks a layout of: the coalesced layout of an operand loaded from memory
     * (through elementwise ops, and from a loop's carried value to its init: a block loaded a step
     * ahead), so that its other operands are wanted in it too (the vector that multiplies a GEMV's
     * loaded weights; the row maximum a cross-entropy block is offset by, broadcast from the slice
     * its own reduction made, which a layout of its own sent through shared memory every step).
     */
    private DistributedLayout anchoredOperandLayout(Op op) {
        for (Value v : op.operands()) {
            Load l = loadedThroughElementwise(v, 8);
            if (l != null) return coalesced(l);
        }
        return null;
    }

    /** The load {@code v} is computed from elementwise (at most {@code hops} ops back), or null. */
    private Load loadedThroughElementwise(Value v, int hops) {
        if (v == null || v.type().isScalar() || remat.isRematerializable(v) || hops == 0) return null;
        Op p = remat.producer(v);
        if (p instanceof Load l) return l;
        if (p == null) return loadedThroughElementwise(carriedInits.get(v), hops - 1);
        if (!(p instanceof Convert || p instanceof Bitcast || p instanceof Unary || isElementwise(p))) return null;
        for (Value in : p.operands()) {
            Load l = loadedThroughElementwise(in, hops - 1);
            if (l != null) return l;
        }
        return null;
    }

    // ------------------------------------------------------------------ derived operand layouts

    /** Ops whose operand layouts follow from their result's layout (elementwise ops and relabelings). */
    static boolean isDerived(Op op) {
        return switch (op) {
            case Unary u -> true;
            case Binary b -> true;
            case Compare c -> true;
            case Select s -> true;
            case Fma f -> true;
            case Convert c -> true;
            case Bitcast b -> true;
            case PtrAdd p -> true;
            case Hint h -> true;
            case Broadcast b -> true;
            case ExpandDims e -> true;
            case Reshape r -> true;
            case Permute p -> true;
            case Splat s -> true;
            default -> false;
        };
    }

    /** The layout {@code op} needs {@code operand} in to produce its result in {@code out}. */
    public static DistributedLayout derivedOperandLayout(Op op, Value operand, DistributedLayout out) {
        if (operand.type().isScalar()) return DistributedLayout.scalar(out.numWarps());
        return switch (op) {
            case Broadcast b -> out.projected(b.source().type().shape());
            case ExpandDims e -> out.withShape(e.source().type().shape());
            case Reshape r -> out.withShape(r.source().type().shape());
            case Permute p -> {
                List<Integer> inverse = new ArrayList<>(p.order());
                for (int i = 0; i < p.order().size(); i++) inverse.set(p.order().get(i), i);
                yield out.permuted(inverse);
            }
            default -> out;
        };
    }

    // ------------------------------------------------------------------ phase 2: what producers give

    private void require(Op op, Value v, DistributedLayout l) {
        if (v == null || v.type().isScalar()) return;
        required.computeIfAbsent(op, k -> new IdentityHashMap<>()).put(v, l);
    }

    private void set(Value v, DistributedLayout l) { layout.put(v, v.type().isScalar() ? scalar() : l); }

    private void assignRegion(Region r) {
        for (Op op : r.ops()) assignOp(op);
    }

    private DistributedLayout wantedOrDefault(Value v) {
        DistributedLayout w = want.get(v);
        return w != null ? w : Layouts.defaultLayout(v.type().shape(), numWarps);
    }

    private void assignOp(Op op) {
        switch (op) {
            case Load l -> {
                DistributedLayout m = memoryLayout(l);
                require(l, l.pointer(), m);
                require(l, l.mask(), m);
                require(l, l.other(), m);
                set(l.result(), m);
            }
            case Store s -> {
                DistributedLayout m = memoryLayout(s);
                require(s, s.pointer(), m);
                require(s, s.value(), m);
                require(s, s.mask(), m);
            }
            case Prefetch p -> {
                DistributedLayout m = memoryLayout(p);
                require(p, p.pointer(), m);
                require(p, p.mask(), m);
            }
            case AtomicRmw a -> {
                DistributedLayout m = memoryLayout(a);
                for (Value v : a.operands()) require(a, v, m);
                set(a.result(), m);
            }
            case AtomicCas a -> {
                DistributedLayout m = memoryLayout(a);
                for (Value v : a.operands()) require(a, v, m);
                set(a.result(), m);
            }
            // a descriptor's block comes through shared memory, which each thread reads in any layout: the one its users want
            case DescriptorLoad l -> set(l.result(), want.containsKey(l.result()) ? want.get(l.result()) : boxLayout(l.result().type()));
            case Constant c -> set(c.result(), wantedOrDefault(c.result()));
            case Arange a -> set(a.result(), wantedOrDefault(a.result()));
            case Join j -> {
                DistributedLayout l = layoutOf(j.lhs());
                require(j, j.lhs(), l);
                require(j, j.rhs(), l);
                set(j.result(), l.joined());
            }
            case Split s -> {
                DistributedLayout l = layoutOf(s.source());
                if (l.lastBitRegister() < 0) l = splitLayout(s.source().type().shape());
                require(s, s.source(), l);
                for (Value r : s.results()) set(r, l.splitHalf());
            }
            case Cat c -> {
                DistributedLayout l = layoutOf(c.lhs());
                require(c, c.lhs(), l);
                require(c, c.rhs(), l);
                set(c.result(), l.catted());
            }
            case Reduce r -> {
                DistributedLayout l = layoutOf(r.input());
                require(r, r.input(), l);
                set(r.result(), l.sliced(r.axis()));
                if (r.combine() != null) scalarRegion(r.combine());
            }
            case ReduceTuple r -> {
                // the inputs reduce together, so they share the first one's layout
                DistributedLayout l = layoutOf(r.inputs().getFirst());
                for (Value in : r.inputs()) require(r, in, l);
                for (Value res : r.results()) set(res, l.sliced(r.axis()));
                scalarRegion(r.combine());
            }
            case ScanTuple s -> {
                DistributedLayout l = layoutOf(s.inputs().getFirst());
                if (!isScanFriendly(l, s.axis())) l = Layouts.scan(l.shape(), s.axis(), numWarps);
                for (Value in : s.inputs()) require(s, in, l);
                for (Value res : s.results()) set(res, l);
                scalarRegion(s.combine());
            }
            case Scan s -> {
                DistributedLayout l = layoutOf(s.input());
                if (!isScanFriendly(l, s.axis())) l = Layouts.scan(s.input().type().shape(), s.axis(), numWarps);
                require(s, s.input(), l);
                set(s.result(), l);
                if (s.combine() != null) scalarRegion(s.combine());
            }
            case Sort s -> {
                DistributedLayout l = want.containsKey(s.result()) ? want.get(s.result()) : layoutOf(s.source());
                set(s.result(), l);
            }
            case Dot d -> {
                DistributedLayout c = dotLayout(d);
                require(d, d.acc(), c);
                set(d.result(), c);
            }
            case For f -> forLoop(f);
            case While w -> whileLoop(w);
            case If i -> ifThenElse(i);
            default -> {
                if (isDerived(op)) {
                    Value result = op.results().getFirst();
                    DistributedLayout l = result.type().isScalar() ? scalar() : chooseDerived(op, result);
                    set(result, l);
                    for (Value v : op.operands()) require(op, v, derivedOperandLayout(op, v, l));
                } else {
                    for (Value v : op.results()) set(v, v.type().isScalar() ? scalar() : wantedOrDefault(v));
                }
            }
        }
    }

    /**
     * The result layout of an elementwise or relabeling op: among what its user wants and what
     * its operands already have, the one costing fewest conversions through shared memory. A
     * for loop's carried value costs nothing to read in another layout: its layout moves to its
     * yield's (see {@link #iterateCarried}), so attention's row sum l·α + Σp settles in the layout
     * of α and Σp rather than keeping l in the layout of its store after the loop.
     */
    private DistributedLayout chooseDerived(Op op, Value result) {
        List<DistributedLayout> candidates = new ArrayList<>();
        DistributedLayout w = want.get(result);
        if (w != null) candidates.add(w);
        boolean relabel = op instanceof Broadcast || op instanceof ExpandDims || op instanceof Reshape || op instanceof Permute;
        if (relabel && !(op instanceof Broadcast)) {
            Value src = op.operands().getFirst();
            candidates.add(natural(op, layoutOf(src)));
        } else if (!relabel) {
            for (Value v : op.operands()) if (!v.type().isScalar()) candidates.add(layoutOf(v));
        }
        if (candidates.isEmpty()) return Layouts.defaultLayout(result.type().shape(), numWarps);
        DistributedLayout best = null;
        int bestCost = Integer.MAX_VALUE;
        for (DistributedLayout c : candidates) {
            int cost = c.equals(w) || w == null || remat.isRematerializable(result) ? 0 : 1;
            for (Value v : op.operands()) {
                if (v.type().isScalar() || remat.isRematerializable(v) || carriedArgs.contains(v)) continue;
                DistributedLayout have = layoutOf(v), need = derivedOperandLayout(op, v, c);
                if (!have.equals(need) && !have.convertsLocallyTo(need)) cost += 2;
            }
            if (cost < bestCost) {
                best = c;
                bestCost = cost;
            }
        }
        return best;
    }

    /** What a relabeling op makes of its source's layout. */
    private static DistributedLayout natural(Op op, DistributedLayout src) {
        return switch (op) {
            case ExpandDims e -> src.withShape(e.result().type().shape());
            case Reshape r -> src.withShape(r.result().type().shape());
            case Permute p -> src.permuted(p.order());
            default -> throw new IllegalStateException(op.toString());
        };
    }

    private void scalarRegion(Region r) {
        for (Value a : r.args()) set(a, scalar());
        assignRegion(r);
    }

    private void forLoop(For f) {
        List<Value> args = f.body().args().subList(1, f.body().args().size());
        List<Value> yields = ((Yield) f.body().terminator()).values();
        DistributedLayout[] carried = new DistributedLayout[args.size()];
        for (int i = 0; i < carried.length; i++) {
            DistributedLayout w = want.getOrDefault(args.get(i), want.get(f.results().get(i)));
            carried[i] = w != null ? w : layoutOf(f.inits().get(i));
        }
        set(f.body().args().getFirst(), scalar());
        carriedArgs.addAll(args);
        iterateCarried(args, yields, carried, () -> assignRegion(f.body()));
        for (int i = 0; i < carried.length; i++) {
            require(f, f.inits().get(i), carried[i]);
            require(f.body().terminator(), yields.get(i), carried[i]);
            set(f.results().get(i), carried[i]);
        }
    }

    private void whileLoop(While w) {
        List<Value> yields = ((Yield) w.body().terminator()).values();
        DistributedLayout[] carried = new DistributedLayout[w.inits().size()];
        for (int i = 0; i < carried.length; i++) {
            DistributedLayout l = want.getOrDefault(w.results().get(i), want.getOrDefault(w.body().args().get(i), want.get(w.condition().args().get(i))));
            carried[i] = l != null ? l : layoutOf(w.inits().get(i));
        }
        iterateCarried(w.condition().args(), yields, carried, () -> {
            for (int i = 0; i < carried.length; i++) set(w.body().args().get(i), carried[i]);
            assignRegion(w.condition());
            assignRegion(w.body());
        });
        for (int i = 0; i < carried.length; i++) {
            require(w, w.inits().get(i), carried[i]);
            require(w.body().terminator(), yields.get(i), carried[i]);
            set(w.body().args().get(i), carried[i]);
            set(w.results().get(i), carried[i]);
        }
    }

    /** Settles loop-carried layouts: a yield produced in another layout (and not cheap to recompute) moves the carried layout to it. */
    private void iterateCarried(List<Value> args, List<Value> yields, DistributedLayout[] carried, Runnable assignBody) {
        for (int round = 0; round < 3; round++) {
            for (int i = 0; i < carried.length; i++) set(args.get(i), carried[i]);
            assignBody.run();
            boolean changed = false;
            for (int i = 0; i < carried.length; i++) {
                Value y = yields.get(i);
                if (y.type().isScalar() || remat.isRematerializable(y)) continue;
                DistributedLayout l = layoutOf(y);
                if (!l.equals(carried[i])) {
                    carried[i] = l;
                    changed = true;
                }
            }
            if (!changed) return;
        }
        for (int i = 0; i < carried.length; i++) set(args.get(i), carried[i]);
        assignBody.run();
    }

    private void ifThenElse(If i) {
        assignRegion(i.thenRegion());
        assignRegion(i.elseRegion());
        List<Value> ty = ((Yield) i.thenRegion().terminator()).values(), ey = ((Yield) i.elseRegion().terminator()).values();
        for (int k = 0; k < i.results().size(); k++) {
            Value t = ty.get(k), e = ey.get(k);
            DistributedLayout l = want.get(i.results().get(k));
            if (l == null || !(remat.isRematerializable(t) && remat.isRematerializable(e))) {
                l = !remat.isRematerializable(t) || remat.isRematerializable(e) ? layoutOf(t) : layoutOf(e);
            }
            require(i.thenRegion().terminator(), t, l);
            require(i.elseRegion().terminator(), e, l);
            set(i.results().get(k), l);
        }
    }

    // ------------------------------------------------------------------ phase 3: eager conversions

    private void collectEager(Region r) {
        for (Op op : r.ops()) {
            Map<Value, DistributedLayout> req = required.get(op);
            if (req != null) {
                req.forEach((v, l) -> {
                    if (v.type().isScalar() || remat.isRematerializable(v)) return;
                    DistributedLayout have = layoutOf(v);
                    if (!have.equals(l) && !have.convertsLocallyTo(l)) eager.computeIfAbsent(v, k -> new LinkedHashSet<>()).add(l);
                });
            }
            for (Region nested : op.regions()) collectEager(nested);
        }
    }

    // ------------------------------------------------------------------ special layouts

    public DistributedLayout dotLayout(Dot d) {
        TensorCores.Plan plan = plan(d);
        if (plan != null) return plan.accumulator();
        Shape s = d.result().type().shape();
        return Layouts.dot(s.dim(0), s.dim(1), numWarps);
    }

    /**
     * How {@code d} runs on tensor cores, or null for the FMA loops: on {@code wgmma} where the
     * target has it and the result splits into whole warpgroups of 64 rows, else on
     * {@code mma.sync}; a chained pair with warps (or warpgroups) that own whole rows, so the
     * second one's A stays in registers. Both dots of a pair have the rows of the first one's
     * result and the same warps, so they make the same choice.
     */
    public TensorCores.Plan plan(Dot d) {
        TensorCores.Mma mma = tensorCore(d);
        if (mma == null) return null;
        Shape s = d.result().type().shape();
        TensorCores.Wgmma wgmma = target.wgmma() ? TensorCores.selectWgmma(d, mma) : null;
        if (chained.contains(d)) {
            TensorCores.WarpGroups rows = wgmma != null ? TensorCores.WarpGroups.rows(s.dim(0), s.dim(1), numWarps) : null;
            return rows != null ? new TensorCores.WgmmaPlan(wgmma, rows) : new TensorCores.MmaPlan(mma, TensorCores.Tiling.rows(s.dim(0), s.dim(1), numWarps));
        }
        TensorCores.WarpGroups groups = wgmma != null ? TensorCores.WarpGroups.of(s.dim(0), s.dim(1), numWarps) : null;
        if (groups != null) return new TensorCores.WgmmaPlan(wgmma, groups);
        return new TensorCores.MmaPlan(mma, TensorCores.Tiling.of(s.dim(0), s.dim(1), numWarps));
    }

    /**
     * The layout in which {@code d}'s A operand is already its A fragments: the accumulator layout
     * of a dot with A's shape whose warps (warpgroups, on wgmma) own whole rows, as {@code d}'s do.
     */
    public DistributedLayout aFragmentLayout(Dot d) {
        Shape a = d.a().type().shape();
        if (plan(d) instanceof TensorCores.WgmmaPlan) return TensorCores.WarpGroups.rows(a.dim(0), a.dim(1), numWarps).accumulator();
        return TensorCores.Tiling.rows(a.dim(0), a.dim(1), numWarps).accumulator();
    }

    /**
     * Finds dots whose A operand is computed elementwise from another tensor-core dot's result
     * (through at most {@link #CHAIN_DEPTH} elementwise ops of the same shape, and through a for
     * loop's carried value or result to the value its body yields: FlashAttention-3's order
     * multiplies the P the previous iteration, or the loop before, made): both get the rows tiling, so the first one's accumulators become
     * the second one's A operand in registers.
     */
    private void findChains(Region r) {
        for (Op op : r.ops()) {
            if (op instanceof For f) {
                List<Value> yields = ((Yield) f.body().terminator()).values();
                for (int i = 0; i < yields.size(); i++) {
                    yielded.put(f.body().args().get(i + 1), yields.get(i));
                    yielded.put(f.results().get(i), yields.get(i));
                }
            }
            for (Region nested : op.regions()) findChains(nested);
            if (op instanceof Dot d2 && tensorCore(d2) != null && d2.a().type().dtype().bits() == 16) {
                Dot d1 = producingDot(d2.a(), d2.a().type().shape(), 0);
                if (d1 != null) {
                    chained.add(d1);
                    chained.add(d2);
                }
            }
        }
    }

    private static final int CHAIN_DEPTH = 12;

    private Dot producingDot(Value v, Shape shape, int depth) {
        if (depth > CHAIN_DEPTH || !v.type().shape().equals(shape)) return null;
        if (yielded.containsKey(v)) return producingDot(yielded.get(v), shape, depth + 1);
        Op op = remat.producer(v);
        if (op instanceof Dot d) return tensorCore(d) != null ? d : null;
        if (op == null || !(op instanceof Convert || op instanceof Unary || op instanceof Binary || op instanceof Select || op instanceof Fma)) return null;
        for (Value x : op.operands()) {
            Dot d = producingDot(x, shape, depth + 1);
            if (d != null) return d;
        }
        return null;
    }

    /** The tensor-core instruction {@code d} runs on, or null for the FMA loops. */
    TensorCores.Mma tensorCore(Dot d) { return TensorCores.select(d, target.sm(), target.nativeFp8()); }

    /** A layout holding the last dimension (of size 2) in a thread's registers. */
    DistributedLayout splitLayout(Shape shape) {
        int rank = shape.rank();
        int[] spt = new int[rank];
        java.util.Arrays.fill(spt, 1);
        spt[rank - 1] = 2;
        return Layouts.blocked(shape, spt, Layouts.rowMajor(rank), numWarps).linear(shape);
    }

    /**
     * Whether a scan along {@code axis} can run on {@code l} directly: the axis's bits are held by
     * registers, then consecutive lane bits, then consecutive warp bits, from low to high.
     */
    static boolean isScanFriendly(DistributedLayout l, int axis) {
        Shape s = l.shape();
        int shift = DistributedLayout.dimShift(s, axis), bits = DistributedLayout.log2(s.dim(axis));
        int stage = 0, lastReg = -1, lastLane = -1, lastWarp = -1;
        for (int k = 0; k < bits; k++) {
            int b = 1 << (shift + k);
            int reg = -1, lane = -1, warp = -1;
            for (int i = 0; i < l.regBits(); i++) if (l.regBasis(i) == b) reg = i;
            for (int i = 0; i < 5; i++) if (l.laneBasis(i) == b) lane = i;
            for (int i = 0; i < l.warpBits(); i++) if (l.warpBasis(i) == b) warp = i;
            if (reg >= 0) {
                if (stage > 0 || reg <= lastReg) return false;
                lastReg = reg;
            } else if (lane >= 0) {
                if (stage > 1 || (lastLane >= 0 && lane != lastLane + 1)) return false;
                stage = 1;
                lastLane = lane;
            } else if (warp >= 0) {
                if (lastWarp >= 0 && warp != lastWarp + 1) return false;
                stage = 2;
                lastWarp = warp;
            } else {
                return false;
            }
        }
        return true;
    }

    static boolean isI1(Value v) { return !v.type().isPointer() && v.type().dtype() == DType.I1; }
}
