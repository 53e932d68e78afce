package dev.tessera.cuda.codegen;

import dev.tessera.ir.Op.Unary;
import dev.tessera.types.DType;

/** Float math without libdevice (placeholder: filled in by MathF32 / MathF64). */
final class MathRules {
    private MathRules() {}

    static String unary(Lowerer cx, Unary.Fn fn, DType t, String a) {
        return t == DType.F64 ? MathF64.unary(cx, fn, a) : MathF32.unary(cx, fn, a);
    }

    static String fmod(Lowerer cx, DType t, String a, String b) {
        return t == DType.F64 ? MathF64.fmod(cx, a, b) : MathF32.fmod(cx, a, b);
    }

    static String pow(Lowerer cx, DType t, String a, String b) {
        return t == DType.F64 ? MathF64.pow(cx, a, b) : MathF32.pow(cx, a, b);
    }
}
