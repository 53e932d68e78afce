package dev.tessera.cpu;

import dev.tessera.types.DType;
import dev.tessera.types.Numerics;

/** Brings freshly computed arrays back to their dtype: rounds narrow floats, wraps narrow integers. */
final class NarrowTypes {
    private NarrowTypes() {}

    /** A step that normalizes slot {@code r} after {@code core} computed it, or {@code core} itself. */
    static Step normalized(Step core, DType t, int r) {
        return switch (t) {
            case F16 -> f -> { core.run(f); roundF16(f.floats(r)); };
            case BF16 -> f -> { core.run(f); roundBf16(f.floats(r)); };
            case FP8E4M3, FP8E5M2 -> f -> { core.run(f); roundFloats(f.floats(r), t); };
            case I8, U8, I16, U16 -> f -> { core.run(f); wrap(f.ints(r), t); };
            default -> core;
        };
    }

    static void roundF16(float[] a) {
        for (int i = 0; i < a.length; i++) a[i] = Float.float16ToFloat(Float.floatToFloat16(a[i]));
    }

    static void roundBf16(float[] a) {
        for (int i = 0; i < a.length; i++) a[i] = Numerics.roundBf16(a[i]);
    }

    static void roundFloats(float[] a, DType t) {
        for (int i = 0; i < a.length; i++) a[i] = Numerics.round(a[i], t);
    }

    static void wrap(int[] a, DType t) {
        switch (t) {
            case I8 -> { for (int i = 0; i < a.length; i++) a[i] = (byte) a[i]; }
            case U8 -> { for (int i = 0; i < a.length; i++) a[i] &= 0xFF; }
            case I16 -> { for (int i = 0; i < a.length; i++) a[i] = (short) a[i]; }
            case U16 -> { for (int i = 0; i < a.length; i++) a[i] &= 0xFFFF; }
            default -> { }
        }
    }

    /** One value rounded or wrapped to {@code t}, held in the storage's Java type. */
    static float round(float v, DType t) { return t == DType.F32 ? v : Numerics.round(v, t); }
}
