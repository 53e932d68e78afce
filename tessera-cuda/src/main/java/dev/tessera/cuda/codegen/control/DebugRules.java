package dev.tessera.cuda.codegen.control;

import dev.tessera.cuda.codegen.Emit;
import dev.tessera.cuda.codegen.Lowerer;
import dev.tessera.cuda.codegen.PtxWriter;
import dev.tessera.cuda.codegen.RegClass;
import dev.tessera.cuda.codegen.TileValue;
import dev.tessera.cuda.codegen.layout.DistributedLayout;
import dev.tessera.ir.Loc;
import dev.tessera.ir.Op.Assert;
import dev.tessera.ir.Op.Print;
import dev.tessera.ir.Value;
import dev.tessera.types.DType;
import java.nio.charset.StandardCharsets;

/**
 * Device assertions and device printing. A GPU has no cheap way to stop the host, so a failing
 * thread records (site, program id, element, thread) in a small error buffer passed as a hidden
 * parameter, and exits; the host checks the buffer when it synchronizes. Printing calls the
 * driver's {@code vprintf}, one line per element, from one thread per element.
 */
public final class DebugRules {
    private DebugRules() {}

    public static final String ERROR_PARAM = "tessera_error", KERNEL_ID_PARAM = "tessera_kernel_id";

    public static void deviceAssert(Assert a, Lowerer cx) {
        TileValue c = cx.primary(a.condition());
        PtxWriter w = cx.w;
        String all = c.reg(0);
        for (int r = 1; r < c.size(); r++) {
            if (c.reg(r).equals(c.reg(r - 1))) continue;
            String t = w.reg(RegClass.PRED);
            w.op("and.pred %s, %s, %s", t, all, c.reg(r));
            all = t;
        }
        String fail = w.label("assert_failed");
        w.op("@!%s bra %s", all, fail);
        int site = cx.debug.add(a.loc(), "device assertion failed: " + a.message(), true);
        DistributedLayout l = c.layout();
        w.inCold(() -> {
            w.place(fail);
            // the first failing element this thread holds
            String offset = l.threadMask() == 0 ? null : cx.threadOffset(l);
            String index = w.reg(RegClass.B32);
            w.op("mov.u32 %s, 0", index);
            for (int r = c.size() - 1; r >= 0; r--) {
                String e = w.reg(RegClass.B32);
                if (offset == null) w.op("mov.u32 %s, %d", e, l.regPart(r));
                else w.op("or.b32 %s, %s, %d", e, offset, l.regPart(r));
                w.op("selp.b32 %s, %s, %s, %s", index, index, e, c.reg(r));
            }
            record(cx, site, index);
            return null;
        });
    }

    /** Stops the program with {@code message} unless {@code setp a, 0} holds for the scalar {@code a}. */
    static void check(Lowerer cx, String setp, String a, String message, Loc loc) {
        PtxWriter w = cx.w;
        String ok = w.reg(RegClass.PRED);
        w.op("%s %s, %s, 0", setp, ok, a);
        String fail = w.label("check_failed");
        w.op("@!%s bra %s", ok, fail);
        int site = cx.debug.add(loc, message, false);
        w.inCold(() -> {
            w.place(fail);
            String zero = w.reg(RegClass.B32);
            w.op("mov.u32 %s, 0", zero);
            record(cx, site, zero);
            return null;
        });
    }

    private static void record(Lowerer cx, int site, String index) {
        PtxWriter w = cx.w;
        String err = cx.errorBuffer(), kid = cx.kernelId();
        String old = w.reg(RegClass.B32), first = w.reg(RegClass.PRED);
        w.op("atom.global.cas.b32 %s, [%s], 0, %d", old, err, site + 1);
        w.op("setp.eq.u32 %s, %s, 0", first, old);
        String[] specials = {"%ctaid.x", "%ctaid.y", "%ctaid.z"};
        for (int i = 0; i < 3; i++) {
            String r = w.reg(RegClass.B32);
            w.op("mov.u32 %s, %s", r, specials[i]);
            w.op("@%s st.global.u32 [%s+%d], %s", first, err, 4 * (i + 1), r);
        }
        w.op("@%s st.global.u32 [%s+16], %s", first, err, index);
        w.op("@%s st.global.u32 [%s+20], %s", first, err, cx.tid());
        w.op("@%s st.global.u32 [%s+24], %s", first, err, kid);
        w.op("membar.sys");
        w.op("exit");
    }

    // ------------------------------------------------------------------ printing

    public static void print(Print p, Lowerer cx) {
        PtxWriter w = cx.w;
        String buffer = cx.printBuffer();
        for (Value v : p.values()) {
            TileValue t = cx.primary(v);
            String fmt = cx.printFormat("pid (%u, %u, %u) idx (%u) " + p.prefix().replace("%", "%%") + spec(v, p.hex()) + "\n");
            DistributedLayout l = t.layout();
            String owner = cx.owner(l);
            String offset = l.threadMask() == 0 ? null : cx.threadOffset(l);
            for (int r = 0; r < t.size(); r++) {
                String skip = w.label("print_skip");
                if (owner != null) w.op("@!%s bra %s", owner, skip);
                String[] specials = {"%ctaid.x", "%ctaid.y", "%ctaid.z"};
                for (int i = 0; i < 3; i++) {
                    String s = w.reg(RegClass.B32);
                    w.op("mov.u32 %s, %s", s, specials[i]);
                    w.op("st.local.u32 [%s+%d], %s", buffer, 4 * i, s);
                }
                String e = w.reg(RegClass.B32);
                if (offset == null) w.op("mov.u32 %s, %d", e, l.regPart(r));
                else w.op("or.b32 %s, %s, %d", e, offset, l.regPart(r));
                w.op("st.local.u32 [%s+12], %s", buffer, e);
                storeValue(cx, v, t.reg(r), buffer);
                String f = w.reg(RegClass.B64), gen = w.reg(RegClass.B64);
                w.op("mov.u64 %s, %s", f, fmt);
                w.op("cvta.global.u64 %s, %s", f, f);
                w.op("cvta.local.u64 %s, %s", gen, buffer);
                w.raw("{");
                w.raw("\t.param .b64 param0;");
                w.op("st.param.b64 [param0], %s", f);
                w.raw("\t.param .b64 param1;");
                w.op("st.param.b64 [param1], %s", gen);
                w.raw("\t.param .b32 retval0;");
                w.op("call (retval0), vprintf, (param0, param1)");
                w.raw("}");
                w.place(skip);
            }
        }
    }

    private static String spec(Value v, boolean hex) {
        if (v.type().isPointer()) return "0x%llx";
        DType t = v.type().dtype();
        if (t.isFloat()) return "%f";
        if (t.bits() == 64) return hex ? "0x%llx" : t.isUnsigned() ? "%llu" : "%lld";
        return hex ? "0x%x" : t.isUnsigned() ? "%u" : "%d";
    }

    private static void storeValue(Lowerer cx, Value v, String reg, String buffer) {
        PtxWriter w = cx.w;
        RegClass k = RegClass.of(v.type().element());
        switch (k) {
            case F32 -> {
                String d = w.reg(RegClass.F64);
                w.op("cvt.f64.f32 %s, %s", d, reg);
                w.op("st.local.f64 [%s+16], %s", buffer, d);
            }
            case F64 -> w.op("st.local.f64 [%s+16], %s", buffer, reg);
            case B64 -> w.op("st.local.u64 [%s+16], %s", buffer, reg);
            case PRED -> w.op("st.local.u32 [%s+16], %s", buffer, Emit.fromPred(cx, reg));
            default -> w.op("st.local.u32 [%s+16], %s", buffer, reg);
        }
    }

    /** The bytes of a C string as a PTX initializer. */
    public static String bytes(String s) {
        byte[] b = s.getBytes(StandardCharsets.UTF_8);
        StringBuilder out = new StringBuilder();
        for (byte x : b) out.append(x & 0xFF).append(", ");
        return out.append('0').toString();
    }
}
