package dev.tessera.ops;

import static dev.tessera.lang.TL.*;
import static dev.tessera.ops.Ops.*;
import static dev.tessera.runtime.Grid.grid;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.tessera.lang.Constexpr;
import dev.tessera.lang.Kernel;
import dev.tessera.lang.Tile;
import dev.tessera.runtime.Device;
import dev.tessera.runtime.Jit;
import dev.tessera.runtime.JitKernel;
import dev.tessera.runtime.Tensor;
import dev.tessera.testing.Check;
import dev.tessera.testing.Seed;
import dev.tessera.testing.SeedExtension;
import dev.tessera.testing.Tolerance;
import dev.tessera.trace.ArgSpec;
import dev.tessera.trace.KernelMethod;
import dev.tessera.trace.Tracer;
import dev.tessera.types.DType;
import dev.tessera.types.PointerType;
import java.math.BigInteger;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.stream.Stream;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Elementwise arithmetic in every dtype that takes it: floats against float64 references, integers
 * (signed and unsigned, 8 to 64 bits) exactly, with C's truncating division and remainder, arithmetic
 * and logical shifts, wrap-around, and Triton's promotion of mixed operands and Java literals.
 */
@ExtendWith(SeedExtension.class)
class ElementwiseArithmeticTest {
    static final int BLOCK = 256;

    @Kernel
    static void elementwise(Tile x, Tile y, Tile z, Tile out, Tile n, @Constexpr String OP, @Constexpr int BLOCK) {
        Tile offs = programId(0).mul(BLOCK).add(arange(0, BLOCK));
        Tile m = offs.lt(n);
        Tile a = load(x.add(offs), m), b = load(y.add(offs), m), c = load(z.add(offs), m);
        store(out.add(offs), apply(OP, a, b, c), m);
    }

    static Tile apply(String op, Tile a, Tile b, Tile c) {
        return switch (op) {
            case "add" -> a.add(b);
            case "sub" -> a.sub(b);
            case "mul" -> a.mul(b);
            case "div" -> a.div(b);
            case "rem" -> a.rem(b);
            case "neg" -> a.neg();
            case "abs" -> abs(a);
            case "maximum" -> maximum(a, b);
            case "minimum" -> minimum(a, b);
            case "and" -> a.and(b);
            case "or" -> a.or(b);
            case "xor" -> a.xor(b);
            case "not" -> a.not();
            case "shl" -> a.shl(b);
            case "shr" -> a.shr(b);
            case "umulhi" -> umulhi(a, b);
            case "popcount" -> popcount(a);
            case "fma" -> fma(a, b, c);
            case "pow" -> pow(a, b);
            case "divRn" -> divRn(a, b);
            case "cdiv" -> cdiv(a, b);
            case "clamp" -> clamp(a, minimum(b, c), maximum(b, c));
            // Java literals: they never widen a tile of the same kind (Triton's rule)
            case "add 3" -> a.add(3);
            case "mul 2.0" -> a.mul(2.0);
            case "sub 1L" -> a.sub(1L);
            case "rsub 5" -> scalar(5).to(a.dtype()).sub(a);
            default -> throw new IllegalArgumentException(op);
        };
    }

    static final JitKernel K = Jit.kernel(ElementwiseArithmeticTest.class, "elementwise");

    static Tensor run(Device d, DType outType, String op, Tensor x, Tensor y, Tensor z, int n) {
        Tensor out = poisoned(outType, d, n);
        K.launch(grid(cdiv(n, BLOCK)), x, y, z, out, n, op, BLOCK);
        return out;
    }

    // ------------------------------------------------------------------ floats

    static Stream<Arguments> floatOps() {
        return cases(concat(FLOATS, FP8), "add", "sub", "mul", "div", "rem", "neg", "abs", "maximum", "minimum",
                "fma", "pow", "divRn", "clamp", "mul 2.0", "add 3");
    }

    @ParameterizedTest(name = "{0} {1} {2}")
    @MethodSource("floatOps")
    void floats(Device device, DType t, String op, @Seed long seed) {
        Device d = use(device);
        SplittableRandom r = new SplittableRandom(seed);
        boolean fp8 = t.isFp8();
        for (int n : SIZES) {
            double lo = op.equals("pow") ? 0.5 : fp8 ? -3 : -4, hi = op.equals("pow") ? 2 : fp8 ? 3 : 4;
            Tensor x = randomFloats(t, d, r, n, lo, hi), y = randomFloats(t, d, r, n, op.equals("pow") ? -2 : lo, hi), z = randomFloats(t, d, r, n, lo, hi);
            double[] a = x.toDoubleArray(), b = y.toDoubleArray(), c = z.toDoubleArray();
            if (op.contains("div") || op.equals("rem")) avoidZeros(b, y, t);
            b = y.toDoubleArray();
            double[] ref = new double[n];
            for (int i = 0; i < n; i++) ref[i] = floatRef(op, a[i], b[i], c[i]);
            double[] out = run(d, t, op, x, y, z, n).toDoubleArray();
            Tolerance tol = Tolerance.of(t);
            if (op.equals("pow") || op.equals("fma")) tol = tol.scaled(2); // two roundings in narrow types (f32 then the dtype)
            Check.close(ref, out, tol, describe(op, t, n));
        }
    }

    /** Replaces divisors near zero (|b| < 0.25) so quotients stay in range. */
    private static void avoidZeros(double[] b, Tensor y, DType t) {
        for (int i = 0; i < b.length; i++) if (Math.abs(b[i]) < 0.25) b[i] = b[i] < 0 ? -1.5 : 1.5;
        y.write(b);
    }

    static double floatRef(String op, double a, double b, double c) {
        return switch (op) {
            case "add" -> a + b;
            case "sub" -> a - b;
            case "mul" -> a * b;
            case "div", "divRn" -> a / b;
            case "rem" -> a % b; // C fmod: the sign of the dividend
            case "neg" -> -a;
            case "abs" -> Math.abs(a);
            case "maximum" -> Math.max(a, b);
            case "minimum" -> Math.min(a, b);
            case "fma" -> a * b + c;
            case "pow" -> Math.pow(a, b);
            case "clamp" -> Math.min(Math.max(a, Math.min(b, c)), Math.max(b, c));
            case "mul 2.0" -> a * 2;
            case "add 3" -> a + 3;
            default -> throw new IllegalArgumentException(op);
        };
    }

    // ------------------------------------------------------------------ integers

    static Stream<Arguments> intOps() {
        return cases(INTS, "add", "sub", "mul", "div", "rem", "neg", "abs", "maximum", "minimum", "and", "or", "xor", "not",
                "shl", "shr", "umulhi", "popcount", "cdiv", "clamp", "add 3", "sub 1L", "rsub 5");
    }

    @ParameterizedTest(name = "{0} {1} {2}")
    @MethodSource("intOps")
    void integers(Device device, DType t, String op, @Seed long seed) {
        Device d = use(device);
        SplittableRandom r = new SplittableRandom(seed);
        for (int n : SIZES) {
            long[] a = new long[n], b = new long[n], c = new long[n];
            for (int i = 0; i < n; i++) {
                a[i] = randomValue(t, r);
                // a third of 64-bit dividends fit in 32 bits: the CUDA backend divides those apart
                if (t.bits() == 64 && r.nextInt(3) == 0) a[i] = t.isUnsigned() ? a[i] >>> 32 : (int) a[i];
                c[i] = randomValue(t, r);
                b[i] = switch (op) {
                    case "shl", "shr" -> r.nextInt(t.bits()); // shifts by the width or more are undefined on GPUs
                    case "div", "rem", "cdiv" -> divisor(t, r, a[i]);
                    default -> randomValue(t, r);
                };
                if (op.equals("cdiv")) { // cdiv is (a + b - 1) / b: keep it free of overflow and of negative operands
                    long range = 1L << Math.min(t.bits() - 2, 40);
                    a[i] = Math.floorMod(a[i], range);
                    b[i] = 1 + Math.floorMod(b[i], Math.min(1000, range));
                }
            }
            Tensor x = Tensor.fromLongs(a, t, d, n), y = Tensor.fromLongs(b, t, d, n), z = Tensor.fromLongs(c, t, d, n);
            long[] ref = new long[n];
            for (int i = 0; i < n; i++) ref[i] = intRef(op, t, a[i], b[i], c[i]);
            Check.equal(ref, run(d, t, op, x, y, z, n).toLongArray(), describe(op, t, n));
        }
    }

    /** A non-zero divisor, small or large, never -1 under the most negative dividend (overflow). */
    private static long divisor(DType t, SplittableRandom r, long dividend) {
        while (true) {
            long b = r.nextBoolean() ? r.nextLong(-100, 101) : randomValue(t, r);
            b = wrap(b, t);
            if (b == 0) continue;
            if (!t.isUnsigned() && b == -1 && dividend == min(t)) continue;
            return b;
        }
    }

    static long intRef(String op, DType t, long a, long b, long c) {
        int w = t.bits();
        boolean u = t.isUnsigned();
        return wrap(switch (op) {
            case "add" -> a + b;
            case "sub" -> a - b;
            case "mul" -> a * b;
            case "div" -> t == DType.U64 ? Long.divideUnsigned(a, b) : a / b; // truncates toward zero
            case "rem" -> t == DType.U64 ? Long.remainderUnsigned(a, b) : a % b; // sign of the dividend
            case "neg" -> -a;
            case "abs" -> u ? a : Math.abs(a);
            case "maximum" -> compare(a, b, t) >= 0 ? a : b;
            case "minimum" -> compare(a, b, t) <= 0 ? a : b;
            case "and" -> a & b;
            case "or" -> a | b;
            case "xor" -> a ^ b;
            case "not" -> ~a;
            case "shl" -> a << b;
            case "shr" -> u ? (t == DType.U64 ? a >>> b : a >> b) : a >> b; // logical for unsigned, arithmetic for signed
            case "umulhi" -> big(a & mask(w), DType.U64).multiply(big(b & mask(w), DType.U64)).shiftRight(w).longValue();
            case "popcount" -> Long.bitCount(a & mask(w));
            case "cdiv" -> (a + b - 1) / b;
            case "clamp" -> {
                long lo = compare(b, c, t) <= 0 ? b : c, hi = compare(b, c, t) <= 0 ? c : b;
                long m = compare(a, lo, t) >= 0 ? a : lo;
                yield compare(m, hi, t) <= 0 ? m : hi;
            }
            case "add 3" -> a + 3;
            case "sub 1L" -> a - 1;
            case "rsub 5" -> 5 - a;
            default -> throw new IllegalArgumentException(op);
        }, t);
    }

    private static long mask(int bits) { return bits == 64 ? -1L : (1L << bits) - 1; }

    // ------------------------------------------------------------------ wrap-around and edge values

    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("dev.tessera.ops.ElementwiseArithmeticTest#intTypes")
    void integerEdgesWrapAround(Device device, DType t) {
        Device d = use(device);
        long lo = min(t), hi = max(t);
        long[] a = {hi, lo, hi, lo, -7 & mask(t.bits()), 7, lo, hi};
        long[] b = {1, wrap(-1, t), hi, lo, 2, wrap(-2, t), 1, 2};
        a = java.util.Arrays.stream(a).map(v -> wrap(v, t)).toArray();
        b = java.util.Arrays.stream(b).map(v -> wrap(v, t)).toArray();
        int n = a.length;
        Tensor x = Tensor.fromLongs(a, t, d, n), y = Tensor.fromLongs(b, t, d, n);
        for (String op : new String[] {"add", "sub", "mul", "neg", "abs"}) {
            long[] ref = new long[n];
            for (int i = 0; i < n; i++) ref[i] = intRef(op, t, a[i], b[i], 0);
            Check.equal(ref, run(d, t, op, x, y, x, n).toLongArray(), op + " " + t + " at the edges of the range");
        }
    }

    static Stream<Arguments> intTypes() { return cases(INTS); }

    @ParameterizedTest(name = "{0}")
    @MethodSource("dev.tessera.testing.TestDevices#all")
    void divisionTruncatesAndRemainderTakesTheDividendsSign(Device device) {
        Device d = use(device);
        long[] a = {7, -7, 7, -7, 0, 1, -1, 6}, b = {2, 2, -2, -2, 3, 3, 3, -3};
        Tensor x = Tensor.fromLongs(a, DType.I32, d, 8), y = Tensor.fromLongs(b, DType.I32, d, 8);
        Check.equal(new long[] {3, -3, -3, 3, 0, 0, 0, -2}, run(d, DType.I32, "div", x, y, x, 8).toLongArray(), "i32 div");
        Check.equal(new long[] {1, -1, 1, -1, 0, 1, -1, 0}, run(d, DType.I32, "rem", x, y, x, 8).toLongArray(), "i32 rem");
        Tensor fx = Tensor.from(new double[] {7, -7, 7, -7, 5.5, -5.5}, DType.F32, d, 6);
        Tensor fy = Tensor.from(new double[] {2, 2, -2, -2, 2, 2}, DType.F32, d, 6);
        Check.close(new double[] {1, -1, 1, -1, 1.5, -1.5}, run(d, DType.F32, "rem", fx, fy, fx, 6).toDoubleArray(),
                Tolerance.EXACT, "f32 rem is fmod");
    }

    /**
     * 64-bit division mixes operands that fit in 32 bits (the CUDA backend divides those in 32
     * bits) with ones that do not (an inline long division) in one launch, lane by lane: the edges
     * of both, the 32-bit overflow of -2^31 / -1, and the 64-bit one of its most negative value.
     */
    @ParameterizedTest(name = "{0}")
    @MethodSource("dev.tessera.testing.TestDevices#all")
    void sixtyFourBitDivisionOnBothSidesOf32Bits(Device device) {
        Device d = use(device);
        long min32 = Integer.MIN_VALUE, max32 = Integer.MAX_VALUE;
        long[] a = {min32, min32, max32, -7, 1L << 40, -(1L << 40), 5, Long.MIN_VALUE, Long.MIN_VALUE, Long.MAX_VALUE, max32 + 1, -1, 1L << 40};
        long[] b = {-1, 7, 1, 2, 3, 7, 1L << 33, 3, -1, -(1L << 35), max32 + 1, Long.MIN_VALUE, -1};
        int n = a.length;
        long[] quotients = new long[n], remainders = new long[n];
        for (int i = 0; i < n; i++) {
            quotients[i] = b[i] == -1 ? -a[i] : a[i] / b[i];   // Java's MIN / -1 wraps to MIN, as Tessera's does
            remainders[i] = b[i] == -1 ? 0 : a[i] % b[i];
        }
        Tensor x = Tensor.fromLongs(a, DType.I64, d, n), y = Tensor.fromLongs(b, DType.I64, d, n);
        Check.equal(quotients, run(d, DType.I64, "div", x, y, x, n).toLongArray(), "i64 div");
        Check.equal(remainders, run(d, DType.I64, "rem", x, y, x, n).toLongArray(), "i64 rem");
        long[] ua = {0xFFFF_FFFFL, 0xFFFF_FFFFL, -1L, -1L, 1L << 63, 12345, 0x1_0000_0000L};
        long[] ub = {16, 0xFFFF_FFFFL, 0xFFFF_FFFFL, -1L, 3, 1L << 40, 0xFFFF_FFFFL};
        int m = ua.length;
        long[] uq = new long[m], ur = new long[m];
        for (int i = 0; i < m; i++) {
            uq[i] = Long.divideUnsigned(ua[i], ub[i]);
            ur[i] = Long.remainderUnsigned(ua[i], ub[i]);
        }
        Tensor ux = Tensor.fromLongs(ua, DType.U64, d, m), uy = Tensor.fromLongs(ub, DType.U64, d, m);
        Check.equal(uq, run(d, DType.U64, "div", ux, uy, ux, m).toLongArray(), "u64 div");
        Check.equal(ur, run(d, DType.U64, "rem", ux, uy, ux, m).toLongArray(), "u64 rem");
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("dev.tessera.testing.TestDevices#all")
    void unsignedOperandsAreUnsigned(Device device) {
        Device d = use(device);
        // 0xFFFFFFF0 is 4294967280 as u32: division, comparison and right shift must see that
        long big = 0xFFFF_FFF0L;
        Tensor x = Tensor.fromLongs(new long[] {big, big, 1}, DType.U32, d, 3);
        Tensor y = Tensor.fromLongs(new long[] {16, 3, 2}, DType.U32, d, 3);
        Check.equal(new long[] {big / 16, big / 3, 0}, run(d, DType.U32, "div", x, y, x, 3).toLongArray(), "u32 div");
        Check.equal(new long[] {big >>> 16, big >>> 3, 0}, run(d, DType.U32, "shr", x, y, x, 3).toLongArray(), "u32 shr");
        Check.equal(new long[] {big, big, 2}, run(d, DType.U32, "maximum", x, y, x, 3).toLongArray(), "u32 maximum");
        Tensor sx = Tensor.fromLongs(new long[] {-16, -16, 1}, DType.I32, d, 3);
        Tensor sy = Tensor.fromLongs(new long[] {16, 3, 2}, DType.I32, d, 3);
        Check.equal(new long[] {-1, -2, 0}, run(d, DType.I32, "shr", sx, sy, sx, 3).toLongArray(), "i32 shr is arithmetic");
        // mixed i32 and u32 compute in u32 (prefer unsigned), so the shift is logical
        Check.equal(new long[] {0xFFFFL, 0x1FFFFFFEL, 0}, run(d, DType.U32, "shr", sx, y, sx, 3).toLongArray(), "i32 >> u32 is u32");
    }

    // ------------------------------------------------------------------ promotion of mixed operands

    static Stream<Arguments> mixed() {
        return devicesWith(
                new Mix(DType.I8, DType.U8, DType.U8), new Mix(DType.I16, DType.I32, DType.I32), new Mix(DType.U32, DType.I64, DType.I64),
                new Mix(DType.I32, DType.U32, DType.U32), new Mix(DType.U16, DType.I8, DType.U16), new Mix(DType.I32, DType.F16, DType.F16),
                new Mix(DType.F16, DType.BF16, DType.F16), new Mix(DType.BF16, DType.I32, DType.F32), new Mix(DType.I64, DType.F32, DType.F32),
                new Mix(DType.F64, DType.I8, DType.F64), new Mix(DType.FP8E4M3, DType.FP8E5M2, DType.F16), new Mix(DType.F16, DType.F32, DType.F32));
    }

    /** Operands of types a and b, which compute in c (Triton's rules, written out here). */
    record Mix(DType a, DType b, DType c) {
        @Override
        public String toString() { return a + "+" + b + "->" + c; }
    }

    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("mixed")
    void mixedOperandsPromote(Device device, Mix mix, @Seed long seed) {
        Device d = use(device);
        SplittableRandom r = new SplittableRandom(seed);
        int n = 100;
        Tensor x = mixedInput(mix.a(), d, r, n), y = mixedInput(mix.b(), d, r, n);
        double[] a = x.toDoubleArray(), b = y.toDoubleArray();
        long[] la = x.toLongArray(), lb = y.toLongArray();
        // the result is stored in c, so that a wider result would show
        Tensor out = run(d, mix.c(), "add", x, y, x, n);
        if (mix.c().isFloat()) {
            double[] ref = new double[n];
            for (int i = 0; i < n; i++) ref[i] = a[i] + b[i];
            Check.close(ref, out.toDoubleArray(), Tolerance.of(mix.c()), "add " + mix);
        } else {
            long[] ref = new long[n];
            for (int i = 0; i < n; i++) ref[i] = wrap(wrap(la[i], mix.c()) + wrap(lb[i], mix.c()), mix.c());
            Check.equal(ref, out.toLongArray(), "add " + mix);
        }
        assertEquals(mix.c(), traceType("resultType", mix.a(), mix.b()), "the dtype of " + mix.a() + " + " + mix.b());
    }

    private static Tensor mixedInput(DType t, Device d, SplittableRandom r, int n) {
        if (t.isFloat()) return randomFloats(t, d, r, n, -3, 3);
        return randomInts(t, d, r, t.isUnsigned() ? 0 : -100, 100, n);
    }

    /** Set while tracing the probe kernels below: the dtype of the expression they examine. */
    static final ThreadLocal<DType> SEEN = new ThreadLocal<>();

    @Kernel
    static void resultType(Tile x, Tile y) { SEEN.set(load(x).add(load(y)).dtype()); }

    @Kernel
    static void literalType(Tile x, Tile y) { SEEN.set(load(x).add(4.0).dtype()); }

    /** Traces a probe kernel for pointers to a and b and returns the dtype it saw. */
    static DType traceType(String kernel, DType a, DType b) {
        SEEN.remove();
        Tracer.trace(KernelMethod.of(ElementwiseArithmeticTest.class, kernel),
                List.of(new ArgSpec(new PointerType(a), 16, false), new ArgSpec(new PointerType(b), 16, false)), Map.of());
        return SEEN.get();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("dev.tessera.testing.TestDevices#all")
    void literalsDoNotWidenTilesOfTheirKind(Device device) {
        Device d = use(device);
        // (u8, int) -> u8 in Triton's documented rules: 250 + 3 wraps to 253, 255 + 3 to 2
        Tensor x = Tensor.fromLongs(new long[] {250, 255, 0}, DType.U8, d, 3);
        Tensor out = poisoned(DType.I32, d, 3);
        K.launch(grid(1), x, x, x, out, 3, "add 3", BLOCK);
        Check.equal(new long[] {253, 2, 3}, out.toLongArray(), "u8 tile + 3 computes in u8");
        // (i8, long) stays i8: 127 + 1 wraps
        Tensor s = Tensor.fromLongs(new long[] {-128, 0, 5}, DType.I8, d, 3);
        Tensor so = poisoned(DType.I32, d, 3);
        K.launch(grid(1), s, s, s, so, 3, "sub 1L", BLOCK);
        Check.equal(new long[] {127, -1, 4}, so.toLongArray(), "i8 tile - 1L computes in i8");
        // (bf16, float) stays bf16: the product is rounded to bf16 before the f32 store
        Tensor b = Tensor.from(new double[] {1.0078125, 3.0}, DType.BF16, d, 2); // 1 + 2^-7, exact in bf16
        Tensor bo = poisoned(DType.F32, d, 2);
        K.launch(grid(1), b, b, b, bo, 2, "mul 2.0", BLOCK);
        Check.close(new double[] {2.015625, 6.0}, bo.toDoubleArray(), Tolerance.EXACT, "bf16 tile * 2.0");
        // (i16, float) -> f32, (u8, float) -> f32, (bf16, float) -> bf16
        assertEquals(DType.F32, traceType("literalType", DType.I16, DType.I16), "i16 tile + 4.0");
        assertEquals(DType.F32, traceType("literalType", DType.U8, DType.U8), "u8 tile + 4.0");
        assertEquals(DType.BF16, traceType("literalType", DType.BF16, DType.BF16), "bf16 tile + 4.0");
    }

    // ------------------------------------------------------------------ narrow floats round after every operation

    @Kernel
    static void chain(Tile x, Tile out, @Constexpr int N) {
        Tile k = arange(0, N);
        Tile a = load(x.add(k.mul(3))), b = load(x.add(k.mul(3)).add(1)), c = load(x.add(k.mul(3)).add(2));
        store(out.add(k.mul(3)), a.add(b).add(c)); // two roundings to the dtype
        store(out.add(k.mul(3)).add(1), a.mul(b).add(c)); // two roundings
        store(out.add(k.mul(3)).add(2), fma(a, b, c)); // one rounding
    }

    static final JitKernel CHAIN = Jit.kernel(ElementwiseArithmeticTest.class, "chain");

    static Stream<Arguments> narrowTypes() { return cases(DType.F16, DType.BF16, DType.FP8E4M3, DType.FP8E5M2); }

    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("narrowTypes")
    void narrowFloatsRoundToNearestEvenAfterEveryOperation(Device device, DType t) {
        Device d = use(device);
        int p = dev.tessera.testing.ReferenceNumerics.format(t).mantissaBits();
        double half = Math.scalb(1.0, -p - 1); // half an ulp at 1: 1 + half is a tie, rounding to 1
        double[] in = {1, half, half, 1 + 2 * half, 1 + 2 * half, -1};
        Tensor x = Tensor.from(in, t, d, in.length), out = poisoned(t, d, in.length);
        CHAIN.launch(grid(1), x, out, 2);
        double ulp = 2 * half;
        double[] ref = {
            1,           // (1 + half) ties to 1, and + half ties to 1 again (rounded once, the sum would be 1 + ulp)
            ulp,         // 1 * half + half
            ulp,         // fma(1, half, half)
            1 + 2 * ulp, // (1 + ulp) + (1 + ulp) - 1, every step exact
            2 * ulp,     // (1 + ulp)^2 = 1 + 2 ulp + ulp^2 rounds to 1 + 2 ulp; - 1
            dev.tessera.testing.ReferenceNumerics.round(2 * ulp + ulp * ulp, dev.tessera.testing.ReferenceNumerics.format(t), false), // fma: once
        };
        double[] o = out.toDoubleArray();
        Check.close(ref, o, Tolerance.EXACT, t + ": a+b+c, a*b+c, fma(a,b,c) round after each operation");
    }

    // ------------------------------------------------------------------ i1

    @Kernel
    static void logic(Tile x, Tile y, Tile out, Tile n, @Constexpr int BLOCK) {
        Tile offs = programId(0).mul(BLOCK).add(arange(0, BLOCK));
        Tile m = offs.lt(n);
        Tile a = load(x.add(offs), m), b = load(y.add(offs), m);
        Tile[] r = {a.and(b), a.or(b), a.xor(b), a.not(), a.eq(b), a.ne(b), a.lt(b), a.ge(b), where(a, 5, 9), a.to(I32).add(b.to(I32))};
        for (int k = 0; k < r.length; k++) store(out.add(offs.mul(r.length)).add(k), r[k], m); // unrolled while tracing
    }

    static final JitKernel LOGIC = Jit.kernel(ElementwiseArithmeticTest.class, "logic");

    @ParameterizedTest(name = "{0}")
    @MethodSource("dev.tessera.testing.TestDevices#all")
    void booleanLogic(Device device, @Seed long seed) {
        Device d = use(device);
        SplittableRandom r = new SplittableRandom(seed);
        for (int n : SIZES) {
            Tensor x = randomInts(DType.I1, d, r, 0, 1, n), y = randomInts(DType.I1, d, r, 0, 1, n);
            Tensor out = poisoned(DType.I32, d, 10L * n);
            LOGIC.launch(grid(cdiv(n, BLOCK)), x, y, out, n, BLOCK);
            long[] a = x.toLongArray(), b = y.toLongArray(), ref = new long[10 * n];
            for (int i = 0; i < n; i++) {
                long[] v = {a[i] & b[i], a[i] | b[i], a[i] ^ b[i], 1 - a[i], a[i] == b[i] ? 1 : 0, a[i] != b[i] ? 1 : 0,
                        a[i] < b[i] ? 1 : 0, a[i] >= b[i] ? 1 : 0, a[i] == 1 ? 5 : 9, a[i] + b[i]};
                System.arraycopy(v, 0, ref, 10 * i, 10);
            }
            Check.equal(ref, out.toLongArray(), "i1 logic, n=" + n);
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("dev.tessera.testing.TestDevices#all")
    void umulhiOfU32IsTheHighWord(Device device, @Seed long seed) {
        Device d = use(device);
        SplittableRandom r = new SplittableRandom(seed);
        int n = 513;
        long[] a = new long[n], b = new long[n], ref = new long[n];
        for (int i = 0; i < n; i++) {
            a[i] = r.nextLong() & 0xFFFF_FFFFL;
            b[i] = r.nextLong() & 0xFFFF_FFFFL;
            ref[i] = BigInteger.valueOf(a[i]).multiply(BigInteger.valueOf(b[i])).shiftRight(32).longValue();
        }
        Tensor x = Tensor.fromLongs(a, DType.U32, d, n), y = Tensor.fromLongs(b, DType.U32, d, n);
        Check.equal(ref, run(d, DType.U32, "umulhi", x, y, x, n).toLongArray(), "umulhi u32");
    }
}
