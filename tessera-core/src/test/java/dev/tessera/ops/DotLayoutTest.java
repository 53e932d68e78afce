package dev.tessera.ops;

import static dev.tessera.lang.TL.*;
import static dev.tessera.ops.Ops.*;
import static dev.tessera.runtime.Grid.grid;

import dev.tessera.lang.Constexpr;
import dev.tessera.lang.Kernel;
import dev.tessera.lang.Tile;
import dev.tessera.runtime.Device;
import dev.tessera.runtime.Jit;
import dev.tessera.runtime.JitKernel;
import dev.tessera.runtime.Tensor;
import dev.tessera.testing.Seed;
import dev.tessera.testing.SeedExtension;
import dev.tessera.testing.Tolerance;
import dev.tessera.types.DType;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import java.util.stream.Stream;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * How a dot's operands and result meet memory and other ops. Operands: A stored [M, K] or [K, M],
 * B stored [K, N] or as nn.Linear's W [N, K], each read through strides (the tile's contiguous
 * dimension is then K for W and M for a [K, M] A) or loaded in its stored orientation and
 * transposed with {@code trans}, so a tensor-core path must pick its shared-memory reads from the
 * contiguity. Results: fed into elementwise ops with a broadcast bias and a narrowing cast, stored
 * transposed, and reduced along each axis (masked rows excluded from the max).
 */
@ExtendWith(SeedExtension.class)
class DotLayoutTest {

    // ------------------------------------------------------------------ operands in either orientation

    /** c = a·b with a(i, p) at i·sam + p·sak and b(p, j) at p·sbk + j·sbn; TRANS_* loads the stored orientation and transposes it. */
    @Kernel
    static void strided(Tile a, Tile b, Tile c, Tile M, Tile N, Tile K, Tile sam, Tile sak, Tile sbk, Tile sbn,
                        @Constexpr boolean TRANS_A, @Constexpr boolean TRANS_B, @Constexpr int BM, @Constexpr int BN, @Constexpr int BK) {
        Tile rm = programId(0).mul(BM).add(arange(0, BM)), rn = programId(1).mul(BN).add(arange(0, BN)), rk = arange(0, BK);
        Tile at = TRANS_A ? trans(load(a.add(rk.col().mul(sak)).add(rm.row().mul(sam)), rk.col().lt(K).and(rm.row().lt(M)), 0L))
                : load(a.add(rm.col().mul(sam)).add(rk.row().mul(sak)), rm.col().lt(M).and(rk.row().lt(K)), 0L);
        Tile bt = TRANS_B ? trans(load(b.add(rn.col().mul(sbn)).add(rk.row().mul(sbk)), rn.col().lt(N).and(rk.row().lt(K)), 0L))
                : load(b.add(rk.col().mul(sbk)).add(rn.row().mul(sbn)), rk.col().lt(K).and(rn.row().lt(N)), 0L);
        store(c.add(rm.col().mul(N)).add(rn.row()), dot(at, bt), rm.col().lt(M).and(rn.row().lt(N)));
    }

    static final JitKernel STRIDED = Jit.kernel(DotLayoutTest.class, "strided");

    /** How an operand is stored and read: row-major and strided, the other orientation and strided, the other orientation and trans. */
    enum Access { ROW_MAJOR, STRIDED, TRANS }

    record Layout(DType in, Access a, Access b) {
        @Override
        public String toString() { return in + " A " + a + " B " + b; }
    }

    static Stream<Arguments> layouts() {
        List<Layout> all = new ArrayList<>();
        for (Access a : Access.values()) for (Access b : Access.values()) all.add(new Layout(DType.F16, a, b));
        // both operands K-contiguous (x·Wᵀ with a [K, M] x), through strides and through trans, for the other widths
        for (DType t : new DType[] {DType.BF16, DType.F32, DType.I8, DType.FP8E4M3, DType.FP8E5M2}) {
            all.add(new Layout(t, Access.STRIDED, Access.STRIDED));
            all.add(new Layout(t, Access.TRANS, Access.TRANS));
        }
        return devicesWith(all.toArray());
    }

    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("layouts")
    void operandsInEitherOrientation(Device device, Layout l, @Seed long seed) {
        Device d = use(device);
        SplittableRandom r = new SplittableRandom(seed);
        int bm = 64, bn = 32, bk = 32, m = 81, n = 45, k = 29;
        Tensor a = Dots.operand(l.in(), d, r, m * k), b = Dots.operand(l.in(), d, r, k * n);
        DType out = Dots.accumulator(l.in());
        Tensor c = poisoned(out, d, (long) m * n);
        // A [M, K] row-major, or [K, M]; B [K, N] row-major, or W [N, K]
        boolean aRowMajor = l.a() == Access.ROW_MAJOR, bRowMajor = l.b() == Access.ROW_MAJOR;
        int sam = aRowMajor ? k : 1, sak = aRowMajor ? 1 : m, sbk = bRowMajor ? n : 1, sbn = bRowMajor ? 1 : k;
        STRIDED.withOptions(4, 1).launch(grid(cdiv(m, bm), cdiv(n, bn)), a, b, c, m, n, k, sam, sak, sbk, sbn, l.a() == Access.TRANS,
                l.b() == Access.TRANS, bm, bn, bk);
        double[] A = aRowMajor ? a.toDoubleArray() : Dots.transpose(a.toDoubleArray(), k, m);
        double[] B = bRowMajor ? b.toDoubleArray() : Dots.transpose(b.toDoubleArray(), n, k);
        if (l.in() == DType.F32) {
            A = Dots.tf32(A);
            B = Dots.tf32(B);
        }
        Dots.check(Dots.product(A, B, null, m, n, k), c, "dot " + l + " on " + m + "x" + n + "x" + k);
    }

    // ------------------------------------------------------------------ results into other ops

    /**
     * One program: d = a·b over a masked [M, N] ≤ [BM, BN]; y = max(2d + bias, 0) cast to y's dtype;
     * dt = d stored transposed ([N, M]); rowSum = Σ_j d; colMax = max_i d over the rows below M.
     */
    @Kernel
    static void epilogue(Tile a, Tile b, Tile bias, Tile y, Tile dt, Tile rowSum, Tile colMax, Tile M, Tile N, Tile K,
                         @Constexpr int BM, @Constexpr int BN, @Constexpr int BK) {
        Tile rm = arange(0, BM), rn = arange(0, BN), rk = arange(0, BK);
        Tile rows = rm.col().lt(M), cols = rn.row().lt(N), inside = rows.and(cols);
        Tile at = load(a.add(rm.col().mul(K)).add(rk.row()), rows.and(rk.row().lt(K)), 0L);
        Tile bt = load(b.add(rk.col().mul(N)).add(rn.row()), rk.col().lt(K).and(cols), 0L);
        Tile prod = dot(at, bt);
        Tile shifted = maximum(prod.mul(2).add(load(bias.add(rn), rn.lt(N), 0L).row()), 0L);
        store(y.add(rm.col().mul(N)).add(rn.row()), shifted.to(y.elementType()), inside);
        store(dt.add(rn.row().mul(M)).add(rm.col()), prod, inside);
        store(rowSum.add(rm), sum(prod, 1), rm.lt(M));
        DType t = prod.elementType();
        Tile lowest = t.isFloat() ? full(t, Double.NEGATIVE_INFINITY, BM, BN) : full(t, min(t), BM, BN);
        store(colMax.add(rn), max(where(rows, prod, lowest), 0), rn.lt(N));
    }

    static final JitKernel EPILOGUE = Jit.kernel(DotLayoutTest.class, "epilogue");

    record Epilogue(DType in, int bm, int bn, int bk, int warps) {
        @Override
        public String toString() { return in + " " + bm + "x" + bn + "x" + bk + " warps=" + warps; }
    }

    static Stream<Arguments> epilogues() {
        return devicesWith(new Epilogue(DType.F16, 16, 16, 16, 1), new Epilogue(DType.F16, 64, 128, 32, 4),
                new Epilogue(DType.BF16, 128, 32, 64, 8), new Epilogue(DType.F32, 32, 64, 32, 2), new Epilogue(DType.I8, 64, 64, 32, 4),
                new Epilogue(DType.FP8E5M2, 32, 32, 32, 8));
    }

    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("epilogues")
    void resultsFeedElementwiseOpsAndReductions(Device device, Epilogue e, @Seed long seed) {
        Device d = use(device);
        SplittableRandom r = new SplittableRandom(seed);
        int m = e.bm() - 3, n = e.bn() - 5, k = e.bk() - 7;
        DType acc = Dots.accumulator(e.in()), narrow = acc.isFloat() ? DType.F16 : acc;
        Tensor a = Dots.operand(e.in(), d, r, m * k), b = Dots.operand(e.in(), d, r, k * n), bias = Dots.initial(acc, d, r, n);
        Tensor y = poisoned(narrow, d, (long) m * n), dt = poisoned(acc, d, (long) n * m);
        Tensor rowSum = poisoned(acc, d, m), colMax = poisoned(acc, d, n);
        EPILOGUE.withOptions(e.warps(), 1).launch(grid(1), a, b, bias, y, dt, rowSum, colMax, m, n, k, e.bm(), e.bn(), e.bk());

        double[] A = a.toDoubleArray(), B = b.toDoubleArray(), bs = bias.toDoubleArray();
        if (e.in() == DType.F32) {
            A = Dots.tf32(A);
            B = Dots.tf32(B);
        }
        Dots.Reference p = Dots.product(A, B, null, m, n, k);
        String what = "dot " + e + " on " + m + "x" + n + "x" + k;
        double[] yv = new double[m * n], ym = new double[m * n], sums = new double[m], sumMag = new double[m], maxes = new double[n];
        Arrays.fill(maxes, Double.NEGATIVE_INFINITY);
        for (int i = 0; i < m; i++) for (int j = 0; j < n; j++) {
            double v = p.values()[i * n + j];
            yv[i * n + j] = Math.max(2 * v + bs[j], 0);
            ym[i * n + j] = 2 * p.magnitudes()[i * n + j] + Math.abs(bs[j]);
            sums[i] += v;
            sumMag[i] += p.magnitudes()[i * n + j];
            maxes[j] = Math.max(maxes[j], v);
        }
        // y is rounded to f16 once more: f16's tolerance covers that rounding and the accumulator's
        Dots.check(new Dots.Reference(yv, ym), y, Tolerance.of(narrow), what + ": max(2d + bias, 0)");
        Dots.check(new Dots.Reference(Dots.transpose(p.values(), m, n), Dots.transpose(p.magnitudes(), m, n)), dt, what + ": stored transposed");
        Dots.check(new Dots.Reference(sums, sumMag), rowSum, what + ": row sums");
        // each maximum is one element of d: the elements' tolerance
        double[] maxMag = new double[n];
        Arrays.fill(maxMag, p.worst());
        Dots.check(new Dots.Reference(maxes, maxMag), colMax, what + ": column maxima");
    }
}
