package dev.tessera.testing;

import dev.tessera.types.DType;

/**
 * How close a result must be to its float64 reference: a bound on ‖out − ref‖ / ‖ref‖ and an
 * elementwise bound |out − ref| ≤ atol + rtol·|ref|. NaN never passes unless the reference is NaN.
 */
public record Tolerance(double relativeNorm, double atol, double rtol) {
    public static final Tolerance EXACT = new Tolerance(0, 0, 0);

    /** The default for results computed in {@code t} (f32 ~1e-5, tf32 ~1e-3, f16/bf16 ~1e-2). */
    public static Tolerance of(DType t) {
        return switch (t) {
            case F64 -> new Tolerance(1e-12, 1e-12, 1e-12);
            case F32 -> new Tolerance(1e-5, 1e-5, 1e-5);
            case F16 -> new Tolerance(2e-3, 2e-3, 2e-3);
            case BF16 -> new Tolerance(1e-2, 1e-2, 1e-2);
            case FP8E4M3 -> new Tolerance(7e-2, 7e-2, 7e-2);
            case FP8E5M2 -> new Tolerance(1.3e-1, 1.3e-1, 1.3e-1);
            default -> EXACT;
        };
    }

    /** tf32 inputs (the default precision of f32 dot). */
    public static final Tolerance TF32 = new Tolerance(1e-3, 2e-3, 2e-3);

    public Tolerance scaled(double factor) { return new Tolerance(relativeNorm * factor, atol * factor, rtol * factor); }
}
