package dev.tessera.fuzz;

import java.util.BitSet;

/**
 * A random tile program, fully determined by its seed: the constexpr of {@link FuzzKernel}, which
 * builds the program while it is traced. Steps listed in {@code skipped} are left out (minimization
 * removes steps one by one while the mismatch persists).
 *
 * @param twoDimensional whether the block is [ROWS, COLS] instead of [BLOCK]
 * @param descriptors    whether some steps also read and add through tensor descriptors (drawn
 *                       after the other fields; a program without them is what its seed gave before)
 */
public record FuzzProgram(long seed, int steps, boolean twoDimensional, BitSet skipped, boolean descriptors) {

    /** A program replayed from before descriptor steps: none. */
    public FuzzProgram(long seed, int steps, boolean twoDimensional, BitSet skipped) { this(seed, steps, twoDimensional, skipped, false); }

    public static FuzzProgram of(long seed) {
        java.util.SplittableRandom r = new java.util.SplittableRandom(seed);
        int steps = 4 + r.nextInt(12);
        boolean twoDimensional = r.nextBoolean();
        return new FuzzProgram(seed, steps, twoDimensional, new BitSet(), r.nextBoolean());
    }

    public FuzzProgram without(int step) {
        BitSet s = (BitSet) skipped.clone();
        s.set(step);
        return new FuzzProgram(seed, steps, twoDimensional, s, descriptors);
    }

    /** Java source of a regression test case that replays this program. */
    public String replay() {
        return "new FuzzProgram(" + seed + "L, " + steps + ", " + twoDimensional + ", BitSet.valueOf(new long[] {"
                + String.join(", ", java.util.Arrays.stream(skipped.toLongArray()).mapToObj(l -> l + "L").toList()) + "}), " + descriptors + ")";
    }
}
