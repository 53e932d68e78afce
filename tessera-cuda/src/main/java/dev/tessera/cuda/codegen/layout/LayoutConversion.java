package dev.tessera.cuda.codegen.layout;

import dev.tessera.cuda.codegen.Emit;
import dev.tessera.cuda.codegen.Lowerer;
import dev.tessera.cuda.codegen.RegClass;
import dev.tessera.cuda.codegen.Shuffles;
import dev.tessera.cuda.codegen.TileValue;
import dev.tessera.cuda.codegen.convert.Packing;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Moves a value from one layout to another, as {@link ConversionPlan} classifies it. When every
 * thread already holds what it needs the registers are only renamed. When every element a thread
 * needs is in its own warp and that costs fewer instructions than the shared-memory round trip,
 * each target register comes by {@code shfl.sync.idx} (per 32-bit word) from the lane the plan
 * names. Otherwise each thread writes its elements to shared memory at their flat index (padded
 * by 16 bytes every 32 elements, which spreads column accesses over the banks and keeps 16-byte
 * vector accesses aligned), a barrier, and each thread reads its new elements.
 */
public final class LayoutConversion {
    private LayoutConversion() {}

    public static TileValue convert(TileValue src, DistributedLayout target, Lowerer cx) {
        DistributedLayout from = src.layout();
        if (from.equals(target)) return src;
        if (src.isPacked()) return convertPacked(src, target, cx);
        if (from.convertsLocallyTo(target)) {
            String[] regs = new String[target.numRegs()];
            for (int r = 0; r < regs.length; r++) regs[r] = src.reg(from.localSource(target, r));
            return new TileValue(target, src.type(), regs);
        }
        if (!from.shape().equals(target.shape())) throw new IllegalStateException("convert " + from + " to " + target);
        RegClass k = src.regClass();
        ConversionPlan plan = ConversionPlan.of(from, target);
        if (plan.kind() == ConversionPlan.Kind.WARP_SHUFFLE && shufflesPay(plan, k)) return byShuffles(src, plan, cx);
        cx.w.comment("layout conversion through shared memory: " + from + " -> " + target);
        int eb = elementBytes(k);
        String base = cx.smem.begin(paddedIndex(target.shape().numel()) * eb);
        writeAll(cx, src, base, null);
        cx.smem.sync();
        TileValue out = readAll(cx, target, src.type(), base);
        cx.smem.end();
        return out;
    }

    /**
     * A packed value in another layout: a renaming keeps words whose pairs stay together and
     * re-pairs the others with {@code prmt}; through shared memory, each element's pattern moves
     * as a 32-bit word and the patterns are paired again where they land (bit-exact, NaN
     * payloads included). Where the target cannot hold the value packed, it is unpacked.
     */
    private static TileValue convertPacked(TileValue src, DistributedLayout target, Lowerer cx) {
        DistributedLayout from = src.layout();
        if (!TileValue.packable(src.type(), target)) return convert(Packing.unpack(cx, src), target, cx);
        if (from.convertsLocallyTo(target)) {
            return Packing.gather(cx, target, src.type(), new TileValue[] {src}, new Packing.Origin() {
                public int source(int e) { return 0; }
                public int index(int e) { return from.localSource(target, e); }
            });
        }
        TileValue moved = convert(Packing.bits(cx, src), target, cx);
        return Packing.fromBits(cx, moved, (dev.tessera.types.DType) src.type());
    }

    /** Every thread ends up with what the owners of each element hold (after an atomic only the owner executed). */
    public static TileValue shareFromOwners(TileValue v, Lowerer cx) {
        String owner = cx.owner(v.layout());
        if (owner == null) return v;
        RegClass k = v.regClass();
        int eb = elementBytes(k);
        String base = cx.smem.begin(paddedIndex(v.layout().shape().numel()) * eb);
        writeAll(cx, v, base, owner);
        cx.smem.sync();
        TileValue out = readAll(cx, v.layout(), v.type(), base);
        cx.smem.end();
        return out;
    }

    public static int elementBytes(RegClass k) { return k == RegClass.PRED ? 4 : k.bytes(); }

    /** The padded word index of flat element {@code i} (16 bytes of padding every 32 elements). */
    static int paddedIndex(int i) { return i + (i >> 5) * 4; }

    /** The thread's padded byte offset in layout {@code l} (prologue register). */
    static String threadByteOffset(Lowerer cx, DistributedLayout l, int eb) {
        String t = cx.threadOffset(l);
        return cx.w.inPrologue(() -> {
            String hi = cx.w.reg(RegClass.B32), r = cx.w.reg(RegClass.B32);
            cx.w.op("shr.u32 %s, %s, 5", hi, t);
            cx.w.op("mad.lo.u32 %s, %s, 4, %s", r, hi, t);
            cx.w.op("mul.lo.u32 %s, %s, %d", r, r, eb);
            return r;
        });
    }

    private static void writeAll(Lowerer cx, TileValue v, String base, String pred) {
        DistributedLayout l = v.layout();
        RegClass k = v.regClass();
        int eb = elementBytes(k);
        String addr = cx.w.reg(RegClass.B32);
        cx.w.op("add.u32 %s, %s, %s", addr, base, threadByteOffset(cx, l, eb));
        String guard = pred == null ? "" : "@" + pred + " ";
        int n = l.numRegs(), vec = vectorRun(l, eb);
        for (int r = 0; r < n; r += vec) {
            int off = paddedIndex(l.regPart(r)) * eb;
            StringBuilder list = new StringBuilder();
            for (int j = 0; j < vec; j++) list.append(j == 0 ? "" : ", ").append(word(cx, k, v.reg(r + j)));
            cx.w.op("%sst.shared%s%s [%s+%d], %s", guard, vec == 1 ? "" : ".v" + vec, sharedType(k), addr, off,
                    vec == 1 ? list : "{" + list + "}");
        }
    }

    private static TileValue readAll(Lowerer cx, DistributedLayout l, dev.tessera.types.ElementType type, String base) {
        RegClass k = RegClass.of(type);
        int eb = elementBytes(k);
        String addr = cx.w.reg(RegClass.B32);
        cx.w.op("add.u32 %s, %s, %s", addr, base, threadByteOffset(cx, l, eb));
        int n = l.numRegs(), vec = vectorRun(l, eb);
        String[] regs = new String[n];
        for (int r = 0; r < n; r += vec) {
            int off = paddedIndex(l.regPart(r)) * eb;
            String[] raw = new String[vec];
            for (int j = 0; j < vec; j++) raw[j] = cx.w.reg(k == RegClass.PRED ? RegClass.B32 : k);
            cx.w.op("ld.shared%s%s %s, [%s+%d]", vec == 1 ? "" : ".v" + vec, sharedType(k),
                    vec == 1 ? raw[0] : "{" + String.join(", ", raw) + "}", addr, off);
            for (int j = 0; j < vec; j++) regs[r + j] = k == RegClass.PRED ? Emit.toPred(cx, raw[j]) : raw[j];
        }
        return new TileValue(l, type, regs);
    }

    /** How many low registers hold consecutive flat elements (up to 16 bytes). */
    static int vectorRun(DistributedLayout l, int eb) {
        int run = 0;
        while (run < l.regBits() && l.regBasis(run) == 1 << run) run++;
        return Math.min(1 << run, 16 / eb);
    }

    private static String sharedType(RegClass k) {
        return switch (k) {
            case F32 -> ".f32";
            case F64 -> ".f64";
            case B64 -> ".b64";
            default -> ".b32";
        };
    }

    private static String word(Lowerer cx, RegClass k, String reg) {
        return k == RegClass.PRED ? Emit.fromPred(cx, reg) : reg;
    }

    // ------------------------------------------------------------------ by warp shuffles

    /** The most shuffles per register and word worth making (the receiver shuffling each candidate register). */
    static final int MAX_SHUFFLES_PER_REGISTER = 4;

    /**
     * Whether the shuffles cost no more instructions than the shared-memory round trip (its
     * stores, loads, address adds and two barriers), counting shuffles, selects, the lane XORs,
     * and the splitting and joining of 64-bit and predicate values on both sides.
     */
    static boolean shufflesPay(ConversionPlan plan, RegClass k) {
        if (k == RegClass.B16 || plan.shufflesPerRegister() > MAX_SHUFFLES_PER_REGISTER) return false;
        return shuffleInstructions(plan, k) <= sharedInstructions(plan.source(), plan.target(), k);
    }

    static int shuffleInstructions(ConversionPlan plan, RegClass k) {
        DistributedLayout target = plan.target();
        int words = words(k), selects = plan.candidates() - 1, n = 0;
        Set<Long> moves = new HashSet<>();
        Set<Integer> laneXors = new HashSet<>(), sources = new HashSet<>();
        for (int r = 0; r < target.numRegs(); r++) {
            if (!moves.add(moveKey(plan, r))) continue;
            boolean local = isLocal(plan, r);
            n += words * ((local ? 0 : plan.shufflesPerRegister()) + selects);
            if (!local && plan.laneConstant(r) != 0) laneXors.add(plan.laneConstant(r));
            for (int c : candidates(plan, r)) sources.add(c);
        }
        return n + laneXors.size() + splitCost(k) * sources.size() + joinCost(k) * target.numRegs();
    }

    static int sharedInstructions(DistributedLayout from, DistributedLayout target, RegClass k) {
        int eb = elementBytes(k), vs = vectorRun(from, eb), vt = vectorRun(target, eb);
        int stores = (from.numRegs() + vs - 1) / vs, loads = (target.numRegs() + vt - 1) / vt;
        int predicates = k == RegClass.PRED ? from.numRegs() + target.numRegs() : 0;
        return stores + loads + 2 + 2 + predicates;
    }

    private static int words(RegClass k) { return k == RegClass.B64 || k == RegClass.F64 ? 2 : 1; }

    private static int splitCost(RegClass k) {
        return switch (k) {
            case PRED, B64 -> 1;
            case F64 -> 2;
            default -> 0;
        };
    }

    private static int joinCost(RegClass k) { return k == RegClass.PRED || k == RegClass.B64 || k == RegClass.F64 ? 1 : 0; }

    /** Target registers with the same base register and lane constant receive the same value. */
    private static long moveKey(ConversionPlan plan, int r) { return (long) plan.baseRegister(r) << 32 | plan.laneConstant(r); }

    /** Whether target register r comes from the thread's own lane: no shuffle, at most a select among its own registers. */
    private static boolean isLocal(ConversionPlan plan, int r) { return plan.lanesStay() && plan.laneConstant(r) == 0; }

    /** The source registers a selection for target register r chooses among, by the selection's bits (bit j set: XOR its j-th register). */
    static List<Integer> candidates(ConversionPlan plan, int r) {
        List<Integer> out = new ArrayList<>(List.of(plan.baseRegister(r)));
        for (int g : selectionBasis(plan.selectionImage()).registers()) {
            int size = out.size();
            for (int i = 0; i < size; i++) out.add(out.get(i) ^ g);
        }
        return out;
    }

    /**
     * A basis of the register XORs a selection makes: {@code registers[j]}, XORed in where the
     * parity of {@code tid & masks[j]} is odd, so that the selection image of any thread index is
     * the XOR of the basis registers its parities pick.
     */
    record SelectionBasis(List<Integer> registers, List<Integer> masks) {}

    static SelectionBasis selectionBasis(int[] image) {
        List<Integer> registers = new ArrayList<>(), masks = new ArrayList<>();
        for (int t = 0; t < image.length; t++) {
            int v = image[t], used = 0;
            // reduce by the basis from the highest leading bit down: each step clears its bit for good
            List<Integer> byTop = new ArrayList<>();
            for (int j = 0; j < registers.size(); j++) byTop.add(j);
            byTop.sort((a, b) -> Integer.compare(Integer.numberOfLeadingZeros(registers.get(a)), Integer.numberOfLeadingZeros(registers.get(b))));
            for (int j : byTop) {
                int g = registers.get(j);
                if ((v >>> (31 - Integer.numberOfLeadingZeros(g)) & 1) != 0) {
                    v ^= g;
                    used ^= 1 << j;
                }
            }
            if (v != 0) {
                registers.add(v);
                masks.add(0);
                used |= 1 << (registers.size() - 1);
            }
            for (int j = 0; j < registers.size(); j++) if ((used >>> j & 1) != 0) masks.set(j, masks.get(j) | 1 << t);
        }
        return new SelectionBasis(registers, masks);
    }

    private static TileValue byShuffles(TileValue src, ConversionPlan plan, Lowerer cx) {
        DistributedLayout target = plan.target();
        RegClass k = src.regClass();
        cx.w.comment("layout conversion by warp shuffles (" + plan.shufflesPerRegister() + " per register, " + plan.selection() + " selects): " + plan.source()
                + " -> " + target);
        String laneOfThread = sourceLaneOfThread(cx, plan);
        SelectionBasis basis = selectionBasis(plan.selectionImage());
        List<String> predicates = new ArrayList<>();
        for (int mask : basis.masks()) predicates.add(parityOfThread(cx, mask));
        Map<Integer, String[]> sourceWords = new HashMap<>();
        Map<Integer, String> laneOperands = new HashMap<>();
        Map<Long, String> moved = new HashMap<>();
        String[] regs = new String[target.numRegs()];
        for (int r = 0; r < regs.length; r++) {
            long key = moveKey(plan, r);
            if (moved.containsKey(key)) {
                regs[r] = moved.get(key);
                continue;
            }
            boolean local = isLocal(plan, r);
            String lane = local ? null : laneOperands.computeIfAbsent(plan.laneConstant(r), c -> laneOperand(cx, laneOfThread, c));
            List<String[]> options = new ArrayList<>();
            for (int c : candidates(plan, r)) options.add(sourceWords.computeIfAbsent(c, reg -> split(cx, k, src.reg(reg))));
            String[] words = switch (plan.selection()) {
                case NONE -> local ? options.getFirst() : shuffled(cx, k, options.getFirst(), lane);
                case SENDER -> local ? select(cx, k, options, predicates) : shuffled(cx, k, select(cx, k, options, predicates), lane);
                case RECEIVER -> {
                    List<String[]> received = new ArrayList<>();
                    for (String[] option : options) received.add(local ? option : shuffled(cx, k, option, lane));
                    yield select(cx, k, received, predicates);
                }
            };
            regs[r] = join(cx, k, words);
            moved.put(key, regs[r]);
        }
        return new TileValue(target, src.type(), regs);
    }

    /** The thread part of the source lane (prologue register), or null when it is zero in every thread. */
    private static String sourceLaneOfThread(Lowerer cx, ConversionPlan plan) {
        if (plan.lanesStay()) return cx.lane();
        int[] image = plan.laneOfThread();
        if (Arrays.stream(image).allMatch(v -> v == 0)) return null;
        return cx.w.inPrologue(() -> {
            int keep = 0;
            for (int t = 0; t < 5; t++) if (image[t] == 1 << t) keep |= 1 << t;
            String acc = null;
            if (keep != 0) {
                acc = cx.w.reg(RegClass.B32);
                cx.w.op("and.b32 %s, %s, %d", acc, cx.lane(), keep);
            }
            for (int t = 0; t < image.length; t++) {
                if (image[t] == 0 || (keep >>> t & 1) != 0) continue;
                String bit = cx.w.reg(RegClass.B32);
                cx.w.op("bfe.u32 %s, %s, %d, 1", bit, cx.tid(), t);
                if (Integer.bitCount(image[t]) > 1) {
                    cx.w.op("mul.lo.u32 %s, %s, %d", bit, bit, image[t]);
                } else if (image[t] > 1) {
                    cx.w.op("shl.b32 %s, %s, %d", bit, bit, Integer.numberOfTrailingZeros(image[t]));
                }
                if (acc != null) cx.w.op("xor.b32 %s, %s, %s", bit, bit, acc);
                acc = bit;
            }
            return acc;
        });
    }

    /** The lane a shuffle reads: the thread part XOR the register's constant (an immediate when the thread part is zero). */
    private static String laneOperand(Lowerer cx, String laneOfThread, int constant) {
        if (laneOfThread == null) return Integer.toString(constant);
        if (constant == 0) return laneOfThread;
        String lane = cx.w.reg(RegClass.B32);
        cx.w.op("xor.b32 %s, %s, %d", lane, laneOfThread, constant);
        return lane;
    }

    /** A predicate, set once in the prologue, true where {@code tid & mask} has an odd number of bits. */
    private static String parityOfThread(Lowerer cx, int mask) {
        return cx.w.inPrologue(() -> {
            String t = cx.w.reg(RegClass.B32), p = cx.w.reg(RegClass.PRED);
            cx.w.op("and.b32 %s, %s, %d", t, cx.tid(), mask);
            if (Integer.bitCount(mask) > 1) {
                cx.w.op("popc.b32 %s, %s", t, t);
                cx.w.op("and.b32 %s, %s, 1", t, t);
            }
            cx.w.op("setp.ne.u32 %s, %s, 0", p, t);
            return p;
        });
    }

    /** The class of the 32-bit words a value of class {@code k} moves as. */
    private static RegClass wordClass(RegClass k) { return k == RegClass.F32 ? RegClass.F32 : RegClass.B32; }

    /** A value as 32-bit words: itself, a predicate as 0/1, a 64-bit value as its low and high halves. */
    private static String[] split(Lowerer cx, RegClass k, String v) {
        switch (k) {
            case PRED -> {
                return new String[] {Emit.fromPred(cx, v)};
            }
            case B64, F64 -> {
                String bits = v;
                if (k == RegClass.F64) {
                    bits = cx.w.reg(RegClass.B64);
                    cx.w.op("mov.b64 %s, %s", bits, v);
                }
                String lo = cx.w.reg(RegClass.B32), hi = cx.w.reg(RegClass.B32);
                cx.w.op("mov.b64 {%s, %s}, %s", lo, hi, bits);
                return new String[] {lo, hi};
            }
            default -> {
                return new String[] {v};
            }
        }
    }

    private static String join(Lowerer cx, RegClass k, String[] words) {
        return switch (k) {
            case PRED -> Emit.toPred(cx, words[0]);
            case B64, F64 -> {
                String out = cx.w.reg(k);
                cx.w.op("mov.b64 %s, {%s, %s}", out, words[0], words[1]);
                yield out;
            }
            default -> words[0];
        };
    }

    private static String[] shuffled(Lowerer cx, RegClass k, String[] words, String lane) {
        String[] out = new String[words.length];
        for (int i = 0; i < words.length; i++) out[i] = Shuffles.shuffleIndexed(cx, wordClass(k), words[i], lane);
        return out;
    }

    /** The option the predicates pick: option m where predicate j is bit j of m (a tree of selp, one level per predicate). */
    private static String[] select(Lowerer cx, RegClass k, List<String[]> options, List<String> predicates) {
        List<String[]> level = options;
        RegClass w = wordClass(k);
        for (String p : predicates) {
            List<String[]> next = new ArrayList<>();
            for (int i = 0; i < level.size(); i += 2) {
                String[] lo = level.get(i), hi = level.get(i + 1), out = new String[lo.length];
                for (int j = 0; j < lo.length; j++) out[j] = Emit.select(cx, w, p, hi[j], lo[j]);
                next.add(out);
            }
            level = next;
        }
        return level.getFirst();
    }
}
