package dev.tessera.cpu;

import static dev.tessera.lang.TL.*;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tessera.ir.KernelIR;
import dev.tessera.ir.Parser;
import dev.tessera.ir.Verifier;
import dev.tessera.lang.Constexpr;
import dev.tessera.lang.Kernel;
import dev.tessera.lang.Tile;
import dev.tessera.lang.Var;
import dev.tessera.passes.Pipeline;
import dev.tessera.passes.RandomKernels;
import dev.tessera.runtime.Jit;
import dev.tessera.runtime.JitKernel;
import dev.tessera.runtime.Tensor;
import dev.tessera.semantic.TraceException;
import dev.tessera.testing.Seed;
import dev.tessera.testing.SeedExtension;
import dev.tessera.types.DType;
import dev.tessera.types.Numerics;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.function.BinaryOperator;
import java.util.function.Supplier;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Fused loops compute exactly what the ops' own steps compute: kernels of every op a loop fuses,
 * in every dtype, on edge values and on random bit patterns (NaN payloads, denormals, zero
 * divisors, shifts past the width), with masks that end inside a tile and masks with holes, in 1-D
 * and 2-D tiles, in loops, between reductions, with stores over their own input; and random IR
 * kernels before and after optimization. Every output byte must be the same both ways.
 */
@ExtendWith(SeedExtension.class)
class FusionMatchesUnfusedTest {
    static final int N = 1000, BLOCK = 128; // 8 programs; the last runs past the end of the tensors

    /** One elementwise computation of two loaded tiles, converted to the output's dtype by the kernel. */
    record Case(String name, BinaryOperator<Tile> f) {}

    static final List<Case> CASES = List.of(
            new Case("add sub mul", (a, b) -> a.add(b).mul(a).sub(b)),
            new Case("div", Tile::div),
            new Case("div_rn", TL_divRn()),
            new Case("rem", Tile::rem),
            new Case("maximum minimum", (a, b) -> maximum(a, b).sub(minimum(b, a))),
            new Case("maximum_nan", (a, b) -> maximumNan(a, b)),
            new Case("minimum_nan", (a, b) -> minimumNan(b, a)),
            new Case("fma", (a, b) -> fma(a, b, a)),
            new Case("pow", (a, b) -> pow(a, b)),
            new Case("compare select", (a, b) -> where(a.lt(b), a, b).add(where(a.ge(b), b, a))),
            new Case("eq ne le gt", (a, b) -> a.eq(b).to(DType.I32).add(a.ne(b).to(DType.I32).mul(2))
                    .add(a.le(b).to(DType.I32).mul(4)).add(a.gt(b).to(DType.I32).mul(8))),
            new Case("neg abs", (a, b) -> abs(a.neg()).add(b.neg())),
            new Case("exp log", (a, b) -> exp(a).add(log(b))),
            new Case("exp2 log2", (a, b) -> exp2(a).add(log2(b))),
            new Case("sqrt rsqrt", (a, b) -> sqrt(a).add(rsqrt(b)).add(sqrtRn(a))),
            new Case("sin cos tanh", (a, b) -> sin(a).add(cos(b)).add(tanh(a))),
            new Case("sigmoid erf", (a, b) -> sigmoid(a).add(erf(b))),
            new Case("floor ceil", (a, b) -> floor(a).add(ceil(b))),
            new Case("and or xor", (a, b) -> a.and(b).or(a.xor(b.not()))),
            new Case("shl shr", (a, b) -> a.shl(b).add(b.shr(a))),
            new Case("small shifts", (a, b) -> a.shl(b.and(7)).xor(a.shr(b.and(15)))),
            new Case("umulhi popcount", (a, b) -> umulhi(a, b).add(popcount(a))),
            new Case("to f16 bf16", (a, b) -> a.to(DType.F16).to(DType.F32).add(b.to(DType.BF16).to(DType.F32))),
            new Case("to fp8", (a, b) -> a.to(DType.FP8E4M3).to(DType.F32).add(b.to(DType.FP8E5M2).to(DType.F32))),
            new Case("to f16 toward zero", (a, b) -> a.to(DType.F16, Numerics.Rounding.TOWARD_ZERO).to(DType.F32)),
            new Case("to f32 toward zero", (a, b) -> a.to(DType.F64).to(DType.F32, Numerics.Rounding.TOWARD_ZERO)),
            new Case("to i8 u8", (a, b) -> a.to(DType.I8).to(DType.I32).add(b.to(DType.U8).to(DType.I32))),
            new Case("to i16 u16", (a, b) -> a.to(DType.I16).to(DType.I32).add(b.to(DType.U16).to(DType.I32))),
            new Case("to u32 i64", (a, b) -> a.to(DType.U32).to(DType.I64).add(b.to(DType.I64))),
            new Case("to u64 f64", (a, b) -> a.to(DType.U64).to(DType.F64).add(b.to(DType.F64))),
            new Case("to i1", (a, b) -> a.to(DType.I1).xor(b.to(DType.I1)).to(DType.I32)),
            new Case("from wide ints", (a, b) -> a.to(DType.I64).mul(b.to(DType.I64)).to(DType.BF16).to(DType.F32)),
            new Case("bitcast", (a, b) -> a.bitcast(sameWidthInteger(a.dtype())).add(b.bitcast(sameWidthInteger(b.dtype())))));

    private static BinaryOperator<Tile> TL_divRn() { return (a, b) -> divRn(a, b); }

    private static DType sameWidthInteger(DType t) {
        return switch (t.bits()) {
            case 64 -> t == DType.I64 ? DType.U64 : DType.I64;
            case 32 -> t == DType.I32 ? DType.U32 : DType.I32;
            case 16 -> t == DType.I16 ? DType.U16 : DType.I16;
            default -> t == DType.I8 ? DType.U8 : DType.I8;
        };
    }

    @Kernel
    static void elementwise(Tile x, Tile y, Tile out, Tile n, @Constexpr int BLOCK, @Constexpr int CASE, @Constexpr boolean HOLES) {
        Tile offs = multipleOf(programId(0).mul(BLOCK), BLOCK).add(arange(0, BLOCK));
        Tile mask = offs.lt(n);
        if (HOLES) mask = mask.and(offs.and(3).ne(1));
        boolean isFloat = x.elementType().isFloat();
        Tile a = isFloat ? load(x.add(offs), mask, 2.5) : load(x.add(offs), mask, 3L);
        Tile b = load(y.add(offs), mask);
        store(out.add(offs), CASES.get(CASE).f().apply(a, b).to(out.elementType()), mask);
    }

    static final JitKernel ELEMENTWISE = Jit.kernel(FusionMatchesUnfusedTest.class, "elementwise");

    @Test
    void everyOpInEveryDtype(@Seed long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        int checked = 0;
        for (DType t : DType.values()) {
            byte[] nice = niceValues(t, r), raw = rawValues(t, r);
            for (int c = 0; c < CASES.size(); c++) {
                boolean holes = (c + t.ordinal()) % 2 == 0;
                KernelIR ir;
                try (Tensor x = BothWays.ofBytes(t, N, nice); Tensor y = BothWays.ofBytes(t, N, raw); Tensor out = Tensor.zeros(t, BothWays.CPU, N)) {
                    ir = ELEMENTWISE.specialize(x, y, out, N, BLOCK, c, holes).ir();
                } catch (TraceException e) {
                    continue; // the op does not take this dtype
                }
                Supplier<Object[]> args = () -> new Object[] {BothWays.ofBytes(t, N, nice), BothWays.ofBytes(t, N, raw), BothWays.ofBytes(t, N, poison(t, N)), N};
                int loops = BothWays.check(CASES.get(c).name() + " on " + t + (holes ? " with holes" : ""), ir, new int[] {Math.ceilDiv(N, BLOCK)}, args);
                assertTrue(loops > 0, CASES.get(c).name() + " on " + t + " fuses");
                checked++;
            }
        }
        assertTrue(checked > 150, "only " + checked + " (dtype, case) pairs traced");
    }

    /** Edge values and ordinary ones, as bit patterns of t. */
    private static byte[] niceValues(DType t, SplittableRandom r) {
        double[] floats = {0, -0.0, 1, -1, 0.5, 2, 3, -3.5, 1e-3, 100, 448, 65504, 1e30, -1e30, Double.NaN,
                Double.POSITIVE_INFINITY, Double.NEGATIVE_INFINITY, 1e-40, 1 + 0x1p-11, 7.25};
        long[] ints = {0, 1, -1, 2, 7, 31, 32, 33, 63, 64, 127, 128, 255, -128, Long.MIN_VALUE, Long.MAX_VALUE, Integer.MIN_VALUE, 65535};
        long[] values = new long[N];
        double[] doubles = new double[N];
        for (int i = 0; i < N; i++) {
            doubles[i] = r.nextInt(3) == 0 ? r.nextGaussian() * 10 : floats[r.nextInt(floats.length)];
            values[i] = r.nextInt(3) == 0 ? r.nextLong() : ints[r.nextInt(ints.length)];
        }
        try (Tensor v = t.isFloat() ? Tensor.from(doubles, t, BothWays.CPU) : Tensor.fromLongs(values, t, BothWays.CPU)) {
            return BothWays.bytes(v);
        }
    }

    /** Random bit patterns, a fifth of them zero and a fifth small integers (divisors, shift counts). */
    private static byte[] rawValues(DType t, SplittableRandom r) {
        int es = t.byteSize();
        byte[] b = new byte[N * es];
        for (int i = 0; i < N; i++) {
            int kind = r.nextInt(5);
            long v = kind == 0 ? 0 : kind == 1 ? r.nextInt(70) : r.nextLong();
            for (int k = 0; k < es; k++) b[i * es + k] = (byte) (v >>> (8 * k));
        }
        return b;
    }

    private static byte[] poison(DType t, int n) {
        byte[] b = new byte[n * t.byteSize()];
        java.util.Arrays.fill(b, (byte) 0x5A);
        return b;
    }

    // ------------------------------------------------------------------ 2-D tiles, chunk by row

    @Kernel
    static void rows(Tile x, Tile y, Tile out, Tile rows, Tile cols, @Constexpr int R, @Constexpr int C, @Constexpr int CASE) {
        Tile r = programId(0).mul(R).add(arange(0, R)), c = arange(0, C);
        Tile offs = r.col().mul(cols).add(c.row());
        Tile mask = r.col().lt(rows).and(c.row().lt(cols));
        Tile a = load(x.add(offs), mask, 1.5), b = load(y.add(offs), mask, -2.0);
        store(out.add(offs), CASES.get(CASE).f().apply(a, b).to(out.elementType()), mask);
    }

    static final JitKernel ROWS = Jit.kernel(FusionMatchesUnfusedTest.class, "rows");

    @Test
    void twoDimensionalTiles(@Seed long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        int rows = 30, cols = 48, n = rows * cols; // 64-lane chunks: each row's runs past its end into the next row
        for (DType t : List.of(DType.F32, DType.BF16, DType.I32)) {
            byte[] nice = niceValues(t, r), raw = rawValues(t, r);
            for (int c : new int[] {0, 4, 9, 18}) {
                KernelIR ir;
                try (Tensor x = Tensor.zeros(t, BothWays.CPU, n); Tensor out = Tensor.zeros(t, BothWays.CPU, n)) {
                    ir = ROWS.specialize(x, x, out, rows, cols, 4, 64, c).ir();
                } catch (TraceException e) {
                    continue;
                }
                Supplier<Object[]> args = () -> new Object[] {BothWays.ofBytes(t, n, java.util.Arrays.copyOf(nice, n * t.byteSize())),
                        BothWays.ofBytes(t, n, java.util.Arrays.copyOf(raw, n * t.byteSize())), BothWays.ofBytes(t, n, poison(t, n)), rows, cols};
                assertTrue(BothWays.check("2-D " + CASES.get(c).name() + " on " + t, ir, new int[] {Math.ceilDiv(rows, 4)}, args) > 0);
            }
        }
    }

    // ------------------------------------------------------------------ stores over their own input

    @Kernel
    static void shifted(Tile x, Tile n, @Constexpr int BLOCK, @Constexpr int SHIFT) {
        Tile offs = arange(0, BLOCK);
        Tile mask = offs.lt(n);
        store(x.add(offs.add(8 + SHIFT)), load(x.add(offs.add(8)), mask).mul(2).add(1), mask); // from element 8: room to shift down
    }

    @Kernel
    static void shiftedRows(Tile x, Tile cols, @Constexpr int R, @Constexpr int C, @Constexpr int SHIFT) {
        Tile offs = arange(0, R).col().mul(cols).add(arange(0, C).row());
        store(x.add(offs.add(16 + SHIFT)), load(x.add(offs.add(16))).mul(3));
    }

    static final JitKernel SHIFTED = Jit.kernel(FusionMatchesUnfusedTest.class, "shifted");
    static final JitKernel SHIFTED_ROWS = Jit.kernel(FusionMatchesUnfusedTest.class, "shiftedRows");

    @Test
    void storesOverTheirOwnInput() {
        int n = 300;
        for (int shift : new int[] {-5, -1, 0, 1, 7}) {
            KernelIR ir;
            try (Tensor x = Tensor.zeros(DType.F32, BothWays.CPU, n)) {
                ir = SHIFTED.specialize(x, 256, 256, shift).ir();
            }
            Supplier<Object[]> args = () -> new Object[] {Tensor.rand(DType.F32, 7, BothWays.CPU, n), 256};
            assertTrue(BothWays.check("shift " + shift, ir, new int[] {1}, args) > 0);
        }
        for (int shift : new int[] {0, 1, 16, -16, 32}) {
            KernelIR ir;
            try (Tensor x = Tensor.zeros(DType.F32, BothWays.CPU, 200)) {
                ir = SHIFTED_ROWS.specialize(x, 32, 4, 16, shift).ir();
            }
            Supplier<Object[]> args = () -> new Object[] {Tensor.rand(DType.F32, 8, BothWays.CPU, 200).view(200), 32};
            assertTrue(BothWays.check("rows shifted by " + shift, ir, new int[] {1}, args) > 0);
        }
    }

    // ------------------------------------------------------------------ regions, reductions, pointer tiles

    @Kernel
    static void accumulate(Tile x, Tile out, Tile n, @Constexpr int BLOCK, @Constexpr int K) {
        Tile offs = programId(0).mul(BLOCK).add(arange(0, BLOCK));
        Tile mask = offs.lt(n);
        Var acc = var(zeros(F32, BLOCK));
        for (Tile k : range(0, K)) acc.set(acc.get().mul(0.5).add(exp(load(x.add(k.mul(n)).add(offs), mask, 0.0))));
        store(out.add(offs), acc.get(), mask);
    }

    @Kernel
    static void softmax(Tile x, Tile out, Tile n, @Constexpr int BLOCK) {
        Tile row = programId(0).to(I64), cols = arange(0, BLOCK);
        Tile mask = cols.lt(n);
        Tile v = load(x.add(row.mul(n)).add(cols), mask, Double.NEGATIVE_INFINITY);
        Tile e = exp(v.sub(max(v, 0)));
        store(out.add(row.mul(n)).add(cols), e.div(sum(e, 0)), mask);
    }

    @Kernel
    static void pickPointers(Tile x, Tile y, Tile out, Tile n, @Constexpr int BLOCK) {
        Tile offs = programId(0).mul(BLOCK).add(arange(0, BLOCK));
        Tile mask = offs.lt(n);
        Tile p = where(offs.and(1).eq(0), x.add(offs), y.add(offs));
        store(out.add(offs), load(p, mask, 0.0).mul(2), mask);
    }

    /** The mask is the same in every program (computed once per launch); the other value is computed in the loop. */
    @Kernel
    static void computedOther(Tile x, Tile out, Tile n, @Constexpr int BLOCK) {
        Tile row = programId(0).mul(n), cols = arange(0, BLOCK);
        Tile mask = cols.lt(n);
        Tile a = load(x.add(row).add(cols), mask, 0.0);
        Tile b = load(x.add(row.add(cols)), mask, a.mul(2).add(1));
        store(out.add(row.add(cols)), a.add(b), mask);
    }

    @Test
    void loopsReductionsAndPointerTiles() {
        int n = 300;
        KernelIR ir;
        try (Tensor x = Tensor.zeros(DType.F32, BothWays.CPU, 3 * n)) {
            ir = Jit.kernel(FusionMatchesUnfusedTest.class, "accumulate").specialize(x, x, n, 128, 3).ir();
        }
        assertTrue(BothWays.check("loop", ir, new int[] {3},
                () -> new Object[] {Tensor.randn(DType.F32, 3, BothWays.CPU, 3 * n), Tensor.zeros(DType.F32, BothWays.CPU, n), n}) > 0);
        try (Tensor x = Tensor.zeros(DType.F32, BothWays.CPU, 10 * n)) {
            ir = Jit.kernel(FusionMatchesUnfusedTest.class, "softmax").specialize(x, x, n, 512).ir();
        }
        assertTrue(BothWays.check("softmax", ir, new int[] {10},
                () -> new Object[] {Tensor.randn(DType.F32, 4, BothWays.CPU, 10 * n), Tensor.zeros(DType.F32, BothWays.CPU, 10 * n), n}) > 0);
        try (Tensor x = Tensor.zeros(DType.F32, BothWays.CPU, 10 * n)) {
            ir = Jit.kernel(FusionMatchesUnfusedTest.class, "computedOther").specialize(x, x, n, 512).ir();
        }
        assertTrue(BothWays.check("computed other", ir, new int[] {9},
                () -> new Object[] {Tensor.randn(DType.F32, 4, BothWays.CPU, 10 * n), Tensor.zeros(DType.F32, BothWays.CPU, 10 * n), n}) > 0);
        try (Tensor x = Tensor.zeros(DType.F32, BothWays.CPU, n)) {
            ir = Jit.kernel(FusionMatchesUnfusedTest.class, "pickPointers").specialize(x, x, x, n, 128).ir();
        }
        assertTrue(BothWays.check("pointer select", ir, new int[] {3}, () -> new Object[] {Tensor.randn(DType.F32, 5, BothWays.CPU, n),
                Tensor.randn(DType.F32, 6, BothWays.CPU, n), Tensor.zeros(DType.F32, BothWays.CPU, n), n}) > 0);
    }

    // ------------------------------------------------------------------ random IR

    @Test
    void randomKernelsBeforeAndAfterOptimization(@Seed long seed) {
        SplittableRandom seeds = new SplittableRandom(seed);
        int fused = 0;
        for (int i = 0; i < 60; i++) {
            long kernelSeed = seeds.nextLong();
            RandomKernels.Generated g = RandomKernels.generate(kernelSeed);
            KernelIR before = Verifier.verify(Parser.parse(g.text()));
            int block = 2 * RandomKernels.B, fs = Math.max(1, g.floatBlocks()) * block, is = Math.max(1, g.intBlocks()) * block;
            Supplier<Object[]> args = () -> new Object[] {Tensor.randn(DType.F32, kernelSeed, BothWays.CPU, RandomKernels.INPUT),
                    Tensor.randint(DType.I32, kernelSeed, -50, 50, BothWays.CPU, RandomKernels.INPUT),
                    Tensor.full(DType.F32, Double.NaN, BothWays.CPU, fs), Tensor.zeros(DType.I32, BothWays.CPU, is), 10};
            for (KernelIR ir : List.of(before, Pipeline.standard().run(before))) {
                if (BothWays.check("random kernel " + kernelSeed, ir, new int[] {2}, args) > 0) fused++;
            }
        }
        assertTrue(fused > 60, "only " + fused + " of 120 random kernels have a fused loop");
    }
}
