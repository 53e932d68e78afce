package dev.tessera.fuzz;

import static dev.tessera.lang.TL.*;

import dev.tessera.lang.Constexpr;
import dev.tessera.lang.Kernel;
import dev.tessera.lang.TensorDesc;
import dev.tessera.lang.Tile;
import dev.tessera.lang.Var;
import dev.tessera.types.DType;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

/**
 * The kernel every fuzz program runs in. Inputs: two f32 tensors and an i32 tensor of n elements
 * (the first also through a descriptor); outputs: an f32 and an i32 tensor of n elements and an i32
 * tensor of 16 atomic counters (the first 8 for atomics through pointers, the others through a
 * descriptor, for block adds: the two kinds never meet on one word). Each step
 * of the program draws from its own random stream, so leaving a step out keeps the others' choices.
 *
 * <p>Tiles are tagged exact when both backends must compute them bit for bit (IEEE add, mul,
 * comparisons, integer arithmetic, rounding of exact values, dots whose every partial sum is
 * exact); comparisons, floor and float-to-int conversions only take exact tiles, so an ulp of
 * difference in an approximate function never flips a branch into a large mismatch.
 */
public final class FuzzKernel {
    private FuzzKernel() {}

    public static final int ROWS = 8, COLS = 32, BLOCK = 256, COUNTERS = 8;

    /**
     * {@code blocksOfA} is a descriptor of {@code a} in blocks of [BLOCK], {@code counterBlock} one of
     * the second COUNTERS of {@code counters} in one block.
     */
    @Kernel
    static void run(Tile a, Tile b, Tile c, Tile outF, Tile outI, Tile counters, Tile n, TensorDesc blocksOfA, TensorDesc counterBlock,
                    @Constexpr FuzzProgram program) {
        new Builder(program, a, b, c, outF, outI, counters, n, blocksOfA, counterBlock).build();
    }

    /** A tile with whether both backends must agree on it exactly. */
    record Val(Tile t, boolean exact) {}

    private static final class Builder {
        final FuzzProgram p;
        final Tile a, b, c, outF, outI, counters, n;
        final TensorDesc blocksOfA, counterBlock;
        final List<Val> floats = new ArrayList<>(), ints = new ArrayList<>();
        Tile offsets, mask;

        Builder(FuzzProgram p, Tile a, Tile b, Tile c, Tile outF, Tile outI, Tile counters, Tile n, TensorDesc blocksOfA, TensorDesc counterBlock) {
            this.p = p;
            this.blocksOfA = blocksOfA;
            this.counterBlock = counterBlock;
            this.a = a;
            this.b = b;
            this.c = c;
            this.outF = outF;
            this.outI = outI;
            this.counters = counters;
            this.n = n;
        }

        void build() {
            if (p.twoDimensional()) {
                Tile rows = programId(0).mul(ROWS).add(arange(0, ROWS)).col();
                offsets = rows.mul(COLS).add(arange(0, COLS).row());
            } else {
                offsets = programId(0).mul(BLOCK).add(arange(0, BLOCK));
            }
            mask = offsets.lt(n);
            floats.add(new Val(load(a.add(offsets), mask, 0.5), true));
            floats.add(new Val(load(b.add(offsets), mask, -1.0), true));
            ints.add(new Val(load(c.add(offsets), mask, 3L), true));
            for (int s = 0; s < p.steps(); s++) {
                if (!p.skipped().get(s)) step(new SplittableRandom(p.seed() * 1_000_003L + s));
            }
            store(outF.add(offsets), floats.getLast().t(), mask);
            store(outI.add(offsets), ints.getLast().t(), mask);
        }

        private Val pick(List<Val> pool, SplittableRandom r) { return pool.get(r.nextInt(pool.size())); }

        private Val pickExact(List<Val> pool, SplittableRandom r) {
            List<Val> exact = pool.stream().filter(Val::exact).toList();
            return exact.get(r.nextInt(exact.size()));
        }

        private int axis(SplittableRandom r) { return p.twoDimensional() ? r.nextInt(2) : 0; }

        private void step(SplittableRandom r) {
            switch (r.nextInt(13)) {
                case 0 -> { // exact float arithmetic
                    Val x = pick(floats, r), y = pick(floats, r);
                    Tile t = switch (r.nextInt(5)) {
                        case 0 -> x.t().add(y.t());
                        case 1 -> x.t().sub(y.t());
                        case 2 -> x.t().mul(y.t());
                        case 3 -> maximum(x.t(), y.t());
                        default -> minimum(x.t(), y.t());
                    };
                    floats.add(new Val(t, x.exact() && y.exact()));
                }
                case 1 -> { // approximate math, on bounded arguments
                    Val x = pick(floats, r);
                    Tile bounded = clamp(x.t(), -8.0, 8.0);
                    Tile t = switch (r.nextInt(9)) {
                        case 0 -> exp(bounded);
                        case 1 -> log(abs(bounded).add(1.0));
                        // near 0, sqrt turns an absolute error e into sqrt(e): only exact values go in bare
                        case 2 -> sqrt(x.exact() ? abs(bounded) : abs(bounded).add(1.0));
                        case 3 -> tanh(bounded);
                        case 4 -> sigmoid(bounded);
                        case 5 -> sin(bounded);
                        case 6 -> cos(bounded);
                        case 7 -> erf(bounded);
                        default -> bounded.div(bounded.mul(bounded).add(1.0));
                    };
                    floats.add(new Val(t, false));
                }
                case 2 -> { // integer arithmetic, exact everywhere
                    Val x = pick(ints, r), y = pick(ints, r);
                    Tile t = switch (r.nextInt(8)) {
                        case 0 -> x.t().add(y.t());
                        case 1 -> x.t().sub(y.t());
                        case 2 -> x.t().mul(y.t());
                        case 3 -> x.t().and(y.t()).xor(x.t().or(y.t()));
                        case 4 -> x.t().shl(y.t().and(7));
                        case 5 -> x.t().shr(y.t().and(7));
                        case 6 -> x.t().div(abs(y.t()).rem(7).add(1));
                        default -> x.t().rem(abs(y.t()).rem(5).add(1));
                    };
                    ints.add(new Val(t, true));
                }
                case 3 -> { // comparison and selection on exact values
                    Val x = pickExact(floats, r), y = pickExact(floats, r);
                    Tile cond = r.nextBoolean() ? x.t().lt(y.t()) : pick(ints, r).t().and(1).eq(0);
                    Val f1 = pick(floats, r), f2 = pick(floats, r);
                    floats.add(new Val(where(cond, f1.t(), f2.t()), f1.exact() && f2.exact()));
                    ints.add(new Val(where(cond, pick(ints, r).t(), pick(ints, r).t()), true));
                }
                case 4 -> { // a reduction broadcast back over its axis
                    int axis = axis(r);
                    if (r.nextBoolean()) {
                        Val x = pick(floats, r);
                        Tile red = r.nextBoolean() ? max(x.t(), axis, true) : sum(x.t().mul(0.125), axis, true);
                        floats.add(new Val(x.t().sub(red), false));
                    } else {
                        Val x = pick(ints, r);
                        Tile red = r.nextBoolean() ? sum(x.t().and(255), axis, true) : min(x.t(), axis, true);
                        ints.add(new Val(x.t().add(red), true));
                    }
                }
                case 5 -> { // scans
                    int axis = axis(r);
                    if (r.nextBoolean()) floats.add(new Val(cumsum(pick(floats, r).t().mul(0.25), axis, r.nextBoolean()), false));
                    else ints.add(new Val(cumsum(pick(ints, r).t().and(1023), axis), true));
                }
                case 6 -> { // conversions
                    Val x = pickExact(floats, r);
                    switch (r.nextInt(4)) {
                        case 0 -> floats.add(new Val(x.t().to(F16).to(F32), true));
                        case 1 -> floats.add(new Val(x.t().to(BF16).to(F32), true));
                        case 2 -> ints.add(new Val(x.t().mul(16.0).to(I32), true));
                        default -> floats.add(new Val(pick(ints, r).t().to(F32), true));
                    }
                }
                case 7 -> { // a run-time loop carrying two values
                    Val x = pick(floats, r), y = pick(floats, r);
                    Val k = pick(ints, r);
                    Var acc = var(x.t()), cnt = var(k.t());
                    int trips = 1 + r.nextInt(4);
                    for (Tile i : range(0, trips)) {
                        acc.set(acc.get().mul(0.5).add(y.t()));
                        cnt.set(cnt.get().add(i));
                    }
                    floats.add(new Val(acc.get(), x.exact() && y.exact()));
                    ints.add(new Val(cnt.get(), true));
                }
                case 8 -> { // atomics: integer adds commute, so the counts are exact
                    Val x = pick(ints, r);
                    Tile slot = offsets.rem(COUNTERS);
                    atomicAdd(counters.add(slot), x.t().and(15), mask);
                }
                case 9 -> { // a run-time branch on a scalar
                    Val x = pick(floats, r), y = pick(floats, r);
                    Var v = var(x.t());
                    when(programId(0).rem(2).eq(0), () -> v.set(y.t().add(1.0)));
                    floats.add(new Val(v.get(), x.exact() && y.exact()));
                }
                case 10 -> { // masked reload of the inputs at shifted offsets, then (in a program with descriptors) a step through one
                    Tile shifted = offsets.add(r.nextInt(1, 5));
                    Tile m = shifted.lt(n).and(mask);
                    floats.add(new Val(load(a.add(shifted), m, 0.0), true));
                    ints.add(new Val(load(c.add(shifted), m, 0L), true));
                    if (p.descriptors()) descriptorStep(r);
                }
                case 11 -> dotStep(r);
                default -> { // floor of exact values
                    Val x = pickExact(floats, r);
                    floats.add(new Val(floor(x.t().mul(4.0)), true));
                }
            }
        }

        /**
         * Through tensor descriptors: the program's block of a (zeros past n, as a masked load with
         * 0); a run-time loop of 1 to 4 steps summing the blocks of this program and the next ones
         * (no store inside: on Hopper its blocks are copied ahead into slots); or an integer's low
         * bits summed eight lanes apart and added into the second counters as one block (integer
         * adds commute: exact, like the atomic step, whose counters are the first).
         */
        private void descriptorStep(SplittableRandom r) {
            Tile at = programId(0).mul(BLOCK);
            switch (r.nextInt(3)) {
                case 0 -> floats.add(new Val(asBlock(load(blocksOfA, at)), true));
                case 1 -> {
                    Var acc = var(zeros(F32, BLOCK));
                    int trips = 1 + r.nextInt(4);
                    for (Tile i : range(0, trips)) acc.set(acc.get().add(load(blocksOfA, at.add(i.mul(BLOCK)))));
                    floats.add(new Val(asBlock(acc.get()), true));
                }
                default -> {
                    Tile bits = where(mask, pick(ints, r).t().and(15), 0L).reshape(BLOCK / COUNTERS, COUNTERS);
                    atomicAdd(counterBlock, at(scalar(0)), sum(bits, 0));
                }
            }
        }

        /** A [BLOCK] tile in the program's shape. */
        private Tile asBlock(Tile t) { return p.twoDimensional() ? t.reshape(ROWS, COLS) : t; }

        /**
         * [m, k]·[k, n] with each of m, n, k from 16 to 128, in f16, bf16, f32 (tf32) or i8, with or
         * without an accumulator; or a run-time loop of 1 to 3 steps along K whose loads feed the
         * dot. Operands are loaded from the inputs at offsets wrapped into [0, n) or masked beyond
         * n; outside a loop a 16×16 operand may instead be a pool value reshaped. Float operands
         * are dyadic, multiples of 1/16 in [-2, 2], or raw. Dyadic dots are exact whatever the order
         * of additions, a tensor core's included: every partial sum of up to 384 products and an
         * accumulator is a multiple of 2^-8 below 2^11 (19 bits). Raw operands are rounded to the
         * dtype alike on both backends (f16 and bf16 to nearest even, tf32 ties away), so the
         * products are exact and only the order of f32 additions differs, as in sums: approximate.
         * i8 dots are exact.
         */
        private void dotStep(SplittableRandom r) {
            DType t = new DType[] {F16, BF16, F32, I8}[r.nextInt(4)];
            boolean loop = r.nextBoolean(), integer = t == I8, exact = integer || r.nextBoolean();
            boolean masked = r.nextInt(4) == 0, withAcc = r.nextBoolean();
            int m = 16 << r.nextInt(4), nn = 16 << r.nextInt(4), kk = 16 << r.nextInt(4), trips = loop ? 1 + r.nextInt(3) : 1;
            // row-major A [m, kk·trips], B [kk·trips, nn] and the accumulator [m, nn], at a shift from the program's block
            Tile rows = arange(0, m).col(), cols = arange(0, nn).row(), ks = arange(0, kk);
            Tile base = programId(0).mul(BLOCK).add(r.nextInt(1000));
            Tile aOff = base.add(rows.mul(kk * trips)).add(ks.row()), bOff = base.add(ks.col().mul(nn)).add(cols);
            Tile cOff = base.add(rows.mul(nn)).add(cols);
            Tile init = !withAcc ? zeros(integer ? I32 : F32, m, nn) : integer ? input(c, cOff, masked) : entries(input(a, cOff, masked), exact);
            Tile d;
            if (loop) {
                Var acc = var(init);
                for (Tile i : range(0, trips)) {
                    Tile x = operand(integer ? c : a, aOff.add(i.mul(kk)), masked, t, exact);
                    Tile y = operand(integer ? c : b, bOff.add(i.mul(kk * nn)), masked, t, exact);
                    acc.set(dot(x, y, acc.get()));
                }
                d = acc.get();
            } else {
                Tile x = m == 16 && kk == 16 && r.nextBoolean() ? pooled(r, t, exact) : operand(integer ? c : a, aOff, masked, t, exact);
                Tile y = kk == 16 && nn == 16 && r.nextBoolean() ? pooled(r, t, exact) : operand(integer ? c : b, bOff, masked, t, exact);
                d = withAcc ? dot(x, y, init) : dot(x, y);
            }
            // back to the block's shape: [m·nn / BLOCK, BLOCK], each group weighted (1, 2, ...) and summed, or the groups' maximum
            int groups = m * nn / BLOCK;
            Tile g = d.reshape(groups, BLOCK), w = arange(1, groups + 1).col();
            if (integer) {
                ints.add(new Val(blockShaped(sum(g.mul(w), 0)), true));
            } else if (exact) { // multiples of 2^-8 below 2^11: 256·d is an exact integer, and so is the weighted sum of those (i32 wraps alike)
                ints.add(new Val(blockShaped(sum(g.mul(256.0).to(I32).mul(w), 0)), true));
                floats.add(new Val(blockShaped(max(g, 0)), true));
            } else { // scaled to about 1, as sums are
                double spread = Math.sqrt(kk * trips) * Math.pow(groups, 1.5);
                floats.add(new Val(blockShaped(sum(g.mul(w), 0).mul(Math.scalb(1.0, -Math.getExponent(spread)))), false));
            }
        }

        /** The input's elements at the offsets, wrapped into [0, n) or masked (zeros) beyond it. */
        private Tile input(Tile src, Tile off, boolean masked) {
            return masked ? load(src.add(off), off.lt(n), 0L) : load(src.add(off.rem(n)));
        }

        /** f32 inputs made dyadic (multiples of 1/16 in [-2, 2]), or left as they are. */
        private static Tile entries(Tile x, boolean exact) { return exact ? floor(clamp(x, -2.0, 2.0).mul(16.0)).mul(0.0625) : x; }

        /** A dot operand of dtype t: i8 from the i32 input (wrapping), floats from an f32 input. */
        private Tile operand(Tile src, Tile off, boolean masked, DType t, boolean exact) {
            Tile x = input(src, off, masked);
            return t == I8 ? x.to(I8) : entries(x, exact).to(t);
        }

        /** A 16×16 operand from an exact pool value. */
        private Tile pooled(SplittableRandom r, DType t, boolean exact) {
            return t == I8 ? pick(ints, r).t().reshape(16, 16).to(I8) : entries(pickExact(floats, r).t().reshape(16, 16), exact).to(t);
        }

        private Tile blockShaped(Tile x) { return p.twoDimensional() ? x.reshape(ROWS, COLS) : x; }
    }
}
