package dev.tessera.cuda.codegen;

import dev.tessera.ir.Op.Unary;

/** f64 math (temporary simple versions). */
final class MathF64 {
    private MathF64() {}

    static String unary(Lowerer cx, Unary.Fn fn, String a) {
        PtxWriter w = cx.w;
        String d = w.reg(RegClass.F64);
        w.op("mov.f64 %s, %s", d, a);
        return d;
    }

    static String fmod(Lowerer cx, String a, String b) {
        String d = cx.w.reg(RegClass.F64);
        cx.w.op("mov.f64 %s, %s", d, a);
        return d;
    }

    static String pow(Lowerer cx, String a, String b) {
        String d = cx.w.reg(RegClass.F64);
        cx.w.op("mov.f64 %s, %s", d, a);
        return d;
    }
}
