package dev.tessera.cuda.codegen.memory;

import dev.tessera.cuda.codegen.Emit;
import dev.tessera.cuda.codegen.layout.LayoutAssignment;
import dev.tessera.cuda.codegen.layout.LayoutConversion;
import dev.tessera.cuda.codegen.Lowerer;
import dev.tessera.cuda.codegen.convert.NarrowFloats;
import dev.tessera.cuda.codegen.convert.Packing;
import dev.tessera.cuda.codegen.PtxWriter;
import dev.tessera.cuda.codegen.RegClass;
import dev.tessera.cuda.codegen.TileValue;
import dev.tessera.passes.AxisInfo;
import dev.tessera.cuda.codegen.layout.DistributedLayout;
import dev.tessera.ir.MemoryOrder;
import dev.tessera.ir.Op.Load;
import dev.tessera.ir.Op.Prefetch;
import dev.tessera.ir.Op.Store;
import dev.tessera.ir.Value;
import dev.tessera.types.DType;
import java.util.ArrayList;
import java.util.List;

/**
 * Lowering of global loads and stores (and the shared-memory reads and writes of tiles that
 * TmaRules stages, in the same representations). Each run of consecutive registers that AxisInfo proves
 * contiguous, aligned and equally masked moves as one access of up to 16 bytes
 * ({@code ld.global.v4.b32}); masked-off lanes of a load keep the value set before it ({@code other},
 * or 0), masked-off stores are predicated away, and only one thread of each group holding copies
 * of an element stores it.
 */
public final class MemoryRules {
    private MemoryRules() {}

    public static TileValue load(Load l, DistributedLayout out, Lowerer cx) {
        TileValue ptr = cx.operand(l, l.pointer());
        TileValue mask = l.mask() == null ? null : cx.operand(l, l.mask());
        TileValue other = l.other() == null ? null : cx.operand(l, l.other());
        DType t = l.result().type().dtype();
        int vec = vector(cx, l.pointer(), l.mask(), out);
        Hint qualifiers = l.isVolatile() ? new Hint(".global", ".volatile", null) : Hint.of(cx, l.cache(), l.eviction(), true);
        // A volatile location may change between the loads of the threads holding copies of an
        // element (a scalar: every thread), and copies must agree (branches on scalars must not
        // diverge): one thread loads, and shares what it read.
        String owner = l.isVolatile() ? cx.owner(out) : null;
        if (owner == null && vec >= 2 && TileValue.packable(t, out)) {
            // 16-bit floats stay packed: the loaded words are the value (two elements each)
            TileValue otherWords = other == null || mask == null ? null : Packing.pack(cx, cx.operandAny(l, l.other()));
            String[] words = new String[out.numRegs() / 2];
            for (int g = 0; g < out.numRegs(); g += vec) {
                loadWords(cx, mask == null ? null : mask.reg(g), otherWords, ptr.reg(g), words, g / 2, vec / 2, qualifiers);
            }
            return TileValue.packed(out, t, words);
        }
        String[] regs = new String[out.numRegs()];
        for (int g = 0; g < out.numRegs(); g += vec) {
            String pred = guard(cx, mask, g, owner);
            loadGroup(cx, t, ptr.reg(g), pred, owner != null ? null : other, regs, g, vec, qualifiers);
        }
        TileValue result = new TileValue(out, t, regs);
        if (owner != null) {
            TileValue shared = LayoutConversion.shareFromOwners(result, cx);
            if (other == null || mask == null) return shared;
            String[] selected = new String[shared.size()];
            for (int r = 0; r < selected.length; r++) selected[r] = Emit.select(cx, shared.regClass(), mask.reg(r), shared.reg(r), other.reg(r));
            return new TileValue(out, t, selected);
        }
        return result;
    }

    /** Loads words {@code first .. first+count} of a packed value; masked-off lanes keep {@code other}'s words (or 0). */
    private static void loadWords(Lowerer cx, String pred, TileValue other, String address, String[] words, int first, int count, Hint q) {
        PtxWriter w = cx.w;
        for (int i = 0; i < count; i++) {
            words[first + i] = w.reg(RegClass.B32);
            if (pred != null) w.op("mov.b32 %s, %s", words[first + i], other == null ? "0" : other.word(first + i));
        }
        String list = count == 1 ? words[first] : "{" + String.join(", ", java.util.Arrays.copyOfRange(words, first, first + count)) + "}";
        w.op("%sld%s%s.b32 %s, [%s]%s", pred == null ? "" : "@" + pred + " ", q.qualifiers(), count == 1 ? "" : ".v" + count, list, address, q.operand());
    }

    /** The elements per access for this op in layout {@code out}: the run of low registers along one dimension, as far as AxisInfo allows. */
    public static int vector(Lowerer cx, Value pointer, Value mask, DistributedLayout out) { return vector(cx.layouts, pointer, mask, out); }

    public static int vector(LayoutAssignment layouts, Value pointer, Value mask, DistributedLayout out) {
        int dim = vectorDim(out);
        if (dim < 0) return 1;
        int b0 = out.regBasis(0), run = 1;
        while (run < out.regBits() && out.regBasis(run) == b0 << run) run++;
        int allowed = layouts.vectorWidth(pointer, mask, dim);
        return Math.min(1 << run, allowed);
    }

    /** The dimension a thread's lowest registers run along (the one its accesses are vectors of), or -1. */
    public static int vectorDim(DistributedLayout out) {
        if (out.regBits() == 0) return -1;
        int pos = Integer.numberOfTrailingZeros(out.regBasis(0));
        var shape = out.shape();
        for (int d = 0; d < shape.rank(); d++) if (DistributedLayout.dimShift(shape, d) == pos) return d;
        return -1;
    }

    /**
     * An access's cache qualifiers and, where the eviction priority reaches L2, the cache policy
     * operand that goes last ({@code ld ... d, [a], policy}). A cache operator wins over an eviction
     * priority; an eviction priority applies to L1 and, on sm_80+, to L2 through a fractional
     * {@code createpolicy} over every line the access touches, as Triton's {@code eviction_policy}
     * does: evict_last keeps a line in L2 for a second pass over the same data, evict_first lets
     * streamed data make room.
     */
    record Hint(String space, String cacheQualifiers, String policy) {
        /** Shared memory: no cache qualifiers, no policy. */
        static final Hint SHARED = new Hint(".shared", "", null);

        /** The state space and cache qualifiers, as they follow {@code ld} or {@code st}. */
        String qualifiers() { return space + cacheQualifiers; }

        static Hint of(Lowerer cx, MemoryOrder.Cache cache, MemoryOrder.Eviction eviction, boolean load) {
            String cop = switch (cache) {
                case CA -> load ? ".ca" : "";
                case CG -> ".cg";
                case CS -> ".cs";
                case CV -> load ? ".cv" : "";
                case WB -> load ? "" : ".wb";
                case WT -> load ? "" : ".wt";
                case NONE -> "";
            };
            if (!cop.isEmpty() || eviction == MemoryOrder.Eviction.NORMAL) return new Hint(".global", cop, null);
            String priority = eviction == MemoryOrder.Eviction.FIRST ? "evict_first" : "evict_last";
            if (!cx.target.l2CacheHints()) return new Hint(".global", ".L1::" + priority, null);
            // the policy depends on nothing: made once, in the prologue, not at every access (a loop's loads each iteration)
            String policy = cx.once("L2::" + priority, () -> {
                String r = cx.w.reg(RegClass.B64);
                cx.w.op("createpolicy.fractional.L2::%s.b64 %s, 1.0", priority, r);
                return r;
            });
            return new Hint(".global", ".L1::" + priority + ".L2::cache_hint", policy);
        }

        /** The policy operand with its comma, or nothing. */
        String operand() { return policy == null ? "" : ", " + policy; }
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

    /** Loads registers {@code g .. g+vec} of {@code regs}; masked-off lanes keep {@code other} (or 0). */
    private static void loadGroup(Lowerer cx, DType t, String address, String pred, TileValue other, String[] regs, int g, int vec, Hint q) {
        PtxWriter w = cx.w;
        String guard = pred == null ? "" : "@" + pred + " ";
        String v = vec == 1 ? "" : ".v" + vec;
        RegClass k = RegClass.of(t);
        if (direct(t)) {
            StringBuilder list = new StringBuilder();
            for (int j = 0; j < vec; j++) {
                String r = regs[g + j] = w.reg(k);
                if (pred != null) {
                    if (other != null) Emit.move(cx, k, r, other.reg(g + j));
                    else w.op("mov%s %s, 0", k == RegClass.F32 ? ".b32" : k.bits(), r);
                }
                list.append(j == 0 ? "" : ", ").append(r);
            }
            w.op("%sld%s%s%s %s, [%s]%s", guard, q.qualifiers(), v, memType(t), vec == 1 ? list : "{" + list + "}", address, q.operand());
            return;
        }
        // narrower than a register: whole words (or one byte/half) preset to other's bits, loaded, unpacked
        int es = t.byteSize(), total = vec * es;
        int words = Math.max(1, total / 4), perWord = Math.min(vec, 4 / es);
        String[] word = new String[words];
        for (int i = 0; i < words; i++) {
            word[i] = w.reg(RegClass.B32);
            if (pred != null && other != null) {
                String[] fields = new String[perWord];
                for (int j = 0; j < perWord; j++) fields[j] = memoryBits(cx, t, other.reg(g + i * perWord + j));
                w.op("mov.b32 %s, %s", word[i], pack(cx, fields, es));
            } else {
                w.op("mov.b32 %s, 0", word[i]);
            }
        }
        if (total >= 4) {
            String list = words == 1 ? word[0] : "{" + String.join(", ", word) + "}";
            w.op("%sld%s%s.b32 %s, [%s]%s", guard, q.qualifiers(), words == 1 ? "" : ".v" + words, list, address, q.operand());
        } else {
            w.op("%sld%s.%s %s, [%s]%s", guard, q.qualifiers(), total == 1 ? "u8" : "u16", word[0], address, q.operand());
        }
        String[] unpacked = unpack(cx, t, word, vec);
        System.arraycopy(unpacked, 0, regs, g, vec);
    }

    /**
     * A tile of {@code t} in layout {@code out} read from shared memory, where elements are stored in
     * their memory format: the registers of group {@code g} (of {@code vec}, consecutive in memory)
     * from {@code address.apply(g)}. 16-bit floats stay packed where the layout allows.
     */
    public static TileValue loadShared(Lowerer cx, DType t, DistributedLayout out, java.util.function.IntFunction<String> address, int vec) {
        if (vec >= 2 && TileValue.packable(t, out)) {
            String[] words = new String[out.numRegs() / 2];
            for (int g = 0; g < out.numRegs(); g += vec) loadWords(cx, null, null, address.apply(g), words, g / 2, vec / 2, Hint.SHARED);
            return TileValue.packed(out, t, words);
        }
        String[] regs = new String[out.numRegs()];
        for (int g = 0; g < out.numRegs(); g += vec) loadGroup(cx, t, address.apply(g), null, null, regs, g, vec, Hint.SHARED);
        return new TileValue(out, t, regs);
    }

    /** The inverse of {@link #loadShared}: {@code value}'s elements written in their memory format, each by one of the threads holding it. */
    public static void storeShared(Lowerer cx, DType t, TileValue value, java.util.function.IntFunction<String> address, int vec) {
        String owner = cx.owner(value.layout());
        for (int g = 0; g < value.layout().numRegs(); g += vec) {
            if (value.isPacked()) storeWords(cx, address.apply(g), owner, value, g, vec, Hint.SHARED);
            else storeGroup(cx, t, address.apply(g), owner, value, g, vec, Hint.SHARED);
        }
    }

    /** Fields of {@code es} bytes, lowest first, packed into one 32-bit register. */
    public static String pack(Lowerer cx, String[] fields, int es) {
        String word = fields[0];
        for (int j = 1; j < fields.length; j++) {
            String merged = cx.w.reg(RegClass.B32);
            if (es == 2) cx.w.op("prmt.b32 %s, %s, %s, 0x5410", merged, word, fields[j]);
            else cx.w.op("bfi.b32 %s, %s, %s, %d, %d", merged, fields[j], word, j * es * 8, es * 8);
            word = merged;
        }
        return word;
    }

    /** The {@code count} elements of type {@code t} packed in {@code words}, as their registers hold them. */
    private static String[] unpack(Lowerer cx, DType t, String[] words, int count) {
        PtxWriter w = cx.w;
        if (t == DType.BF16 || t == DType.F16) return Packing.unpackWords(cx, t, words, count, true);
        int es = t.byteSize();
        String[] regs = new String[count], bits = new String[count], values = new String[count];
        for (int j = 0; j < count; j++) {
            String word = words[j * es / 4];
            int bit = (j * es % 4) * 8;
            bits[j] = w.reg(RegClass.B32);
            boolean signed = t == DType.I8 || t == DType.I16;
            w.op("bfe.%s %s, %s, %d, %d", signed ? "s32" : "u32", bits[j], word, bit, t == DType.I1 ? 8 : t.bits());
            if (t == DType.I1) regs[j] = Emit.toPred(cx, bits[j]);
            else if (t.isNarrowFloat()) values[j] = NarrowFloats.fromBits(cx, bits[j], t);
            else regs[j] = bits[j];
        }
        return t.isNarrowFloat() ? NarrowFloats.held(cx, bits, values, t) : regs;
    }

    public static void store(Store s, Lowerer cx) {
        DistributedLayout layout = cx.layouts.memoryLayout(s);
        TileValue ptr = cx.operand(s, s.pointer());
        TileValue value = cx.operandAny(s, s.value());
        TileValue mask = s.mask() == null ? null : cx.operand(s, s.mask());
        DType t = s.value().type().dtype();
        int vec = vector(cx, s.pointer(), s.mask(), layout);
        String owner = cx.owner(layout);
        Hint q = Hint.of(cx, s.cache(), s.eviction(), false);
        for (int g = 0; g < layout.numRegs(); g += vec) {
            String pred = guard(cx, mask, g, owner);
            if (value.isPacked()) storeWords(cx, ptr.reg(g), pred, value, g, vec, q);
            else storeGroup(cx, t, ptr.reg(g), pred, value, g, vec, q);
        }
    }

    /**
     * {@code prefetch.global.L2} at the start of each vector a thread would load through these
     * pointers (the coalesced layout's accesses; the unit merges the repeats of a line), with
     * L2's evict_last priority where the target has it: the lines stay for the load that follows.
     */
    public static void prefetch(Prefetch p, Lowerer cx) {
        DistributedLayout layout = cx.layouts.memoryLayout(p);
        TileValue ptr = cx.operand(p, p.pointer());
        TileValue mask = p.mask() == null ? null : cx.operand(p, p.mask());
        int vec = vector(cx, p.pointer(), p.mask(), layout);
        String owner = cx.owner(layout), level = cx.target.l2CacheHints() ? ".L2::evict_last" : ".L2";
        for (int g = 0; g < layout.numRegs(); g += vec) {
            String pred = guard(cx, mask, g, owner);
            cx.w.op("%sprefetch.global%s [%s]", pred == null ? "" : "@" + pred + " ", level, ptr.reg(g));
        }
    }

    /**
     * The predicate of a thread's access to element {@code g}: the mask's lane there (none: null)
     * and the layout's {@code owner} predicate (null where every thread holds its own elements).
     */
    public static String guard(Lowerer cx, TileValue mask, int g, String owner) {
        if (mask == null) return owner;
        return owner == null ? mask.reg(g) : and(cx, mask.reg(g), owner);
    }

    public static String and(Lowerer cx, String p, String q) {
        String r = cx.w.reg(RegClass.PRED);
        cx.w.op("and.pred %s, %s, %s", r, p, q);
        return r;
    }

    /** Stores elements {@code g .. g+vec} of a packed value: its words as they are (a lone element: its half). */
    private static void storeWords(Lowerer cx, String address, String pred, TileValue value, int g, int vec, Hint q) {
        PtxWriter w = cx.w;
        String guard = pred == null ? "" : "@" + pred + " ";
        if (vec == 1) {
            String word = value.word(g >> 1);
            if ((g & 1) == 1) {
                String hi = w.reg(RegClass.B32);
                w.op("shr.u32 %s, %s, 16", hi, word);
                word = hi;
            }
            w.op("%sst%s.u16 [%s], %s%s", guard, q.qualifiers(), address, word, q.operand());
            return;
        }
        int words = vec / 2;
        String[] list = java.util.Arrays.copyOfRange(value.words(), g / 2, g / 2 + words);
        w.op("%sst%s%s.b32 [%s], %s%s", guard, q.qualifiers(), words == 1 ? "" : ".v" + words, address,
                words == 1 ? list[0] : "{" + String.join(", ", list) + "}", q.operand());
    }

    private static void storeGroup(Lowerer cx, DType t, String address, String pred, TileValue value, int g, int vec, Hint q) {
        PtxWriter w = cx.w;
        String guard = pred == null ? "" : "@" + pred + " ";
        if (direct(t)) {
            StringBuilder list = new StringBuilder();
            for (int j = 0; j < vec; j++) list.append(j == 0 ? "" : ", ").append(value.reg(g + j));
            w.op("%sst%s%s%s [%s], %s%s", guard, q.qualifiers(), vec == 1 ? "" : ".v" + vec, memType(t), address,
                    vec == 1 ? list : "{" + list + "}", q.operand());
            return;
        }
        int es = t.byteSize(), total = vec * es;
        int words = Math.max(1, total / 4), perWord = Math.min(vec, 4 / es);
        String[] word = new String[words];
        List<Integer> f16Pairs = new ArrayList<>();
        String anyNan = null;
        for (int i = 0; i < words; i++) {
            int first = g + i * perWord;
            Lowerer.NarrowBits lo = perWord == 2 ? cx.narrowBits(value.reg(first), t) : null;
            Lowerer.NarrowBits hi = lo == null ? null : cx.narrowBits(value.reg(first + 1), t);
            if (lo != null && hi != null && lo.roundedFrom() != null && hi.roundedFrom() != null) {
                // both freshly rounded from f32: one conversion of the two sources
                word[i] = Packing.roundPair(cx, t, lo.roundedFrom(), hi.roundedFrom());
                if (t == DType.F16) {
                    // the conversion's NaN is not the format's: fixed below, in threads that meet one
                    String p = w.reg(RegClass.PRED);
                    if (anyNan == null) w.op("setp.nan.f32 %s, %s, %s", p, lo.roundedFrom(), hi.roundedFrom());
                    else w.op("setp.nan.or.f32 %s, %s, %s, %s", p, lo.roundedFrom(), hi.roundedFrom(), anyNan);
                    anyNan = p;
                    f16Pairs.add(i);
                }
                continue;
            }
            if (perWord == 2 && es == 2) {
                word[i] = Packing.pair(cx, t, value.reg(first), value.reg(first + 1));
                continue;
            }
            String[] fields = new String[perWord];
            for (int j = 0; j < perWord; j++) fields[j] = memoryBits(cx, t, value.reg(first + j));
            word[i] = pack(cx, fields, es);
        }
        if (anyNan != null) {
            String skip = w.label("f16_nan");
            w.op("@!%s bra %s", anyNan, skip);
            // from the converted words, so the f32 sources need not live through the branch
            for (int i : f16Pairs) Packing.canonicalF16Nans(cx, word[i]);
            w.place(skip);
        }
        if (total >= 4) {
            String list = words == 1 ? word[0] : "{" + String.join(", ", word) + "}";
            w.op("%sst%s%s.b32 [%s], %s%s", guard, q.qualifiers(), words == 1 ? "" : ".v" + words, address, list, q.operand());
        } else {
            w.op("%sst%s.%s [%s], %s%s", guard, q.qualifiers(), total == 1 ? "u8" : "u16", address, word[0], q.operand());
        }
    }

    /** The memory bits of one element as it is held (narrow floats keep their patterns, see NarrowFloats.held). */
    public static String memoryBits(Lowerer cx, DType t, String reg) {
        return switch (t) {
            case I1 -> Emit.fromPred(cx, reg);
            case F16, BF16, FP8E4M3, FP8E5M2 -> NarrowFloats.heldBits(cx, reg, t);
            default -> reg;
        };
    }
}
