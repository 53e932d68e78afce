package dev.tessera.cuda.codegen.layout;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tessera.cuda.codegen.layout.ConversionPlan.Kind;
import dev.tessera.cuda.codegen.layout.ConversionPlan.Selection;
import dev.tessera.ir.Shape;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import org.junit.jupiter.api.Test;

/**
 * The conversion planner against brute force: its classification (rename, warp shuffle, shared
 * memory) and, for shuffles, a simulation of the protocol it prescribes (each lane sends a
 * register, each lane reads one lane of its warp, selections before or after) delivering every
 * target element.
 */
public class ConversionPlanTest {

    @Test
    void identicalLayoutsOnlyRename() {
        DistributedLayout l = Layouts.defaultLayout(Shape.of(64, 64), 4);
        ConversionPlan p = ConversionPlan.of(l, l);
        assertEquals(Kind.REGISTERS, p.kind());
        for (int r = 0; r < l.numRegs(); r++) assertEquals(r, p.baseRegister(r));
    }

    @Test
    void reorderedRegistersRename() {
        Shape s = Shape.of(8, 8);
        DistributedLayout a = new DistributedLayout(s, new int[] {1, 8}, new int[] {2, 4, 16, 32, 0}, new int[0]);
        DistributedLayout b = new DistributedLayout(s, new int[] {8, 1}, new int[] {2, 4, 16, 32, 0}, new int[0]);
        ConversionPlan p = ConversionPlan.of(a, b);
        assertEquals(Kind.REGISTERS, p.kind());
        assertArrayEquals(new int[] {0, 2, 1, 3}, new int[] {p.baseRegister(0), p.baseRegister(1), p.baseRegister(2), p.baseRegister(3)});
        assertTrue(a.convertsLocallyTo(b));
    }

    @Test
    void aLanePermutationIsOneShufflePerRegister() {
        // the lanes of one warp reversed in order: lane l holds element l in one, 31 - l in the other
        Shape s = Shape.of(32);
        DistributedLayout a = new DistributedLayout(s, new int[0], new int[] {1, 2, 4, 8, 16}, new int[] {0});
        DistributedLayout b = new DistributedLayout(s, new int[0], new int[] {16, 8, 4, 2, 1}, new int[] {0});
        ConversionPlan p = ConversionPlan.of(a, b);
        assertEquals(Kind.WARP_SHUFFLE, p.kind());
        assertEquals(Selection.NONE, p.selection());
        assertEquals(1, p.shufflesPerRegister());
        for (int lane = 0; lane < 32; lane++) assertEquals(Integer.reverse(lane) >>> 27, p.sourceLane(0, lane, 1));
        simulate(p);
    }

    @Test
    void aTransposeWithinAWarpShufflesEachCandidateRegister() {
        // 8x8 elements of one warp, two per thread: along the row in one layout, along the column in the
        // other; the two readers of a lane want its two different registers, so both are shuffled
        Shape s = Shape.of(8, 8);
        DistributedLayout rows = new DistributedLayout(s, new int[] {1}, new int[] {2, 4, 8, 16, 32}, new int[0]);
        DistributedLayout cols = new DistributedLayout(s, new int[] {8}, new int[] {1, 2, 4, 16, 32}, new int[0]);
        ConversionPlan p = ConversionPlan.of(rows, cols);
        assertEquals(Kind.WARP_SHUFFLE, p.kind());
        assertEquals(Selection.RECEIVER, p.selection());
        assertEquals(2, p.candidates());
        assertEquals(2, p.shufflesPerRegister());
        simulate(p);
        simulate(ConversionPlan.of(cols, rows));
    }

    @Test
    void copiesInTheSourceLetTheSenderChoose() {
        // the source (a reduction's result) holds each element in 8 lanes, 8 elements per thread; the
        // target spreads them one per lane. Readers of one lane would want different registers, but
        // the copies let them read different lanes, each sending the register its readers want
        Shape s = Shape.of(32);
        DistributedLayout reduced = new DistributedLayout(s, new int[] {4, 8, 16}, new int[] {0, 0, 0, 1, 2}, new int[0]);
        DistributedLayout spread = new DistributedLayout(s, new int[0], new int[] {1, 2, 4, 8, 16}, new int[0]);
        ConversionPlan p = ConversionPlan.of(reduced, spread);
        assertEquals(Kind.WARP_SHUFFLE, p.kind());
        assertEquals(Selection.SENDER, p.selection());
        assertEquals(8, p.candidates());
        assertEquals(1, p.shufflesPerRegister());
        simulate(p);
    }

    @Test
    void withoutCopiesTheReceiverChooses() {
        Shape s = Shape.of(64);
        DistributedLayout pairs = new DistributedLayout(s, new int[] {1}, new int[] {2, 4, 8, 16, 32}, new int[0]);
        DistributedLayout spread = new DistributedLayout(s, new int[] {32}, new int[] {1, 2, 4, 8, 16}, new int[0]);
        ConversionPlan p = ConversionPlan.of(pairs, spread);
        assertEquals(Selection.RECEIVER, p.selection());
        assertEquals(2, p.shufflesPerRegister());
        simulate(p);
    }

    @Test
    void aThreadPickingAmongItsOwnRegistersNeedsNoOtherLane() {
        // the source holds both elements of a pair in every lane of the pair; the target gives one to each
        Shape s = Shape.of(32);
        DistributedLayout both = new DistributedLayout(s, new int[] {1}, new int[] {0, 2, 4, 8, 16}, new int[0]);
        DistributedLayout one = new DistributedLayout(s, new int[0], new int[] {1, 2, 4, 8, 16}, new int[0]);
        ConversionPlan p = ConversionPlan.of(both, one);
        assertEquals(Kind.WARP_SHUFFLE, p.kind());
        assertTrue(p.lanesStay());
        assertEquals(0, p.laneConstant(0));
        assertEquals(Selection.SENDER, p.selection());
        for (int lane = 0; lane < 32; lane++) assertEquals(lane, p.sourceLane(0, lane, 0));
        simulate(p);
    }

    @Test
    void elementsInOtherWarpsGoThroughSharedMemory() {
        DistributedLayout a = Layouts.defaultLayout(Shape.of(128), 4);
        DistributedLayout b = new DistributedLayout(Shape.of(128), new int[0], new int[] {4, 8, 16, 32, 64}, new int[] {1, 2});
        assertEquals(Kind.SHARED, ConversionPlan.of(a, b).kind());
    }

    @Test
    void copiesInOtherWarpsAreNotNeeded() {
        // the source holds the whole 32-element tile in every warp: each warp reads its own copy
        DistributedLayout everywhere = Layouts.defaultLayout(Shape.of(32), 4);
        DistributedLayout split = new DistributedLayout(Shape.of(32), new int[0], new int[] {1, 2, 4, 0, 0}, new int[] {8, 16});
        assertEquals(0b11, everywhere.replicatedWarpMask());
        ConversionPlan p = ConversionPlan.of(everywhere, split);
        assertEquals(Kind.WARP_SHUFFLE, p.kind());
        simulate(p);
        assertEquals(Kind.SHARED, ConversionPlan.of(split, everywhere).kind());
    }

    // ------------------------------------------------------------------ against brute force

    @Provide
    Arbitrary<Long> seeds() { return Arbitraries.longs(); }

    @Property(tries = 500)
    void plansAgreeWithBruteForce(@ForAll("seeds") long seed) {
        Random rnd = new Random(seed);
        int numWarps = 1 << rnd.nextInt(3);
        Shape shape = randomShape(rnd);
        DistributedLayout a = randomLayout(rnd, shape, numWarps), b = randomLayout(rnd, shape, numWarps);
        ConversionPlan p = ConversionPlan.of(a, b);
        assertEquals(a.convertsLocallyTo(b), p.kind() == Kind.REGISTERS, p.toString());
        assertEquals(!everyElementInTheSameWarp(a, b), p.kind() == Kind.SHARED, p.toString());
        if (p.kind() == Kind.SHARED) return;
        for (int w = 0; w < numWarps; w++) {
            for (int lane = 0; lane < 32; lane++) {
                for (int r = 0; r < b.numRegs(); r++) {
                    assertEquals(b.element(r, lane, w), a.element(p.sourceRegister(r, lane, w), p.sourceLane(r, lane, w), w), p + " at r=" + r + " lane=" + lane + " warp=" + w);
                }
            }
        }
        // the protocol itself, where code generation would use it (a few shuffles per register)
        if (p.kind() == Kind.WARP_SHUFFLE && p.shufflesPerRegister() <= 8) simulate(p);
        if (p.kind() == Kind.REGISTERS) for (int r = 0; r < b.numRegs(); r++) assertEquals(a.localSource(b, r), p.baseRegister(r));
    }

    @Property(tries = 300)
    void blockedLayoutsOfOneWarpAlwaysShuffle(@ForAll("seeds") long seed) {
        Random rnd = new Random(seed);
        Shape shape = randomShape(rnd);
        DistributedLayout a = randomBlocked(rnd, shape), b = randomBlocked(rnd, shape);
        ConversionPlan p = ConversionPlan.of(a, b);
        assertFalse(p.kind() == Kind.SHARED, p.toString());
        if (p.kind() == Kind.WARP_SHUFFLE && p.shufflesPerRegister() <= 8) simulate(p);
    }

    private static boolean everyElementInTheSameWarp(DistributedLayout a, DistributedLayout b) {
        for (int w = 0; w < b.numWarps(); w++) {
            boolean[] held = new boolean[a.shape().numel()];
            for (int lane = 0; lane < 32; lane++) for (int r = 0; r < a.numRegs(); r++) held[a.element(r, lane, w)] = true;
            for (int lane = 0; lane < 32; lane++) for (int r = 0; r < b.numRegs(); r++) if (!held[b.element(r, lane, w)]) return false;
        }
        return true;
    }

    /**
     * Runs the shuffle protocol the plan prescribes on the source's elements and checks that each
     * thread receives the target's: per target register, every lane sends a register (chosen by
     * the sender, or one round per candidate), reads the lane the plan names, and the receiver
     * keeps its round.
     */
    static void simulate(ConversionPlan p) {
        DistributedLayout a = p.source(), b = p.target();
        int[] selection = p.selectionImage();
        List<Integer> rounds = new ArrayList<>();
        if (p.selection() == Selection.RECEIVER) {
            java.util.Set<Integer> span = new java.util.TreeSet<>(List.of(0));
            for (int v : selection) for (int x : List.copyOf(span)) span.add(x ^ v);
            rounds.addAll(span);
            assertEquals(p.shufflesPerRegister(), rounds.size());
        } else {
            rounds.add(0);
        }
        for (int w = 0; w < b.numWarps(); w++) {
            for (int r = 0; r < b.numRegs(); r++) {
                int[] received = new int[32];
                java.util.Arrays.fill(received, -1);
                for (int m : rounds) {
                    int[] sent = new int[32];
                    for (int lane = 0; lane < 32; lane++) {
                        int tid = lane | w << 5;
                        int register = p.baseRegister(r) ^ (p.selection() == Selection.SENDER ? image(selection, tid) : m);
                        sent[lane] = a.element(register, lane, w);
                    }
                    for (int lane = 0; lane < 32; lane++) {
                        int tid = lane | w << 5;
                        int from = image(p.laneOfThread(), tid) ^ p.laneConstant(r);
                        boolean keep = p.selection() != Selection.RECEIVER || image(selection, tid) == m;
                        if (keep) received[lane] = sent[from];
                    }
                }
                for (int lane = 0; lane < 32; lane++) assertEquals(b.element(r, lane, w), received[lane], p + ": warp " + w + " lane " + lane + " register " + r);
            }
        }
    }

    private static int image(int[] images, int tid) {
        int v = 0;
        for (int t = 0; t < images.length; t++) if ((tid >>> t & 1) != 0) v ^= images[t];
        return v;
    }

    // ------------------------------------------------------------------ random layouts

    public static Shape randomShape(Random rnd) {
        int rank = 1 + rnd.nextInt(3), bits = rnd.nextInt(10);
        int[] dims = new int[rank];
        java.util.Arrays.fill(dims, 1);
        for (int i = 0; i < bits; i++) dims[rnd.nextInt(rank)] *= 2;
        return Shape.of(dims);
    }

    /**
     * Any single-bit distributed layout covering the tile: the flat-index bits shuffled over
     * registers, lane slots and warp slots, the empty slots copies.
     */
    public static DistributedLayout randomLayout(Random rnd, Shape shape, int numWarps) {
        int n = Integer.numberOfTrailingZeros(shape.numel()), warpBits = Integer.numberOfTrailingZeros(numWarps);
        List<Integer> bits = new ArrayList<>();
        for (int i = 0; i < n; i++) bits.add(i);
        Collections.shuffle(bits, rnd);
        int lanes = Math.min(rnd.nextInt(6), n), warps = Math.min(rnd.nextInt(warpBits + 1), n - lanes);
        int[] lane = new int[5], warp = new int[warpBits];
        List<Integer> laneSlots = shuffled(rnd, 5), warpSlots = shuffled(rnd, warpBits);
        for (int i = 0; i < lanes; i++) lane[laneSlots.get(i)] = 1 << bits.get(i);
        for (int i = 0; i < warps; i++) warp[warpSlots.get(i)] = 1 << bits.get(lanes + i);
        int[] reg = bits.subList(lanes + warps, n).stream().mapToInt(b -> 1 << b).toArray();
        return new DistributedLayout(shape, reg, lane, warp);
    }

    private static List<Integer> shuffled(Random rnd, int n) {
        List<Integer> out = new ArrayList<>();
        for (int i = 0; i < n; i++) out.add(i);
        Collections.shuffle(out, rnd);
        return out;
    }

    /** A blocked layout of one warp, with random elements per thread and order. */
    static DistributedLayout randomBlocked(Random rnd, Shape shape) {
        int rank = shape.rank();
        int[] spt = new int[rank];
        for (int d = 0; d < rank; d++) spt[d] = 1 << rnd.nextInt(3);
        List<Integer> order = shuffled(rnd, rank);
        return Layouts.blocked(shape, spt, order.stream().mapToInt(Integer::intValue).toArray(), 1).linear(shape);
    }
}
