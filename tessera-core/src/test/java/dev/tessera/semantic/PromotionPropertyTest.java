package dev.tessera.semantic;

import static dev.tessera.lang.TL.*;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tessera.lang.Constexpr;
import dev.tessera.lang.Kernel;
import dev.tessera.lang.Tile;
import dev.tessera.trace.ArgSpec;
import dev.tessera.trace.KernelMethod;
import dev.tessera.trace.Tracer;
import dev.tessera.types.DType;
import dev.tessera.types.PointerType;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;

/**
 * Properties of the typing rules, checked by tracing: the dtype of {@code a op b} for every pair of
 * operand dtypes (tiles or Java literals) is what Triton's rules give, written out independently
 * below from Triton's semantics (its computation_type_impl); shapes broadcast as in NumPy, and
 * shapes that do not broadcast are a trace error.
 */
class PromotionPropertyTest {

    /** Operand dtypes (i1 left out: Triton widens i1 arithmetic in ways not worth pinning down here). */
    static final DType[] TYPES = {DType.I8, DType.U8, DType.I16, DType.U16, DType.I32, DType.U32, DType.I64, DType.U64, DType.F16, DType.BF16,
            DType.F32, DType.F64, DType.FP8E4M3, DType.FP8E5M2};

    enum Operand { TILE, INT_LITERAL, FLOAT_LITERAL }

    // ------------------------------------------------------------------ Triton's rules, independently

    /** Triton's kinds: bool < integer < float. */
    static int kind(DType t) { return t.isBool() ? 0 : t.isFloat() ? 2 : 1; }

    /** C's usual arithmetic conversions, as Triton's integer_promote_impl. */
    static DType integerPromote(DType a, DType b) {
        if (a.isUnsigned() == b.isUnsigned()) return a.bits() > b.bits() ? a : b;
        DType u = a.isUnsigned() ? a : b, s = a.isUnsigned() ? b : a;
        return u.bits() >= s.bits() ? u : s;
    }

    /** The dtype Triton computes {@code a op b} in, or empty where it is a type error. */
    static Optional<DType> triton(DType a, boolean aScalar, DType b, boolean bScalar, boolean divOrMod) {
        if (aScalar != bScalar) {
            DType scalar = aScalar ? a : b, tensor = aScalar ? b : a;
            if (kind(scalar) <= kind(tensor)) {
                return Optional.of(divOrMod && (tensor == DType.F16 || tensor == DType.BF16) ? DType.F32 : tensor);
            }
        }
        if (a == DType.F64 || b == DType.F64) return Optional.of(DType.F64);
        if (a == DType.F32 || b == DType.F32) return Optional.of(DType.F32);
        if (a == DType.F16 || b == DType.F16) return Optional.of(divOrMod ? DType.F32 : DType.F16);
        if (a == DType.BF16 && b == DType.BF16) return Optional.of(divOrMod ? DType.F32 : DType.BF16);
        if (a == DType.BF16 || b == DType.BF16) return Optional.of(DType.F32);
        if (a.isFp8() && b.isFp8()) return Optional.of(a == b ? a : DType.F16);
        if (a.isFp8() || b.isFp8()) return Optional.empty(); // fp8 with an integer: "unexpected type" in Triton
        if (divOrMod && a.isUnsigned() != b.isUnsigned()) return Optional.empty();
        return Optional.of(integerPromote(a, b));
    }

    // ------------------------------------------------------------------ the probe kernel

    static final ThreadLocal<Object> SEEN = new ThreadLocal<>();

    @Kernel
    static void probe(Tile x, Tile y, @Constexpr Operand A, @Constexpr Operand B, @Constexpr String OP) {
        Tile a = load(x), b = load(y);
        Object lhs = A == Operand.TILE ? a.value() : A == Operand.INT_LITERAL ? (Object) 3 : (Object) 2.5;
        Object rhs = B == Operand.TILE ? b.value() : B == Operand.INT_LITERAL ? (Object) 3 : (Object) 2.5;
        dev.tessera.ir.Op.Binary.Fn fn = switch (OP) {
            case "add" -> dev.tessera.ir.Op.Binary.Fn.ADD;
            case "mul" -> dev.tessera.ir.Op.Binary.Fn.MUL;
            case "div" -> dev.tessera.ir.Op.Binary.Fn.DIV;
            default -> dev.tessera.ir.Op.Binary.Fn.REM;
        };
        SEEN.set(Tile.wrap(Semantic.binary(fn, lhs, rhs)).dtype());
    }

    /** Traces the probe; the result's dtype, or empty if tracing failed with a TraceException. */
    static Optional<DType> traced(DType a, Operand ao, DType b, Operand bo, String op) {
        SEEN.remove();
        try {
            Tracer.trace(KernelMethod.of(PromotionPropertyTest.class, "probe"),
                    List.of(new ArgSpec(new PointerType(a), 16, false), new ArgSpec(new PointerType(b), 16, false)),
                    Map.of("A", ao, "B", bo, "OP", op));
            return Optional.of((DType) SEEN.get());
        } catch (TraceException e) {
            return Optional.empty();
        }
    }

    @Provide
    Arbitrary<DType> dtypes() { return Arbitraries.of(TYPES); }

    @Provide
    Arbitrary<String> ops() { return Arbitraries.of("add", "mul", "div", "rem"); }

    @Property(tries = 400)
    void tileTileAndTileLiteralPromotionFollowsTriton(@ForAll("dtypes") DType a, @ForAll("dtypes") DType b, @ForAll("ops") String op,
                                                      @ForAll Operand second) {
        boolean divOrMod = op.equals("div") || op.equals("rem");
        // a literal's dtype is its Java type's: int -> i32, double -> f32
        DType bt = second == Operand.TILE ? b : second == Operand.INT_LITERAL ? DType.I32 : DType.F32;
        Optional<DType> expected = triton(a, false, bt, second != Operand.TILE, divOrMod);
        boolean fp8WithIntegerTile = second == Operand.TILE && ((a.isFp8() && !b.isFloat()) || (b.isFp8() && !a.isFloat()));
        if (fp8WithIntegerTile) return; // Triton refuses ("unexpected type"); Tessera computes in f16, an extension kept on purpose
        Optional<DType> got = traced(a, Operand.TILE, b, second, op);
        assertEquals(expected, got, a + " " + op + " " + (second == Operand.TILE ? b.toString() : second.toString()));
        // and the other way round
        Optional<DType> swapped = traced(b, second, a, Operand.TILE, op);
        assertEquals(triton(bt, second != Operand.TILE, a, false, divOrMod), swapped,
                (second == Operand.TILE ? b.toString() : second.toString()) + " " + op + " " + a);
    }

    // ------------------------------------------------------------------ broadcasting

    @Kernel
    static void shapes(Tile x, @Constexpr List<Integer> A, @Constexpr List<Integer> B) {
        int[] a = A.stream().mapToInt(Integer::intValue).toArray(), b = B.stream().mapToInt(Integer::intValue).toArray();
        Tile ta = a.length == 0 ? scalar(0f) : zeros(F32, a), tb = b.length == 0 ? scalar(0f) : zeros(F32, b);
        SEEN.set(ta.add(tb).shape());
    }

    /** NumPy's rule: align on the right; sizes must match or one be 1. */
    static Optional<int[]> numpy(int[] a, int[] b) {
        int rank = Math.max(a.length, b.length);
        int[] out = new int[rank];
        for (int i = 0; i < rank; i++) {
            int da = i < rank - a.length ? 1 : a[i - (rank - a.length)], db = i < rank - b.length ? 1 : b[i - (rank - b.length)];
            if (da != db && da != 1 && db != 1) return Optional.empty();
            out[i] = Math.max(da, db);
        }
        return Optional.of(out);
    }

    @Provide
    Arbitrary<List<Integer>> shape() { return Arbitraries.of(1, 2, 4, 8).list().ofMinSize(0).ofMaxSize(3); }

    @Property(tries = 300)
    void shapesBroadcastAsInNumPy(@ForAll("shape") List<Integer> a, @ForAll("shape") List<Integer> b) {
        int[] sa = a.stream().mapToInt(Integer::intValue).toArray(), sb = b.stream().mapToInt(Integer::intValue).toArray();
        Optional<int[]> expected = numpy(sa, sb);
        SEEN.remove();
        try {
            Tracer.trace(KernelMethod.of(PromotionPropertyTest.class, "shapes"), List.of(new ArgSpec(new PointerType(DType.F32), 16, false)),
                    Map.of("A", a, "B", b));
            assertTrue(expected.isPresent(), Arrays.toString(sa) + " + " + Arrays.toString(sb) + " should not broadcast");
            assertArrayEquals(expected.get(), (int[]) SEEN.get(), Arrays.toString(sa) + " + " + Arrays.toString(sb));
        } catch (TraceException e) {
            assertTrue(expected.isEmpty(), Arrays.toString(sa) + " + " + Arrays.toString(sb) + " should broadcast, but: " + e.getMessage());
            assertTrue(e.getMessage().contains("do not broadcast"), e.getMessage());
        }
    }
}
