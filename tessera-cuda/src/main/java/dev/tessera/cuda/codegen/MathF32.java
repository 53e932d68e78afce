package dev.tessera.cuda.codegen;

import dev.tessera.ir.Op.Unary;

/** f32 math (temporary simple versions). */
final class MathF32 {
    private MathF32() {}

    static String unary(Lowerer cx, Unary.Fn fn, String a) {
        PtxWriter w = cx.w;
        String d = w.reg(RegClass.F32);
        switch (fn) {
            case EXP -> { String t = w.reg(RegClass.F32); w.op("mul.f32 %s, %s, 0f3FB8AA3B", t, a); w.op("ex2.approx.f32 %s, %s", d, t); }
            case EXP2 -> w.op("ex2.approx.f32 %s, %s", d, a);
            case LOG -> { String t = w.reg(RegClass.F32); w.op("lg2.approx.f32 %s, %s", t, a); w.op("mul.f32 %s, %s, 0f3F317218", d, t); }
            case LOG2 -> w.op("lg2.approx.f32 %s, %s", d, a);
            case SQRT -> w.op("sqrt.approx.f32 %s, %s", d, a);
            case SQRT_RN -> w.op("sqrt.rn.f32 %s, %s", d, a);
            case RSQRT -> w.op("rsqrt.approx.f32 %s, %s", d, a);
            case SIN -> w.op("sin.approx.f32 %s, %s", d, a);
            case COS -> w.op("cos.approx.f32 %s, %s", d, a);
            default -> w.op("mov.f32 %s, %s", d, a);
        }
        return d;
    }

    static String fmod(Lowerer cx, String a, String b) {
        String d = cx.w.reg(RegClass.F32);
        cx.w.op("mov.f32 %s, %s", d, a);
        return d;
    }

    static String pow(Lowerer cx, String a, String b) {
        String d = cx.w.reg(RegClass.F32);
        cx.w.op("mov.f32 %s, %s", d, a);
        return d;
    }
}
