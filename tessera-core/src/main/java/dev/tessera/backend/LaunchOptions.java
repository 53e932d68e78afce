package dev.tessera.backend;

/**
 * How a kernel is compiled beyond its trace: warps per program and software-pipelining depth
 * (Triton's num_warps and num_stages; the CPU backend ignores both).
 */
public record LaunchOptions(int numWarps, int numStages) {
    public static final LaunchOptions DEFAULT = new LaunchOptions(4, 3);

    public LaunchOptions {
        if (numWarps < 1 || Integer.bitCount(numWarps) != 1 || numWarps > 32) {
            throw new IllegalArgumentException("numWarps must be a power of 2 from 1 to 32, got " + numWarps);
        }
        if (numStages < 1) throw new IllegalArgumentException("numStages must be at least 1, got " + numStages);
    }

    @Override
    public String toString() { return "warps=" + numWarps + ",stages=" + numStages; }
}
