package dev.tessera.cuda.codegen;

import dev.tessera.passes.AxisInfo;
import dev.tessera.cuda.codegen.layout.LinearLayout;
import dev.tessera.ir.MemoryOrder;
import dev.tessera.ir.Op.Load;
import dev.tessera.ir.Op.Store;
import dev.tessera.ir.Value;
import dev.tessera.types.DType;

/**
 * Lowering of global loads and stores. Each run of consecutive registers that AxisInfo proves
 * contiguous, aligned and equally masked moves as one access of up to 16 bytes
 * ({@code ld.global.v4.b32}); masked-off lanes of a load keep the value set before it ({@code other},
 * or 0), masked-off stores are predicated away, and only one thread of each group holding copies
 * of an element stores it.
 */
final class MemoryRules {
    private MemoryRules() {}

    static TileValue load(Load l, LinearLayout out, Lowerer cx) {
        TileValue ptr = cx.operand(l, l.pointer());
        TileValue mask = l.mask() == null ? null : cx.operand(l, l.mask());
        TileValue other = l.other() == null ? null : cx.operand(l, l.other());
        DType t = l.result().type().dtype();
        int vec = vector(cx, l.pointer(), l.mask(), out);
        TileValue result = cx.fresh(out, t);
        String qualifiers = l.isVolatile() ? ".volatile" : cacheQualifier(l.cache(), l.eviction(), true);
        // A volatile location may change between the loads of the threads holding copies of an
        // element (a scalar: every thread), and copies must agree (branches on scalars must not
        // diverge): one thread loads, and shares what it read.
        String owner = l.isVolatile() ? cx.owner(out) : null;
        for (int g = 0; g < out.numRegs(); g += vec) {
            String pred = mask == null ? owner : owner == null ? mask.reg(g) : and(cx, mask.reg(g), owner);
            loadGroup(cx, t, ptr.reg(g), pred, owner != null ? null : other, result, g, vec, qualifiers);
        }
        if (owner != null) {
            TileValue shared = LayoutConversion.shareFromOwners(result, cx);
            if (other == null || mask == null) return shared;
            String[] regs = new String[shared.size()];
            for (int r = 0; r < regs.length; r++) regs[r] = Emit.select(cx, shared.regClass(), mask.reg(r), shared.reg(r), other.reg(r));
            return new TileValue(out, t, regs);
        }
        return result;
    }

    /** The elements per access for this op in layout {@code out}: the run of low registers along one dimension, as far as AxisInfo allows. */
    static int vector(Lowerer cx, Value pointer, Value mask, LinearLayout out) {
        if (out.regBits() == 0) return 1;
        int b0 = out.regBasis(0), pos = Integer.numberOfTrailingZeros(b0);
        var shape = out.shape();
        int dim = -1;
        for (int d = 0; d < shape.rank(); d++) if (LinearLayout.dimShift(shape, d) == pos) dim = d;
        if (dim < 0) return 1;
        int run = 1;
        while (run < out.regBits() && out.regBasis(run) == b0 << run) run++;
        int allowed = cx.layouts.vectorWidth(pointer, mask, dim);
        return Math.min(1 << run, allowed);
    }

    private static String cacheQualifier(MemoryOrder.Cache cache, MemoryOrder.Eviction eviction, boolean load) {
        String cop = switch (cache) {
            case CA -> load ? ".ca" : "";
            case CG -> ".cg";
            case CS -> ".cs";
            case CV -> load ? ".cv" : "";
            case WB -> load ? "" : ".wb";
            case WT -> load ? "" : ".wt";
            case NONE -> "";
        };
        if (!cop.isEmpty()) return cop;
        return switch (eviction) {
            case FIRST -> ".L1::evict_first";
            case LAST -> ".L1::evict_last";
            case NORMAL -> "";
        };
    }

    /** Registers that hold exactly the bits in memory (f32, 32- and 64-bit integers, f64). */
    private static boolean direct(DType t) { return t.bits() >= 32; }

    private static String memType(DType t) {
        return switch (t) {
            case F32 -> ".f32";
            case F64 -> ".f64";
            case I64, U64 -> ".b64";
            default -> ".b32";
        };
    }

    private static void loadGroup(Lowerer cx, DType t, String address, String pred, TileValue other, TileValue result, int g, int vec, String q) {
        PtxWriter w = cx.w;
        String guard = pred == null ? "" : "@" + pred + " ";
        String v = vec == 1 ? "" : ".v" + vec;
        RegClass k = RegClass.of(t);
        if (direct(t)) {
            StringBuilder list = new StringBuilder();
            for (int j = 0; j < vec; j++) {
                String r = result.reg(g + j);
                if (pred != null) {
                    if (other != null) Emit.move(cx, k, r, other.reg(g + j));
                    else w.op("mov%s %s, 0", k == RegClass.F32 ? ".b32" : k.bits(), r);
                }
                list.append(j == 0 ? "" : ", ").append(r);
            }
            w.op("%sld.global%s%s%s %s, [%s]", guard, q, v, memType(t), vec == 1 ? list : "{" + list + "}", address);
            return;
        }
        // narrower than a register: load whole words (or one byte/half), then unpack
        int es = t.byteSize(), total = vec * es;
        int words = Math.max(1, total / 4);
        String[] word = new String[words];
        for (int i = 0; i < words; i++) {
            word[i] = w.reg(RegClass.B32);
            w.op("mov.b32 %s, 0", word[i]);
        }
        if (total >= 4) {
            String list = words == 1 ? word[0] : "{" + String.join(", ", word) + "}";
            w.op("%sld.global%s%s.b32 %s, [%s]", guard, q, words == 1 ? "" : ".v" + words, list, address);
        } else {
            w.op("%sld.global%s.%s %s, [%s]", guard, q, total == 1 ? "u8" : "u16", word[0], address);
        }
        for (int j = 0; j < vec; j++) {
            int byteOffset = j * es;
            String wd = word[byteOffset / 4];
            int bit = (byteOffset % 4) * 8;
            String value = unpack(cx, t, wd, bit);
            String r = result.reg(g + j);
            if (pred != null && other != null) {
                String sel = Emit.select(cx, k, pred, value, other.reg(g + j));
                Emit.move(cx, k, r, sel);
            } else {
                Emit.move(cx, k, r, value);
            }
        }
    }

    /** Element of type {@code t} at bit {@code bit} of a loaded word, as its register holds it. */
    private static String unpack(Lowerer cx, DType t, String word, int bit) {
        PtxWriter w = cx.w;
        int width = t == DType.I1 ? 8 : t.bits();
        String field = w.reg(RegClass.B32);
        boolean signed = t == DType.I8 || t == DType.I16;
        w.op("bfe.%s %s, %s, %d, %d", signed ? "s32" : "u32", field, word, bit, width);
        if (t == DType.I1) return Emit.toPred(cx, field);
        if (t.isNarrowFloat()) return NarrowFloats.held(cx, field, t);
        return field;
    }

    static void store(Store s, Lowerer cx) {
        LinearLayout layout = cx.layouts.memoryLayout(s);
        TileValue ptr = cx.operand(s, s.pointer());
        TileValue value = cx.operand(s, s.value());
        TileValue mask = s.mask() == null ? null : cx.operand(s, s.mask());
        DType t = s.value().type().dtype();
        int vec = vector(cx, s.pointer(), s.mask(), layout);
        String owner = cx.owner(layout);
        String q = cacheQualifier(s.cache(), s.eviction(), false);
        for (int g = 0; g < layout.numRegs(); g += vec) {
            String pred = mask == null ? owner : owner == null ? mask.reg(g) : and(cx, mask.reg(g), owner);
            storeGroup(cx, t, ptr.reg(g), pred, value, g, vec, q);
        }
    }

    static String and(Lowerer cx, String p, String q) {
        String r = cx.w.reg(RegClass.PRED);
        cx.w.op("and.pred %s, %s, %s", r, p, q);
        return r;
    }

    private static void storeGroup(Lowerer cx, DType t, String address, String pred, TileValue value, int g, int vec, String q) {
        PtxWriter w = cx.w;
        String guard = pred == null ? "" : "@" + pred + " ";
        if (direct(t)) {
            StringBuilder list = new StringBuilder();
            for (int j = 0; j < vec; j++) list.append(j == 0 ? "" : ", ").append(value.reg(g + j));
            w.op("%sst.global%s%s%s [%s], %s", guard, q, vec == 1 ? "" : ".v" + vec, memType(t), address,
                    vec == 1 ? list : "{" + list + "}");
            return;
        }
        int es = t.byteSize(), total = vec * es;
        int words = Math.max(1, total / 4);
        String[] word = new String[words];
        for (int j = 0; j < vec; j++) {
            int byteOffset = j * es;
            int wi = byteOffset / 4, bit = (byteOffset % 4) * 8;
            String bits = memoryBits(cx, t, value.reg(g + j));
            if (word[wi] == null) {
                word[wi] = bits;
            } else {
                String merged = w.reg(RegClass.B32);
                w.op("bfi.b32 %s, %s, %s, %d, %d", merged, bits, word[wi], bit, es * 8);
                word[wi] = merged;
            }
        }
        if (total >= 4) {
            String list = words == 1 ? word[0] : "{" + String.join(", ", word) + "}";
            w.op("%sst.global%s%s.b32 [%s], %s", guard, q, words == 1 ? "" : ".v" + words, address, list);
        } else {
            w.op("%sst.global%s.%s [%s], %s", guard, q, total == 1 ? "u8" : "u16", address, word[0]);
        }
    }

    /** The memory bits of one element as it is held (narrow floats keep their patterns, see NarrowFloats.held). */
    static String memoryBits(Lowerer cx, DType t, String reg) {
        return switch (t) {
            case I1 -> Emit.fromPred(cx, reg);
            case F16, BF16, FP8E4M3, FP8E5M2 -> NarrowFloats.heldBits(cx, reg, t);
            default -> reg;
        };
    }
}
