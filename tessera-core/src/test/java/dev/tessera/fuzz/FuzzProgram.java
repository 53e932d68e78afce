package dev.tessera.fuzz;

import java.util.BitSet;

/**
 * A random tile program, fully determined by its seed: the constexpr of {@link FuzzKernel}, which
 * builds the program while it is traced. Steps listed in {@code skipped} are left out (minimization
 * removes steps one by one while the mismatch persists).
 *
 * @param twoDimensional whether the block is [ROWS, COLS] instead of [BLOCK]
 */
public record FuzzProgram(long seed, int steps, boolean twoDimensional, BitSet skipped) {

    public static FuzzProgram of(long seed) {
        java.util.SplittableRandom r = new java.util.SplittableRandom(seed);
        return new FuzzProgram(seed, 4 + r.nextInt(12), r.nextBoolean(), new BitSet());
    }

    public FuzzProgram without(int step) {
        BitSet s = (BitSet) skipped.clone();
        s.set(step);
        return new FuzzProgram(seed, steps, twoDimensional, s);
    }

    /** Java source of a regression test case that replays this program. */
    public String replay() {
        return "new FuzzProgram(" + seed + "L, " + steps + ", " + twoDimensional + ", BitSet.valueOf(new long[] {"
                + String.join(", ", java.util.Arrays.stream(skipped.toLongArray()).mapToObj(l -> l + "L").toList()) + "}))";
    }
}
