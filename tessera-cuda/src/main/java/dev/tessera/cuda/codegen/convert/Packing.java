package dev.tessera.cuda.codegen.convert;

import dev.tessera.cuda.codegen.Lowerer;
import dev.tessera.cuda.codegen.PtxWriter;
import dev.tessera.cuda.codegen.RegClass;
import dev.tessera.cuda.codegen.TileValue;
import dev.tessera.cuda.codegen.layout.DistributedLayout;
import dev.tessera.cuda.codegen.memory.MemoryRules;
import dev.tessera.types.DType;
import dev.tessera.types.ElementType;
import java.util.HashMap;
import java.util.Map;

/**
 * Packed 16-bit floats (see {@link TileValue}): two f16/bf16 elements per {@code .b32} register,
 * as their memory bits. Values that are only moved (loaded, stored, selected, relabeled, carried
 * by loops, converted between layouts) stay packed; arithmetic reads them unpacked, made here at
 * the point of use: {@code mov.b32 {lo, hi}} and {@code cvt.f32.f16}, or for bf16 the halves
 * shifted into f32's top bits. An unpacked element remembers the word and half it came from
 * ({@link Lowerer.NarrowBits}), so packing it again next to its neighbour costs nothing.
 */
public final class Packing {
    private Packing() {}

    /** {@code v} unpacked (an unpacked {@code v} is returned as is), its f16 NaN patterns tagged. */
    public static TileValue unpack(Lowerer cx, TileValue v) { return unpack(cx, v, true); }

    /**
     * {@code v} unpacked; f16 NaN patterns are tagged only if {@code tagNans} (a value whose NaNs
     * only meet arithmetic needs no tag, see {@link NanPayloads}).
     */
    public static TileValue unpack(Lowerer cx, TileValue v, boolean tagNans) {
        if (!v.isPacked()) return v;
        DType t = (DType) v.type();
        // each distinct word once (a broadcast repeats words), all behind one NaN test
        Map<String, Integer> index = new HashMap<>();
        java.util.List<String> distinct = new java.util.ArrayList<>();
        for (String word : v.words()) if (index.putIfAbsent(word, distinct.size()) == null) distinct.add(word);
        String[] halves = unpackWords(cx, t, distinct.toArray(String[]::new), 2 * distinct.size(), tagNans);
        String[] regs = new String[v.size()];
        for (int i = 0; i < v.numWords(); i++) {
            int k = index.get(v.word(i));
            regs[2 * i] = halves[2 * k];
            regs[2 * i + 1] = halves[2 * k + 1];
        }
        return new TileValue(v.layout(), t, regs);
    }

    /**
     * The {@code count} 16-bit floats of {@code words} (two per word, the low half first), as
     * registers hold unpacked elements: the f32 value, NaN patterns tagged as a load tags them
     * (see {@link NarrowFloats#held}, one test for all). Each remembers its word and half, and
     * its pattern alone is extracted only where something asks for it. Without {@code tagNans}
     * an f16 NaN is whatever NaN {@code cvt.f32.f16} makes of it.
     */
    public static String[] unpackWords(Lowerer cx, DType t, String[] words, int count, boolean tagNans) {
        PtxWriter w = cx.w;
        String[] values = new String[count];
        Map<String, String[]> halves = new HashMap<>();
        for (int j = 0; j < count; j++) {
            String word = words[j / 2];
            boolean high = (j & 1) == 1;
            values[j] = w.reg(RegClass.F32);
            if (t == DType.BF16) {
                // a bf16 pattern is the top half of its f32
                String top = w.reg(RegClass.B32);
                if (!high) w.op("shl.b32 %s, %s, 16", top, word);
                else w.op("and.b32 %s, %s, -65536", top, word);
                w.op("mov.b32 %s, %s", values[j], top);
            } else {
                String[] half = halves.computeIfAbsent(word, wd -> {
                    String lo = w.reg(RegClass.B16), hi = w.reg(RegClass.B16);
                    w.op("mov.b32 {%s, %s}, %s", lo, hi, wd);
                    return new String[] {lo, hi};
                });
                w.op("cvt.f32.f16 %s, %s", values[j], half[high ? 1 : 0]);
            }
        }
        String[] out = t == DType.F16 && tagNans ? tagNans(cx, words, values) : values;
        for (int j = 0; j < count; j++) cx.recordPackedOrigin(out[j], t, words[j / 2], j & 1);
        return out;
    }

    /**
     * f16 NaN patterns held as {@link NarrowFloats#held} holds them (a quiet f32 NaN carrying the
     * pattern and f16's tag), without a branch: the tagged word is one {@code prmt} of the half
     * (its sign replicated into the top byte) and one {@code or}, chosen where the value is NaN.
     * A branch around the tagging would split the straight-line code, so ptxas could not
     * interleave the conversions with their uses and would keep every converted element alive
     * through it.
     */
    private static String[] tagNans(Lowerer cx, String[] words, String[] values) {
        PtxWriter w = cx.w;
        String[] out = new String[values.length];
        for (int j = 0; j < values.length; j++) {
            String nan = w.reg(RegClass.PRED), tagged = w.reg(RegClass.B32);
            w.op("testp.notanumber.f32 %s, %s", nan, values[j]);
            // bytes: the half's two, a zero, the half's sign replicated
            w.op("prmt.b32 %s, %s, 0, %s", tagged, words[j / 2], (j & 1) == 0 ? "0x9410" : "0xB432");
            w.op("or.b32 %s, %s, %d", tagged, tagged, NarrowFloats.f16Tag());
            out[j] = w.reg(RegClass.F32);
            w.op("selp.b32 %s, %s, %s, %s", out[j], tagged, values[j], nan);
        }
        return out;
    }

    /**
     * Replaces, in place, each NaN pattern among {@code word}'s two f16 halves with f16's NaN
     * (0x7E00), as {@link NarrowFloats#toBits} gives a NaN input: a word that
     * {@code cvt.rn.f16x2.f32} made, whose NaN halves are exactly those of NaN inputs.
     */
    public static void canonicalF16Nans(Lowerer cx, String word) {
        PtxWriter w = cx.w;
        String[] halves = new String[2];
        for (int h = 0; h < 2; h++) {
            String field = half(cx, word, h), mag = w.reg(RegClass.B32), nan = w.reg(RegClass.PRED);
            w.op("and.b32 %s, %s, 32767", mag, field);
            w.op("setp.gt.u32 %s, %s, 31744", nan, mag);
            halves[h] = w.reg(RegClass.B32);
            w.op("selp.b32 %s, %d, %s, %s", halves[h], NarrowFloats.format(DType.F16).nanBits(), field, nan);
        }
        w.op("prmt.b32 %s, %s, %s, 0x5410", word, halves[0], halves[1]);
    }

    /** The pattern in half {@code half} of {@code word} (0 low, 1 high), zero-extended. */
    static String half(Lowerer cx, String word, int half) {
        String r = cx.w.reg(RegClass.B32);
        if (half == 0) cx.w.op("and.b32 %s, %s, 65535", r, word);
        else cx.w.op("shr.u32 %s, %s, 16", r, word);
        return r;
    }

    /** {@code v} packed ({@code v}'s type and layout must be {@link TileValue#packable}). */
    public static TileValue pack(Lowerer cx, TileValue v) {
        if (v.isPacked()) return v;
        DType t = (DType) v.type();
        String[] words = new String[v.size() / 2];
        Map<String, String> done = new HashMap<>();
        for (int i = 0; i < words.length; i++) {
            String lo = v.reg(2 * i), hi = v.reg(2 * i + 1);
            words[i] = done.computeIfAbsent(lo + "," + hi, k -> pair(cx, t, lo, hi));
        }
        return TileValue.packed(v.layout(), t, words);
    }

    /** One word of two unpacked elements' memory bits, {@code lo} in the low half. */
    public static String pair(Lowerer cx, DType t, String lo, String hi) {
        Lowerer.NarrowBits a = cx.narrowBits(lo, t), b = cx.narrowBits(hi, t);
        if (a != null && b != null && a.word() != null && b.word() != null) return select(cx, a.word(), a.half(), b.word(), b.half());
        return MemoryRules.pack(cx, new String[] {MemoryRules.memoryBits(cx, t, lo), MemoryRules.memoryBits(cx, t, hi)}, 2);
    }

    /**
     * One word of two unpacked elements for a tensor-core operand, {@code lo} in the low half. The
     * tensor cores answer any NaN with their canonical NaN, so the NaN pattern of an operand is
     * never observed: two elements freshly rounded from f32 (softmax's P before P·V) take one
     * {@code cvt.rn.f16x2.f32} (an F2FP) instead of two rounded patterns, two NaN fixes and a
     * {@code prmt} (about 4.5 instructions an element in flash attention's inner loop).
     */
    public static String operandPair(Lowerer cx, DType t, String lo, String hi) {
        Lowerer.NarrowBits a = cx.narrowBits(lo, t), b = cx.narrowBits(hi, t);
        if (a != null && b != null && a.roundedFrom() != null && b.roundedFrom() != null) return roundPair(cx, t, a.roundedFrom(), b.roundedFrom());
        return pair(cx, t, lo, hi);
    }

    /**
     * One word of the f32 registers {@code lo} and {@code hi} rounded to nearest even in f16 or bf16
     * by one {@code cvt.rn.*x2.f32}, {@code lo} in the low half; an f16 NaN comes out as the
     * instruction's NaN, not the format's canonical one (callers fix it where it can be observed).
     */
    public static String roundPair(Lowerer cx, DType t, String lo, String hi) {
        String word = cx.w.reg(RegClass.B32);
        cx.w.op("cvt.rn.%sx2.f32 %s, %s, %s", t == DType.BF16 ? "bf16" : "f16", word, hi, lo);
        return word;
    }

    /** A word of half {@code halfA} of {@code a} (low) and half {@code halfB} of {@code b} (high). */
    public static String select(Lowerer cx, String a, int halfA, String b, int halfB) {
        if (a.equals(b) && halfA == 0 && halfB == 1) return a;
        int sel = (2 * halfA) | (2 * halfA + 1) << 4 | (4 + 2 * halfB) << 8 | (5 + 2 * halfB) << 12;
        String d = cx.w.reg(RegClass.B32);
        cx.w.op("prmt.b32 %s, %s, %s, 0x%04X", d, a, b, sel);
        return d;
    }

    /** Where an output element comes from: element {@code index} of source {@code source}. */
    public interface Origin { int source(int e); int index(int e); }

    /**
     * A packed value in {@code out} whose element e is element {@code origin.index(e)} of packed
     * {@code sources[origin.source(e)]}: words reused where a pair stays together, else one
     * {@code prmt} per word.
     */
    public static TileValue gather(Lowerer cx, DistributedLayout out, ElementType type, TileValue[] sources, Origin origin) {
        String[] words = new String[out.numRegs() / 2];
        Map<String, String> done = new HashMap<>();
        for (int i = 0; i < words.length; i++) {
            int e0 = 2 * i, e1 = 2 * i + 1;
            TileValue s0 = sources[origin.source(e0)], s1 = sources[origin.source(e1)];
            int i0 = origin.index(e0), i1 = origin.index(e1);
            String a = s0.word(i0 >> 1), b = s1.word(i1 >> 1);
            int ha = i0 & 1, hb = i1 & 1;
            words[i] = done.computeIfAbsent(a + ":" + ha + "," + b + ":" + hb, k -> select(cx, a, ha, b, hb));
        }
        return TileValue.packed(out, type, words);
    }

    /** A packed {@code v}'s elements' patterns, zero-extended, one per 32-bit register (a u16 tile). */
    public static TileValue bits(Lowerer cx, TileValue v) {
        String[] regs = new String[v.size()];
        Map<String, String[]> done = new HashMap<>();
        for (int i = 0; i < v.numWords(); i++) {
            String[] halves = done.computeIfAbsent(v.word(i), word -> {
                String lo = cx.w.reg(RegClass.B32), hi = cx.w.reg(RegClass.B32);
                cx.w.op("and.b32 %s, %s, 65535", lo, word);
                cx.w.op("shr.u32 %s, %s, 16", hi, word);
                return new String[] {lo, hi};
            });
            regs[2 * i] = halves[0];
            regs[2 * i + 1] = halves[1];
        }
        return new TileValue(v.layout(), DType.U16, regs);
    }

    /** The inverse of {@link #bits}: a packed value of {@code type} (or unpacked, where the layout cannot pack). */
    public static TileValue fromBits(Lowerer cx, TileValue bits, DType type) {
        DistributedLayout l = bits.layout();
        if (!TileValue.packable(type, l)) {
            String[] values = new String[bits.size()];
            for (int i = 0; i < values.length; i++) values[i] = NarrowFloats.fromBits(cx, bits.reg(i), type);
            return new TileValue(l, type, NarrowFloats.held(cx, bits.regs(), values, type));
        }
        String[] words = new String[l.numRegs() / 2];
        for (int i = 0; i < words.length; i++) words[i] = MemoryRules.pack(cx, new String[] {bits.reg(2 * i), bits.reg(2 * i + 1)}, 2);
        return TileValue.packed(l, type, words);
    }

    /** {@code v} in the representation of {@code like} (packed or not). */
    public static TileValue as(Lowerer cx, TileValue v, TileValue like) {
        if (v.isPacked() == like.isPacked()) return v;
        return like.isPacked() ? pack(cx, v) : unpack(cx, v);
    }
}
