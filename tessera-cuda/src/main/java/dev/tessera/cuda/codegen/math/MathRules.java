package dev.tessera.cuda.codegen.math;

import dev.tessera.cuda.codegen.Lowerer;
import dev.tessera.ir.Op.Unary;
import dev.tessera.types.DType;

/** Float math without libdevice: f32 (and narrow floats, computed in f32) in MathF32, f64 in MathF64. */
final class MathRules {
    private MathRules() {}

    static String unary(Lowerer cx, Unary.Fn fn, DType t, String a) {
        if (t == DType.F64) return MathF64.unary(cx, fn, a);
        // narrow floats take the exactly rounded square root, so their result matches the CPU's
        return MathF32.unary(cx, t.isNarrowFloat() && fn == Unary.Fn.SQRT ? Unary.Fn.SQRT_RN : fn, a);
    }

    static String fmod(Lowerer cx, DType t, String a, String b) {
        return t == DType.F64 ? MathF64.fmod(cx, a, b) : MathF32.fmod(cx, a, b);
    }

    static String pow(Lowerer cx, DType t, String a, String b) {
        return t == DType.F64 ? MathF64.pow(cx, a, b) : MathF32.pow(cx, a, b);
    }
}
