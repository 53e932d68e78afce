package dev.tessera.passes;

import static org.junit.jupiter.api.Assertions.*;

import dev.tessera.ir.KernelIR;
import dev.tessera.ir.Op;
import dev.tessera.ir.Parser;
import dev.tessera.ir.Verifier;
import dev.tessera.runtime.Device;
import dev.tessera.runtime.Tensor;
import dev.tessera.testing.IrRunner;
import dev.tessera.testing.Seed;
import dev.tessera.testing.SeedExtension;
import dev.tessera.types.DType;
import dev.tessera.types.Numerics;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Differential test of constant folding: kernels of many ops on constants (edge values and random
 * ones) run on the CPU backend as traced and after folding; every stored result must be
 * bit-identical, and every op the folder claims to handle must be gone.
 */
@ExtendWith(SeedExtension.class)
class FoldingMatchesCpuTest {
    private static final DType[] INTS = {DType.I8, DType.U8, DType.I16, DType.U16, DType.I32, DType.U32, DType.I64, DType.U64};
    private static final DType[] FLOATS = {DType.F64, DType.F32, DType.F16, DType.BF16, DType.FP8E4M3, DType.FP8E5M2};

    /** Builds one kernel with a pointer parameter per dtype; each case stores one result. */
    private static final class Cases {
        final StringBuilder body = new StringBuilder();
        final Map<DType, Integer> stored = new EnumMap<>(DType.class);
        int next = DType.values().length;

        String constant(DType t, Number v) {
            String id = "%" + next++;
            body.append("  ").append(id).append(" = constant {value=").append(v).append("} : ").append(t).append('\n');
            return id;
        }

        String op(String text, DType result) {
            String id = "%" + next++;
            body.append("  ").append(id).append(" = ").append(text).append(" : ").append(result).append('\n');
            return id;
        }

        void store(String value, DType t) {
            int index = stored.merge(t, 1, Integer::sum) - 1;
            String offset = constant(DType.I32, (long) index);
            String p = op("ptr_add %" + t.ordinal() + ", " + offset, null);
            body.setLength(body.length() - " : null\n".length());
            body.append(" : *").append(t).append('\n');
            body.append("  store ").append(p).append(", ").append(value).append(", _ {cache=NONE, eviction=NORMAL}\n");
        }

        KernelIR kernel() {
            StringBuilder text = new StringBuilder("kernel cases(");
            for (DType t : DType.values()) text.append(t.ordinal() == 0 ? "" : ", ").append('%').append(t.ordinal()).append(": *").append(t).append(" /* p").append(t.ordinal()).append(" */");
            return Verifier.verify(Parser.parse(text.append(") {\n").append(body).append("}\n").toString()));
        }
    }

    private static long[] intValues(DType t, SplittableRandom r) {
        List<Long> v = new ArrayList<>(List.of(0L, 1L, -1L, 2L, 3L, -7L, Numerics.minValue(t), Numerics.maxValue(t),
                (long) t.bits(), t.bits() - 1L, t.bits() + 1L, 31L, 32L, 33L, 63L, 64L, 100L, -128L));
        for (int i = 0; i < 6; i++) v.add(r.nextLong());
        return v.stream().mapToLong(x -> Numerics.wrap(x, t)).toArray();
    }

    private static double[] floatValues(SplittableRandom r) {
        List<Double> v = new ArrayList<>(List.of(0.0, -0.0, 1.0, -1.5, 0.1, 1.0 / 3, 1e-3, 3.0e38, 65504.0, 70000.0,
                448.0, 500.0, 1e-8, 1e-40, Double.NaN, Double.POSITIVE_INFINITY, Double.NEGATIVE_INFINITY, 2.5, 3.5));
        // just above a tie of f16, bf16, e4m3 and e5m2: rounding through f32 first lands on the tie
        for (int bits : new int[] {11, 8, 4, 3}) v.add(1 + Math.scalb(1.0, -bits) + Math.scalb(1.0, -30));
        for (int i = 0; i < 5; i++) v.add(r.nextGaussian() * Math.pow(10, r.nextInt(-4, 5)));
        return v.stream().mapToDouble(Double::doubleValue).toArray();
    }

    @Test
    void integerOpsFoldExactly(@Seed long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        Cases c = new Cases();
        for (DType t : INTS) {
            long[] v = intValues(t, r);
            for (Op.Binary.Fn fn : List.of(Op.Binary.Fn.ADD, Op.Binary.Fn.SUB, Op.Binary.Fn.MUL, Op.Binary.Fn.DIV, Op.Binary.Fn.REM,
                    Op.Binary.Fn.MAX, Op.Binary.Fn.MIN, Op.Binary.Fn.AND, Op.Binary.Fn.OR, Op.Binary.Fn.XOR,
                    Op.Binary.Fn.SHL, Op.Binary.Fn.SHR, Op.Binary.Fn.UMULHI)) {
                for (int i = 0; i < 40; i++) binary(c, fn, t, v[r.nextInt(v.length)], v[r.nextInt(v.length)]);
            }
            for (Op.Unary.Fn fn : List.of(Op.Unary.Fn.NEG, Op.Unary.Fn.ABS, Op.Unary.Fn.NOT, Op.Unary.Fn.POPCOUNT)) {
                for (long x : v) c.store(c.op(name(fn) + " " + c.constant(t, x), t), t);
            }
            for (Op.Compare.Fn fn : Op.Compare.Fn.values()) {
                for (int i = 0; i < 20; i++) compare(c, fn, t, v[r.nextInt(v.length)], v[r.nextInt(v.length)]);
            }
        }
        for (Op.Binary.Fn fn : List.of(Op.Binary.Fn.AND, Op.Binary.Fn.OR, Op.Binary.Fn.XOR)) {
            for (long a = 0; a < 2; a++) for (long b = 0; b < 2; b++) binary(c, fn, DType.I1, a, b);
        }
        for (Op.Compare.Fn fn : Op.Compare.Fn.values()) for (long a = 0; a < 2; a++) for (long b = 0; b < 2; b++) compare(c, fn, DType.I1, a, b);
        c.store(c.op("not " + c.constant(DType.I1, 1L), DType.I1), DType.I1);
        assertFoldsLikeCpu(c.kernel(), List.of(Op.Binary.class, Op.Unary.class, Op.Compare.class));
    }

    @Test
    void floatOpsFoldExactly(@Seed long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        Cases c = new Cases();
        double[] v = floatValues(r);
        for (DType t : FLOATS) {
            for (Op.Binary.Fn fn : List.of(Op.Binary.Fn.ADD, Op.Binary.Fn.SUB, Op.Binary.Fn.MUL, Op.Binary.Fn.DIV_RN,
                    Op.Binary.Fn.MAX, Op.Binary.Fn.MIN, Op.Binary.Fn.MAX_NAN, Op.Binary.Fn.MIN_NAN)) {
                for (int i = 0; i < 40; i++) binary(c, fn, t, v[r.nextInt(v.length)], v[r.nextInt(v.length)]);
            }
            for (int i = 0; i < 40; i++) {
                String a = c.constant(t, v[r.nextInt(v.length)]), b = c.constant(t, v[r.nextInt(v.length)]), d = c.constant(t, v[r.nextInt(v.length)]);
                c.store(c.op("fma " + a + ", " + b + ", " + d, t), t);
            }
            for (Op.Unary.Fn fn : List.of(Op.Unary.Fn.NEG, Op.Unary.Fn.ABS)) for (double x : v) c.store(c.op(name(fn) + " " + c.constant(t, x), t), t);
            for (Op.Compare.Fn fn : Op.Compare.Fn.values()) {
                for (int i = 0; i < 20; i++) compare(c, fn, t, v[r.nextInt(v.length)], v[r.nextInt(v.length)]);
            }
        }
        assertFoldsLikeCpu(c.kernel(), List.of(Op.Binary.class, Op.Unary.class, Op.Compare.class, Op.Fma.class));
    }

    @Test
    void conversionsFoldExactly(@Seed long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        Cases c = new Cases();
        double[] fv = floatValues(r);
        for (DType from : DType.values()) {
            Number[] values = from.isFloat() ? box(fv) : from.isBool() ? new Number[] {0L, 1L} : box(intValues(from, r));
            for (DType to : DType.values()) {
                if (to == from) continue;
                for (Number x : values) {
                    c.store(c.op("convert " + c.constant(from, x) + " {rounding=NEAREST_EVEN}", to), to);
                    if (from.isFloat() && to.isFloat() && to.bits() < 32 && to.bits() < from.bits()) {
                        c.store(c.op("convert " + c.constant(from, x) + " {rounding=TOWARD_ZERO}", to), to);
                    }
                }
            }
        }
        assertFoldsLikeCpu(c.kernel(), List.of(Op.Convert.class));
    }

    private static Number[] box(double[] v) { return java.util.Arrays.stream(v).boxed().toArray(Number[]::new); }

    private static Number[] box(long[] v) { return java.util.Arrays.stream(v).boxed().toArray(Number[]::new); }

    private static void binary(Cases c, Op.Binary.Fn fn, DType t, Number a, Number b) {
        c.store(c.op(name(fn) + " " + c.constant(t, a) + ", " + c.constant(t, b), t), t);
    }

    private static void compare(Cases c, Op.Compare.Fn fn, DType t, Number a, Number b) {
        c.store(c.op(name(fn) + " " + c.constant(t, a) + ", " + c.constant(t, b), DType.I1), DType.I1);
    }

    private static String name(Enum<?> fn) { return fn.name().toLowerCase(Locale.ROOT); }

    /** Ops the folder leaves to run time on purpose. */
    private static boolean leftToRunTime(Op op) {
        return op instanceof Op.Binary b && b.fn() == Op.Binary.Fn.UMULHI && b.result().type().dtype().bits() < 32
                || op instanceof Op.Convert c && !c.source().type().dtype().isFloat() && c.source().type().dtype().bits() == 64
                        && c.result().type().dtype().isFloat() && c.result().type().dtype().bits() < 32;
    }

    private static void assertFoldsLikeCpu(KernelIR kernel, List<Class<?>> foldedKinds) {
        KernelIR folded = Verifier.verify(new ConstantFolding().run(kernel));
        for (Op op : folded.body().ops()) {
            assertFalse(foldedKinds.contains(op.getClass()) && !leftToRunTime(op), () -> "not folded: " + dev.tessera.ir.Printer.print(op));
        }
        Map<DType, Integer> counts = new EnumMap<>(DType.class);
        for (Op op : kernel.body().ops()) if (op instanceof Op.Store s) counts.merge(s.value().type().dtype(), 1, Integer::sum);
        List<Tensor> expected = outputs(counts), actual = outputs(counts);
        IrRunner.run(kernel, new int[] {1}, expected.toArray());
        IrRunner.run(folded, new int[] {1}, actual.toArray());
        for (DType t : DType.values()) {
            double[] want = expected.get(t.ordinal()).toDoubleArray(), got = actual.get(t.ordinal()).toDoubleArray();
            long[] wantBits = expected.get(t.ordinal()).toLongArray(), gotBits = actual.get(t.ordinal()).toLongArray();
            for (int i = 0; i < want.length; i++) {
                boolean same = t.isFloat() ? Double.compare(want[i], got[i]) == 0 : wantBits[i] == gotBits[i];
                if (!same) fail(t + " case " + i + ": folded to " + (t.isFloat() ? String.valueOf(got[i]) : String.valueOf(gotBits[i]))
                        + ", the CPU computes " + (t.isFloat() ? String.valueOf(want[i]) : String.valueOf(wantBits[i])) + "\n" + describe(kernel, t, i));
            }
        }
    }

    /** The ops behind the i-th value stored as {@code t}, for the failure message. */
    private static String describe(KernelIR kernel, DType t, int index) {
        Map<dev.tessera.ir.Value, Op> defs = new java.util.HashMap<>();
        int seen = 0;
        for (Op op : kernel.body().ops()) {
            op.results().forEach(v -> defs.put(v, op));
            if (op instanceof Op.Store s && s.value().type().dtype() == t && seen++ == index) {
                Op producer = defs.get(s.value());
                StringBuilder sb = new StringBuilder(dev.tessera.ir.Printer.print(producer));
                for (var operand : producer.operands()) sb.append("\n  ").append(dev.tessera.ir.Printer.print(defs.get(operand)));
                return sb.toString();
            }
        }
        return "?";
    }

    private static List<Tensor> outputs(Map<DType, Integer> counts) {
        List<Tensor> out = new ArrayList<>();
        for (DType t : DType.values()) out.add(Tensor.zeros(t, Device.cpu(), Math.max(1, counts.getOrDefault(t, 0))));
        return out;
    }
}
