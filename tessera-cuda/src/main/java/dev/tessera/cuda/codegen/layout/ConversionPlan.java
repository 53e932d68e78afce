package dev.tessera.cuda.codegen.layout;

import dev.tessera.ir.Shape;
import java.util.Arrays;
import java.util.List;

/**
 * How to move a tile from one distributed layout to another of the same shape, decided with the
 * linear algebra of {@link LinearLayout}.
 *
 * <p>The question is, for each thread and each register of the target, which thread and register
 * of the source hold its element. Asked relative to the thread, it is linear: with {@code S} and
 * {@code T} the layouts as maps from (register, lane, warp) to the tile, the target's element of
 * register {@code r'} in thread {@code (l, w)} is found at source register {@code r}, lane
 * {@code l ^ dl}, warp {@code w ^ dw} where {@code S(r, dl, dw) = T(r', l, w) ^ S(0, l, w)}. The
 * right side is a layout {@code D} (the target's register bases, and lane and warp bases XORed
 * with the source's), so {@code D.invertAndCompose(S)} gives {@code (r, dl, dw)} as a linear map
 * of {@code (r', l, w)}. The source's inputs are ordered warp, lane, register for that solve, so
 * that among equivalent sources (copies) the smallest preimage stays in the same warp, then in
 * the same lane, whenever the data allow.
 *
 * <ul>
 *   <li>{@link Kind#REGISTERS}: {@code dl = dw = 0} and {@code r} depends on {@code r'} only:
 *       every thread holds what it needs, the conversion renames registers.
 *   <li>{@link Kind#WARP_SHUFFLE}: {@code dw = 0}: every element comes from the same warp, one
 *       {@code shfl.sync.idx} (per 32-bit word) per target register brings it. The source lane is
 *       {@code laneOfThread(tid) ^ laneConstant(r')}, a thread part computed once and a constant
 *       per register; the source register is {@code baseRegister(r')}, XOR a thread-dependent part
 *       when the source keeps the wanted elements of different lanes in different registers. That
 *       part is chosen by the sending lane before the shuffle when all readers of a lane want the
 *       same register ({@link Selection#SENDER}: one shuffle, then nothing), otherwise by the
 *       receiving lane after one shuffle of each candidate register ({@link Selection#RECEIVER}).
 *   <li>{@link Kind#SHARED}: some element must come from another warp: through shared memory.
 * </ul>
 *
 * <p>Thread-dependent parts are given per bit of the thread index {@code tid = 32 * warp + lane}
 * (bits 0-4 the lane, 5 and up the warp): a part is the XOR of the images of the set bits.
 */
public final class ConversionPlan {

    public enum Kind { REGISTERS, WARP_SHUFFLE, SHARED }

    /** Who picks the source register when it depends on the thread (see the class comment). */
    public enum Selection { NONE, SENDER, RECEIVER }

    private final Kind kind;
    private final DistributedLayout source, target;
    private final int[] laneOfThread, laneConstant, baseRegister, selectionImage;
    private final Selection selection;
    /** The receiver-relative map: target register, lane, warp to source register, lane and warp. */
    private final int[] registerOfThread;

    private ConversionPlan(Kind kind, DistributedLayout source, DistributedLayout target, int[] laneOfThread, int[] laneConstant, int[] baseRegister,
            int[] registerOfThread, Selection selection, int[] selectionImage) {
        this.kind = kind;
        this.source = source;
        this.target = target;
        this.laneOfThread = laneOfThread;
        this.laneConstant = laneConstant;
        this.baseRegister = baseRegister;
        this.registerOfThread = registerOfThread;
        this.selection = selection;
        this.selectionImage = selectionImage;
    }

    /** The plan for converting {@code source} to {@code target} (the same shape and number of warps). */
    public static ConversionPlan of(DistributedLayout source, DistributedLayout target) {
        if (!source.shape().equals(target.shape())) throw new IllegalArgumentException("convert " + source + " to " + target + ": different shapes");
        int warpBits = target.warpBits(), threadBits = 5 + warpBits;
        if (source.warpBits() != warpBits) {
            return new ConversionPlan(Kind.SHARED, source, target, new int[0], new int[0], new int[0], new int[0], Selection.NONE, new int[0]);
        }
        LinearLayout relative = relativeTarget(source, target).invertAndCompose(
                source.toLinear().transposeIns(List.of(LinearLayout.WARP, LinearLayout.LANE, LinearLayout.REGISTER)));
        // relative: (register, lane, warp) of the target -> (warp, dl, r) of the source
        int[] laneOfThread = new int[threadBits], registerOfThread = new int[threadBits];
        boolean crossesWarps = false;
        for (int t = 0; t < threadBits; t++) {
            int[] at = t < 5 ? relative.apply(0, 1 << t, 0) : relative.apply(0, 0, 1 << (t - 5));
            crossesWarps |= at[0] != 0;
            laneOfThread[t] = at[1] ^ (t < 5 ? 1 << t : 0);
            registerOfThread[t] = at[2];
        }
        int n = target.numRegs();
        int[] laneConstant = new int[n], baseRegister = new int[n];
        for (int r = 0; r < n; r++) {
            int[] at = relative.apply(r, 0, 0);
            crossesWarps |= at[0] != 0;
            laneConstant[r] = at[1];
            baseRegister[r] = at[2];
        }
        if (crossesWarps) {
            return new ConversionPlan(Kind.SHARED, source, target, new int[0], new int[0], new int[0], new int[0], Selection.NONE, new int[0]);
        }
        boolean stays = Arrays.stream(laneConstant).allMatch(c -> c == 0) && Arrays.stream(registerOfThread).allMatch(c -> c == 0);
        for (int t = 0; t < threadBits; t++) stays &= laneOfThread[t] == (t < 5 ? 1 << t : 0);
        if (stays) return new ConversionPlan(Kind.REGISTERS, source, target, laneOfThread, laneConstant, baseRegister, registerOfThread, Selection.NONE, new int[threadBits]);
        if (Arrays.stream(registerOfThread).allMatch(c -> c == 0)) {
            return new ConversionPlan(Kind.WARP_SHUFFLE, source, target, laneOfThread, laneConstant, baseRegister, registerOfThread, Selection.NONE, new int[threadBits]);
        }
        SenderChoice byTheSender = SenderChoice.of(laneOfThread, registerOfThread, warpBits, source.replicatedLaneMask());
        if (byTheSender == null) {
            return new ConversionPlan(Kind.WARP_SHUFFLE, source, target, laneOfThread, laneConstant, baseRegister, registerOfThread, Selection.RECEIVER, registerOfThread);
        }
        int[] base = new int[n];
        for (int r = 0; r < n; r++) base[r] = baseRegister[r] ^ byTheSender.apply(laneConstant[r]);
        return new ConversionPlan(Kind.WARP_SHUFFLE, source, target, byTheSender.laneOfThread(), laneConstant, base, registerOfThread, Selection.SENDER,
                byTheSender.image());
    }

    /** {@code D}: the target's register bases, its lane and warp bases XORed with the source's (both as tile coordinates). */
    private static LinearLayout relativeTarget(DistributedLayout source, DistributedLayout target) {
        int[] reg = new int[target.regBits()], lane = new int[5], warp = new int[target.warpBits()];
        for (int i = 0; i < reg.length; i++) reg[i] = target.regBasis(i);
        for (int i = 0; i < 5; i++) lane[i] = target.laneBasis(i) ^ source.laneBasis(i);
        for (int i = 0; i < warp.length; i++) warp[i] = target.warpBasis(i) ^ source.warpBasis(i);
        Shape shape = target.shape();
        LinearLayout.Builder b = LinearLayout.builder().in(LinearLayout.REGISTER, coordinates(shape, reg)).in(LinearLayout.LANE, coordinates(shape, lane))
                .in(LinearLayout.WARP, coordinates(shape, warp));
        for (int d = 0; d < shape.rank(); d++) b.out(LinearLayout.dim(d), shape.dim(d));
        return b.build();
    }

    private static int[][] coordinates(Shape shape, int[] flat) {
        int[][] out = new int[flat.length][shape.rank()];
        for (int i = 0; i < flat.length; i++) for (int d = 0; d < shape.rank(); d++) out[i][d] = DistributedLayout.coordinate(shape, d, flat[i]);
        return out;
    }

    /**
     * The register choice made by the sending lane: a linear {@code F} from the sender's thread
     * index to a register XOR with {@code F(senderOf(x)) = R(x)} for every receiver {@code x},
     * where {@code senderOf} is the thread part of the source lane (with the warp kept). It exists
     * when receivers that read the same sender want the same register: when {@code R} vanishes
     * wherever {@code senderOf} does. Where it does not, a source lane bit that only selects among
     * copies ({@code freeLanes}: zero in the source) may be flipped for the receivers of one
     * register and not the other, which keeps the data and tells the senders apart; these
     * adjustments come back in {@code laneOfThread}. Outside the senders' span {@code F} is
     * extended by zero.
     */
    private record SenderChoice(int[] image, int[] laneOfThread) {
        static SenderChoice of(int[] laneOfThread, int[] registerOfThread, int warpBits, int freeLanes) {
            int bits = 5 + warpBits;
            int[] vector = new int[bits], value = new int[bits], lanes = laneOfThread.clone();
            for (int t = 0; t < bits; t++) {
                int sender = laneOfThread[t] | (t < 5 ? 0 : 1 << t);
                if (!insert(vector, value, sender, registerOfThread[t])) {
                    int adjustment = independentLane(vector, freeLanes);
                    if (adjustment == 0) return null;
                    lanes[t] ^= adjustment;
                    insert(vector, value, sender ^ adjustment, registerOfThread[t]);
                }
            }
            int[] image = new int[bits];
            for (int t = 0; t < bits; t++) image[t] = evaluate(vector, value, 1 << t);
            return new SenderChoice(image, lanes);
        }

        /** Adds the pair (sender, register); false if the sender is a combination of earlier ones whose registers differ from this one's. */
        private static boolean insert(int[] vector, int[] value, int v, int f) {
            while (v != 0) {
                int top = 31 - Integer.numberOfLeadingZeros(v);
                if (vector[top] == 0) {
                    vector[top] = v;
                    value[top] = f;
                    return true;
                }
                v ^= vector[top];
                f ^= value[top];
            }
            return f == 0;
        }

        /** A copy-selecting lane bit outside the span so far, or 0. */
        private static int independentLane(int[] vector, int freeLanes) {
            for (int j = 0; j < 5; j++) {
                if ((freeLanes >>> j & 1) == 0) continue;
                int v = 1 << j;
                while (v != 0 && vector[31 - Integer.numberOfLeadingZeros(v)] != 0) v ^= vector[31 - Integer.numberOfLeadingZeros(v)];
                if (v != 0) return 1 << j;
            }
            return 0;
        }

        /** F of {@code v}: reduced by the basis, with unit vectors the basis lacks worth zero. */
        private static int evaluate(int[] vector, int[] value, int v) {
            int f = 0;
            while (v != 0) {
                int top = 31 - Integer.numberOfLeadingZeros(v);
                if (vector[top] == 0) {
                    v &= ~(1 << top);
                } else {
                    v ^= vector[top];
                    f ^= value[top];
                }
            }
            return f;
        }

        int apply(int tid) {
            int f = 0;
            for (int t = 0; t < image.length; t++) if ((tid >>> t & 1) != 0) f ^= image[t];
            return f;
        }
    }

    // ------------------------------------------------------------------ the plan

    public Kind kind() { return kind; }

    public DistributedLayout source() { return source; }

    public DistributedLayout target() { return target; }

    /**
     * Per bit of the thread index, its image in the source lane's thread part (REGISTERS and
     * WARP_SHUFFLE): the lane a thread reads is the XOR of the images of its set bits, XOR
     * {@link #laneConstant(int)}.
     */
    public int[] laneOfThread() { return laneOfThread.clone(); }

    /** Whether the thread part of the source lane is the thread's own lane (the lanes themselves do not move). */
    public boolean lanesStay() {
        for (int t = 0; t < laneOfThread.length; t++) if (laneOfThread[t] != (t < 5 ? 1 << t : 0)) return false;
        return true;
    }

    /** The compile-time part of the source lane of target register {@code r}. */
    public int laneConstant(int r) { return laneConstant[r]; }

    /**
     * The source register of target register {@code r} when the selecting thread's index is zero:
     * with {@link Selection#SENDER} the register a sending lane sends is this XOR the image of its
     * own index under {@link #selectionImage()}; with {@link Selection#RECEIVER} the register a
     * receiving lane wants is this XOR the image of the receiver's index.
     */
    public int baseRegister(int r) { return baseRegister[r]; }

    public Selection selection() { return selection; }

    /** Per bit of the selecting thread's index, its XOR into the register (zeros when there is no selection). */
    public int[] selectionImage() { return selectionImage.clone(); }

    /** The number of distinct registers a selection chooses among: 2^(rank of the selection image). */
    public int candidates() {
        int[] basis = new int[32];
        int rank = 0;
        for (int v : selectionImage) {
            while (v != 0) {
                int top = 31 - Integer.numberOfLeadingZeros(v);
                if (basis[top] == 0) {
                    basis[top] = v;
                    rank++;
                    break;
                }
                v ^= basis[top];
            }
        }
        return 1 << rank;
    }

    /** Shuffles per target register and 32-bit word: one, or one per candidate when the receiver selects. */
    public int shufflesPerRegister() { return selection == Selection.RECEIVER ? candidates() : 1; }

    /** The lane that thread (lane, warp) reads target register {@code r}'s element from (same warp). */
    public int sourceLane(int r, int lane, int warp) {
        requireMoves();
        return imageOf(laneOfThread, lane | warp << 5) ^ laneConstant[r];
    }

    /** The source register holding target register {@code r}'s element for thread (lane, warp), in lane {@link #sourceLane}. */
    public int sourceRegister(int r, int lane, int warp) {
        requireMoves();
        return selection == Selection.SENDER ? baseRegister[r] ^ imageOf(selectionImage, sourceLane(r, lane, warp) | warp << 5)
                : baseRegister[r] ^ imageOf(registerOfThread, lane | warp << 5);
    }

    private void requireMoves() {
        if (kind == Kind.SHARED) throw new IllegalStateException("a conversion through shared memory has no register sources: " + this);
    }

    private static int imageOf(int[] images, int tid) {
        int v = 0;
        for (int t = 0; t < images.length; t++) if ((tid >>> t & 1) != 0) v ^= images[t];
        return v;
    }

    @Override
    public String toString() {
        return kind + (kind == Kind.SHARED ? "" : " lanes=" + Arrays.toString(laneOfThread) + "^" + Arrays.toString(laneConstant) + " registers="
                + Arrays.toString(baseRegister) + (selection == Selection.NONE ? "" : " " + selection + "-selected " + Arrays.toString(selectionImage)))
                + ": " + source + " -> " + target;
    }
}
