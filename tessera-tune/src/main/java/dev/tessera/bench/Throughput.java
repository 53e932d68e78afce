package dev.tessera.bench;

/**
 * Converts work and time into rates. Decimal units throughout, as vendors quote them:
 * 1 GB/s = 10⁹ bytes per second, 1 TFLOP/s = 10¹² floating-point operations per second.
 */
public final class Throughput {

    private Throughput() {}

    /** GB/s for {@code bytes} moved (read + written) in {@code ms} milliseconds. */
    public static double gbps(double bytes, double ms) {
        return bytes / (positiveMs(ms) * 1e6);
    }

    /** TFLOP/s for {@code flops} operations in {@code ms} milliseconds. */
    public static double tflops(double flops, double ms) {
        return flops / (positiveMs(ms) * 1e9);
    }

    /** GFLOP/s for {@code flops} operations in {@code ms} milliseconds. */
    public static double gflops(double flops, double ms) {
        return flops / (positiveMs(ms) * 1e6);
    }

    /** FLOPs of a dense {@code m×k · k×n} matrix product: {@code 2·m·n·k} (one multiply and one add each). */
    public static double matmulFlops(long m, long n, long k) {
        return 2.0 * m * n * k;
    }

    /** Milliseconds needed to move {@code bytes} at {@code gbps} GB/s — the memory floor of a kernel. */
    public static double msAtGbps(double bytes, double gbps) {
        return bytes / (gbps * 1e6);
    }

    /** Milliseconds needed for {@code flops} at {@code tflops} TFLOP/s — the compute floor of a kernel. */
    public static double msAtTflops(double flops, double tflops) {
        return flops / (tflops * 1e9);
    }

    private static double positiveMs(double ms) {
        if (!(ms > 0) || Double.isInfinite(ms)) {
            throw new IllegalArgumentException("time must be a finite number of milliseconds > 0, got " + ms);
        }
        return ms;
    }
}
