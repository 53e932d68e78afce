package dev.tessera.ops;

import static dev.tessera.lang.TL.*;
import static dev.tessera.ops.Ops.*;
import static dev.tessera.runtime.Grid.grid;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tessera.backend.KernelFault;
import dev.tessera.lang.Precision;
import dev.tessera.lang.Constexpr;
import dev.tessera.lang.Kernel;
import dev.tessera.lang.Tile;
import dev.tessera.lang.Var;
import dev.tessera.runtime.Device;
import dev.tessera.runtime.Jit;
import dev.tessera.runtime.JitKernel;
import dev.tessera.runtime.Tensor;
import dev.tessera.testing.Check;
import dev.tessera.testing.Seed;
import dev.tessera.testing.SeedExtension;
import dev.tessera.testing.Tolerance;
import dev.tessera.types.DType;
import java.util.SplittableRandom;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import dev.tessera.lang.Precision;

/**
 * Run-time control flow: range loops with carried Vars (tiles, scalars, pointers; swaps; nested and
 * triangular loops; zero trips; run-time steps), three carried values as in flash attention, whileLoop,
 * when with and without else (also inside loops), and trace-time Java loops and ifs on constexprs.
 */
@ExtendWith(SeedExtension.class)
class ControlFlowTest {

    // ------------------------------------------------------------------ a loop over blocks of a row

    @Kernel
    static void rowSums(Tile x, Tile out, Tile n, Tile stride, @Constexpr int BLOCK) {
        Tile row = programId(0);
        Var acc = var(zeros(x.elementType() == F64 ? F64 : F32, BLOCK));
        Var ptr = var(x.add(row.mul(stride))); // a carried pointer
        for (Tile k : range(0, n, BLOCK)) {
            Tile cols = k.add(arange(0, BLOCK));
            acc.set(acc.get().add(load(ptr.get().add(arange(0, BLOCK)), cols.lt(n), 0.0)));
            ptr.set(ptr.get().add(BLOCK));
        }
        store(out.add(row), sum(acc.get()));
    }

    static final JitKernel ROW_SUMS = Jit.kernel(ControlFlowTest.class, "rowSums");

    @ParameterizedTest(name = "{0}")
    @MethodSource("dev.tessera.testing.TestDevices#all")
    void loopOverBlocksWithCarriedTileAndPointer(Device device, @Seed long seed) {
        Device d = use(device);
        SplittableRandom r = new SplittableRandom(seed);
        for (int n : new int[] {0, 1, 17, 1000, 4097}) {
            int rows = 5;
            Tensor x = randomFloats(DType.F32, d, r, Math.max(1, rows * n), -1, 1), out = poisoned(DType.F32, d, rows);
            ROW_SUMS.launch(grid(rows), x, out, n, n, 256);
            double[] in = x.toDoubleArray(), ref = new double[rows];
            for (int i = 0; i < rows; i++) for (int j = 0; j < n; j++) ref[i] += in[i * n + j];
            Check.close(ref, out.toDoubleArray(), Tolerance.of(DType.F32).scaled(10), "row sums over " + n + " columns");
        }
    }

    // ------------------------------------------------------------------ nested, triangular, swaps, 64-bit

    @Kernel
    static void nested(Tile ns, Tile out) {
        Tile n = load(ns.add(programId(0)));
        Var total = var(0L);
        Var fa = var(0L), fb = var(1L);
        for (Tile i : range(0, n)) {
            Var inner = var(0L); // created inside the outer loop, carried by the inner one
            for (Tile j : range(0, i.add(1))) { // triangular: j <= i
                inner.set(inner.get().add(i.to(I64).mul(j).add(1)));
            }
            total.set(total.get().add(inner.get()));
            Tile next = fa.get().add(fb.get()); // (a, b) = (b, a + b): a swap through the carried values
            fa.set(fb.get());
            fb.set(next);
        }
        Var wide = var(0L);
        for (Tile k : range(scalar(0L), n.to(I64).mul(3), scalar(2L))) { // 64-bit bounds and step
            wide.set(wide.get().add(k));
        }
        store(out.add(programId(0).mul(3)), total.get());
        store(out.add(programId(0).mul(3)).add(1), fa.get());
        store(out.add(programId(0).mul(3)).add(2), wide.get());
    }

    static final JitKernel NESTED = Jit.kernel(ControlFlowTest.class, "nested");

    @ParameterizedTest(name = "{0}")
    @MethodSource("dev.tessera.testing.TestDevices#all")
    void nestedTriangularLoopsSwapsAnd64BitBounds(Device device) {
        Device d = use(device);
        long[] ns = {0, 1, 2, 7, 30, 60};
        Tensor nt = Tensor.fromLongs(ns, DType.I32, d, ns.length), out = poisoned(DType.I64, d, 3L * ns.length);
        NESTED.launch(grid(ns.length), nt, out);
        long[] ref = new long[3 * ns.length];
        for (int p = 0; p < ns.length; p++) {
            long total = 0, a = 0, b = 1, wide = 0;
            for (long i = 0; i < ns[p]; i++) {
                for (long j = 0; j <= i; j++) total += i * j + 1;
                long next = a + b;
                a = b;
                b = next;
            }
            for (long k = 0; k < 3 * ns[p]; k += 2) wide += k;
            ref[3 * p] = total;
            ref[3 * p + 1] = a; // Fibonacci(n)
            ref[3 * p + 2] = wide;
        }
        Check.equal(ref, out.toLongArray(), "nested loops");
    }

    @Kernel
    static void stepped(Tile out, Tile lo, Tile hi, Tile step) {
        Var count = var(0);
        for (Tile k : range(lo, hi, step)) count.set(count.get().add(1));
        store(out, count.get());
    }

    static final JitKernel STEPPED = Jit.kernel(ControlFlowTest.class, "stepped");

    @ParameterizedTest(name = "{0}")
    @MethodSource("dev.tessera.testing.TestDevices#all")
    void runTimeStepsAndEmptyRanges(Device device) {
        Device d = use(device);
        int[][] cases = {{0, 10, 3, 4}, {5, 5, 1, 0}, {7, 3, 1, 0}, {-10, 10, 7, 3}, {0, 1, 100, 1}};
        for (int[] c : cases) {
            Tensor out = poisoned(DType.I32, d, 1);
            STEPPED.launch(grid(1), out, c[0], c[1], c[2]);
            assertEquals(c[3], out.toLongArray()[0], "range(" + c[0] + ", " + c[1] + ", " + c[2] + ")");
        }
        if (d.backend().equals("cpu")) { // a GPU cannot report this
            Tensor out = poisoned(DType.I32, d, 1);
            KernelFault f = assertThrows(KernelFault.class, () -> STEPPED.launch(grid(1), out, 0, 10, 0));
            assertTrue(f.getMessage().contains("range step must be positive"), f.getMessage());
        }
    }

    // ------------------------------------------------------------------ three carried values: online softmax and attention

    @Kernel
    static void softmaxWeightedSum(Tile x, Tile v, Tile out, Tile n, @Constexpr int BLOCK) {
        Tile row = programId(0).mul(n);
        Var m = var(full(F32, Double.NEGATIVE_INFINITY, BLOCK)), l = var(zeros(F32, BLOCK)), acc = var(zeros(F32, BLOCK));
        for (Tile s : range(0, n, BLOCK)) {
            Tile cols = s.add(arange(0, BLOCK));
            Tile keep = cols.lt(n);
            Tile xs = load(x.add(row).add(cols), keep, Double.NEGATIVE_INFINITY), vs = load(v.add(row).add(cols), keep, 0.0);
            Tile mNew = maximum(m.get(), xs);
            Tile alpha = exp(m.get().sub(mNew)), p = where(keep, exp(xs.sub(mNew)), 0.0);
            alpha = where(mNew.eq(Double.NEGATIVE_INFINITY), 1.0, alpha); // lanes that have seen nothing yet
            l.set(l.get().mul(alpha).add(p));
            acc.set(acc.get().mul(alpha).add(p.mul(vs)));
            m.set(mNew);
        }
        // combine the lanes: rescale each to the row maximum
        Tile mRow = max(m.get(), 0);
        Tile scale = where(m.get().eq(Double.NEGATIVE_INFINITY), 0.0, exp(m.get().sub(mRow)));
        store(out.add(programId(0)), sum(acc.get().mul(scale), 0).div(sum(l.get().mul(scale), 0)));
    }

    static final JitKernel SOFTMAX_SUM = Jit.kernel(ControlFlowTest.class, "softmaxWeightedSum");

    @ParameterizedTest(name = "{0}")
    @MethodSource("dev.tessera.testing.TestDevices#all")
    void onlineSoftmaxCarriesThreeValues(Device device, @Seed long seed) {
        Device d = use(device);
        SplittableRandom r = new SplittableRandom(seed);
        for (int n : new int[] {1, 17, 1000}) {
            int rows = 4;
            Tensor x = randomFloats(DType.F32, d, r, rows * n, -5, 5), v = randomFloats(DType.F32, d, r, rows * n, -1, 1);
            Tensor out = poisoned(DType.F32, d, rows);
            SOFTMAX_SUM.launch(grid(rows), x, v, out, n, 128);
            double[] X = x.toDoubleArray(), V = v.toDoubleArray(), ref = new double[rows];
            for (int i = 0; i < rows; i++) {
                double mx = Double.NEGATIVE_INFINITY, den = 0, num = 0;
                for (int j = 0; j < n; j++) mx = Math.max(mx, X[i * n + j]);
                for (int j = 0; j < n; j++) {
                    den += Math.exp(X[i * n + j] - mx);
                    num += Math.exp(X[i * n + j] - mx) * V[i * n + j];
                }
                ref[i] = num / den;
            }
            Check.close(ref, out.toDoubleArray(), Tolerance.of(DType.F32).scaled(20), "softmax-weighted sums over " + n);
        }
    }

    @Kernel
    static void attention(Tile q, Tile k, Tile v, Tile o, Tile scale, Tile n, @Constexpr int D, @Constexpr int BM, @Constexpr int BN,
                          @Constexpr boolean CAUSAL) {
        Tile start = programId(0).mul(BM);
        Tile rm = start.add(arange(0, BM)), rn = arange(0, BN), rd = arange(0, D);
        Tile qt = load(q.add(rm.col().mul(D)).add(rd.row()), rm.col().lt(n), 0.0);
        Var m = var(full(F32, Double.NEGATIVE_INFINITY, BM)), l = var(zeros(F32, BM)), acc = var(zeros(F32, BM, D));
        Tile end = CAUSAL ? minimum(start.add(BM), n) : n; // a trace-time if on a constexpr
        for (Tile s : range(0, end, BN)) {
            Tile cols = s.add(rn);
            Tile kt = load(k.add(cols.row().mul(D)).add(rd.col()), cols.row().lt(n), 0.0); // [D, BN]
            Tile keep = cols.row().lt(n);
            if (CAUSAL) keep = keep.and(rm.col().ge(cols.row()));
            Tile scores = where(keep, dot(qt, kt, zeros(F32, BM, BN), Precision.IEEE).mul(scale), Double.NEGATIVE_INFINITY);
            Tile mNew = maximum(m.get(), max(scores, 1));
            Tile p = exp(scores.sub(mNew.col())), alpha = exp(m.get().sub(mNew));
            l.set(l.get().mul(alpha).add(sum(p, 1)));
            Tile vt = load(v.add(cols.col().mul(D)).add(rd.row()), cols.col().lt(n), 0.0);
            acc.set(acc.get().mul(alpha.col()).add(dot(p, vt, zeros(F32, BM, D), Precision.IEEE)));
            m.set(mNew);
        }
        store(o.add(rm.col().mul(D)).add(rd.row()), acc.get().div(l.get().col()), rm.col().lt(n));
    }

    static final JitKernel ATTENTION = Jit.kernel(ControlFlowTest.class, "attention");

    @ParameterizedTest(name = "{0}")
    @MethodSource("dev.tessera.testing.TestDevices#all")
    void flashAttentionForward(Device device, @Seed long seed) {
        Device d = use(device);
        SplittableRandom r = new SplittableRandom(seed);
        int n = 50, dim = 16;
        double scale = 1 / Math.sqrt(dim);
        Tensor q = randomFloats(DType.F32, d, r, n * dim, -1, 1), k = randomFloats(DType.F32, d, r, n * dim, -1, 1);
        Tensor v = randomFloats(DType.F32, d, r, n * dim, -1, 1);
        double[] Q = q.toDoubleArray(), K = k.toDoubleArray(), V = v.toDoubleArray();
        for (boolean causal : new boolean[] {false, true}) {
            Tensor o = poisoned(DType.F32, d, (long) n * dim);
            ATTENTION.launch(grid(cdiv(n, 16)), q, k, v, o, (float) scale, n, dim, 16, 16, causal);
            double[] ref = new double[n * dim];
            for (int i = 0; i < n; i++) {
                int last = causal ? i : n - 1;
                double[] s = new double[last + 1];
                double mx = Double.NEGATIVE_INFINITY, den = 0;
                for (int j = 0; j <= last; j++) {
                    for (int c = 0; c < dim; c++) s[j] += Q[i * dim + c] * K[j * dim + c];
                    s[j] *= scale;
                    mx = Math.max(mx, s[j]);
                }
                for (int j = 0; j <= last; j++) den += Math.exp(s[j] - mx);
                for (int j = 0; j <= last; j++) for (int c = 0; c < dim; c++) ref[i * dim + c] += Math.exp(s[j] - mx) / den * V[j * dim + c];
            }
            Check.close(ref, o.toDoubleArray(), Tolerance.of(DType.F32).scaled(20), "attention, causal=" + causal);
        }
    }

    // ------------------------------------------------------------------ while and when

    @Kernel
    static void collatz(Tile x, Tile out) {
        Var value = var(load(x.add(programId(0))).to(I64)), steps = var(0);
        whileLoop(() -> value.get().ne(1), () -> {
            Tile v = value.get();
            value.set(where(v.rem(2).eq(0), v.div(2), v.mul(3).add(1)));
            steps.set(steps.get().add(1));
        });
        store(out.add(programId(0)), steps.get());
    }

    static final JitKernel COLLATZ = Jit.kernel(ControlFlowTest.class, "collatz");

    @ParameterizedTest(name = "{0}")
    @MethodSource("dev.tessera.testing.TestDevices#all")
    void whileLoopWithTwoCarriedScalars(Device device) {
        Device d = use(device);
        long[] starts = {1, 2, 3, 6, 7, 27, 97, 871};
        Tensor x = Tensor.fromLongs(starts, DType.I32, d, starts.length), out = poisoned(DType.I32, d, starts.length);
        COLLATZ.launch(grid(starts.length), x, out);
        long[] ref = new long[starts.length];
        for (int i = 0; i < starts.length; i++) {
            for (long v = starts[i]; v != 1; v = v % 2 == 0 ? v / 2 : 3 * v + 1) ref[i]++;
        }
        Check.equal(ref, out.toLongArray(), "Collatz steps");
    }

    @Kernel
    static void branches(Tile x, Tile out, Tile n, @Constexpr int BLOCK) {
        Tile pid = programId(0);
        Tile offs = pid.mul(BLOCK).add(arange(0, BLOCK));
        Tile m = offs.lt(n);
        Tile a = load(x.add(offs), m);
        Var result = var(a);
        when(pid.rem(2).eq(0), () -> result.set(a.mul(2))); // then only
        Var other = var(zeros(F32, BLOCK));
        when(pid.rem(3).eq(0), () -> other.set(a.add(100)), () -> other.set(a.sub(100))); // both branches
        Var count = var(zeros(F32, BLOCK));
        for (Tile i : range(0, 4)) {
            when(i.lt(pid.rem(4)), () -> count.set(count.get().add(1))); // a branch inside a loop
        }
        store(out.add(offs), result.get().add(other.get()).add(count.get().mul(1000)), m);
    }

    static final JitKernel BRANCHES = Jit.kernel(ControlFlowTest.class, "branches");

    @ParameterizedTest(name = "{0}")
    @MethodSource("dev.tessera.testing.TestDevices#all")
    void whenWithAndWithoutElseAndInsideLoops(Device device, @Seed long seed) {
        Device d = use(device);
        int n = 1000, block = 64;
        Tensor x = randomFloats(DType.F32, d, new SplittableRandom(seed), n, -10, 10), out = poisoned(DType.F32, d, n);
        BRANCHES.launch(grid(cdiv(n, block)), x, out, n, block);
        double[] in = x.toDoubleArray(), ref = new double[n];
        for (int i = 0; i < n; i++) {
            int pid = i / block;
            double a = in[i];
            double result = pid % 2 == 0 ? a * 2 : a, other = pid % 3 == 0 ? a + 100 : a - 100;
            ref[i] = result + other + (pid % 4) * 1000;
        }
        Check.close(ref, out.toDoubleArray(), Tolerance.of(DType.F32), "when");
    }

    @Kernel
    static void mixedNesting(Tile x, Tile out, Tile n) {
        Tile p = programId(0);
        Var total = var(0), i = var(0);
        Var a = var(1), b = var(2);
        Var mask = var(zeros(I1, 16)); // an i1 tile carried through the loops
        Var readOnly = var(load(x.add(arange(0, 16)))); // read in the loops, never set
        whileLoop(() -> i.get().lt(n), () -> {
            for (Tile j : range(0, i.get().add(1))) {
                when(j.rem(2).eq(0), () -> {
                    total.set(total.get().add(j));
                    when(j.eq(p), () -> { // swap a and b, only in one branch
                        Tile t = a.get();
                        a.set(b.get());
                        b.set(t);
                    });
                }, () -> total.set(total.get().sub(1)));
                mask.set(mask.get().or(arange(0, 16).eq(j)));
            }
            total.set(total.get().add(sum(readOnly.get().to(I32))));
            i.set(i.get().add(1));
        });
        Tile base = out.add(p.mul(20));
        store(base, total.get());
        store(base.add(1), a.get());
        store(base.add(2), b.get());
        store(base.add(arange(4, 20)), mask.get().to(I32));
    }

    static final JitKernel MIXED = Jit.kernel(ControlFlowTest.class, "mixedNesting");

    @ParameterizedTest(name = "{0}")
    @MethodSource("dev.tessera.testing.TestDevices#all")
    void forInsideWhileWithNestedWhensSwapsAndReadOnlyVars(Device device) {
        Device d = use(device);
        int programs = 6;
        double[] in = new double[16];
        for (int k = 0; k < 16; k++) in[k] = k % 3;
        Tensor x = Tensor.from(in, DType.I32, d, 16);
        for (int n : new int[] {0, 1, 5, 9}) {
            Tensor out = poisoned(DType.I32, d, 20L * programs);
            MIXED.launch(grid(programs), x, out, n);
            long[] ref = new long[20 * programs];
            long xs = 0;
            for (double v : in) xs += (long) v;
            for (int p = 0; p < programs; p++) {
                long total = 0, a = 1, b = 2;
                boolean[] mask = new boolean[16];
                for (int i = 0; i < n; i++) {
                    for (int j = 0; j <= i; j++) {
                        if (j % 2 == 0) {
                            total += j;
                            if (j == p) { long t = a; a = b; b = t; }
                        } else {
                            total -= 1;
                        }
                        if (j < 16) mask[j] = true;
                    }
                    total += xs;
                }
                ref[20 * p] = total;
                ref[20 * p + 1] = a;
                ref[20 * p + 2] = b;
                ref[20 * p + 3] = sentinel(DType.I32);
                for (int k = 0; k < 16; k++) ref[20 * p + 4 + k] = mask[k] ? 1 : 0;
            }
            Check.equal(ref, out.toLongArray(), "mixed nesting, n=" + n);
        }
    }

    // ------------------------------------------------------------------ trace-time Java control flow

    static final java.util.concurrent.atomic.AtomicInteger TRACES = new java.util.concurrent.atomic.AtomicInteger();

    @Kernel
    static void unrolled(Tile x, Tile out, @Constexpr int UNROLL, @Constexpr boolean SQUARE) {
        TRACES.incrementAndGet(); // the body runs once per specialization, never per launch
        Tile k = arange(0, 16);
        Tile a = load(x.add(k));
        Tile acc = zerosLike(a);
        for (int u = 0; u < UNROLL; u++) acc = acc.add(a.mul(u + 1)); // unrolled while tracing
        if (SQUARE) acc = acc.mul(acc);
        store(out.add(k), acc);
    }

    static final JitKernel UNROLLED = Jit.kernel(ControlFlowTest.class, "unrolled");

    @ParameterizedTest(name = "{0}")
    @MethodSource("dev.tessera.testing.TestDevices#all")
    void javaLoopsAndIfsOnConstexprsSpecialize(Device device) {
        Device d = use(device);
        double[] in = new double[16];
        for (int i = 0; i < 16; i++) in[i] = i - 8;
        Tensor x = Tensor.from(in, DType.F32, d, 16);
        int before = UNROLLED.compiledCount(), traces = TRACES.get();
        for (int round = 0; round < 2; round++) { // the second round finds every specialization compiled
            for (int unroll : new int[] {0, 1, 3}) {
                for (boolean square : new boolean[] {false, true}) {
                    Tensor out = poisoned(DType.F32, d, 16);
                    UNROLLED.launch(grid(1), x, out, unroll, square);
                    double[] ref = new double[16];
                    for (int i = 0; i < 16; i++) {
                        double s = in[i] * unroll * (unroll + 1) / 2.0;
                        ref[i] = square ? s * s : s;
                    }
                    Check.close(ref, out.toDoubleArray(), Tolerance.EXACT, "unroll " + unroll + " square " + square);
                }
            }
        }
        assertEquals(6, UNROLLED.compiledCount() - before, "one specialization per (UNROLL, SQUARE)");
        assertEquals(6, TRACES.get() - traces, "each traced once");
    }
}
