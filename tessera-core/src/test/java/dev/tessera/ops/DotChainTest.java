package dev.tessera.ops;

import static dev.tessera.lang.TL.*;
import static dev.tessera.ops.Ops.*;
import static dev.tessera.runtime.Grid.grid;

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
import java.util.stream.Stream;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Dots whose operand is another dot's result: flash attention's inner loop (s = q·kᵀ, p = exp(s -
 * max) narrowed to f16 or bf16, o = p·v + o with the online-softmax rescaling; kᵀ through strides
 * or by trans of a [BN, D] load; pipelined with num_stages), and a product repeated in a run-time
 * loop whose A operand is the Var carrying the previous result.
 */
@ExtendWith(SeedExtension.class)
class DotChainTest {

    // ------------------------------------------------------------------ attention

    @Kernel
    static void attention(Tile q, Tile k, Tile v, Tile o, Tile scale, Tile n, @Constexpr boolean K_TRANS, @Constexpr int D,
                          @Constexpr int BM, @Constexpr int BN) {
        Tile rm = programId(0).mul(BM).add(arange(0, BM)), rn = arange(0, BN), rd = arange(0, D);
        DType in = q.elementType();
        Tile qt = load(q.add(rm.col().mul(D)).add(rd.row()), rm.col().lt(n), 0L);
        Var m = var(full(F32, Double.NEGATIVE_INFINITY, BM)), l = var(zeros(F32, BM)), acc = var(zeros(F32, BM, D));
        for (Tile s : range(0, n, BN)) {
            Tile cols = s.add(rn);
            Tile kt = K_TRANS ? trans(load(k.add(cols.col().mul(D)).add(rd.row()), cols.col().lt(n), 0L)) // [BN, D] loaded, then kᵀ
                    : load(k.add(rd.col()).add(cols.row().mul(D)), cols.row().lt(n), 0L);                 // [D, BN] through strides
            Tile scores = where(cols.row().lt(n), dot(qt, kt).mul(scale), Double.NEGATIVE_INFINITY);
            Tile mNew = maximum(m.get(), max(scores, 1));
            Tile p = exp(scores.sub(mNew.col())), alpha = exp(m.get().sub(mNew));
            l.set(l.get().mul(alpha).add(sum(p, 1)));
            Tile vt = load(v.add(cols.col().mul(D)).add(rd.row()), cols.col().lt(n), 0L);
            acc.set(dot(p.to(in), vt, acc.get().mul(alpha.col())));
            m.set(mNew);
        }
        store(o.add(rm.col().mul(D)).add(rd.row()), acc.get().div(l.get().col()), rm.col().lt(n));
    }

    static final JitKernel ATTENTION = Jit.kernel(DotChainTest.class, "attention");

    record Attention(DType in, boolean kTrans, int d, int bm, int bn, int warps, int stages) {
        @Override
        public String toString() {
            return in + (kTrans ? " trans(k)" : " strided kᵀ") + " D=" + d + " " + bm + "x" + bn + " warps=" + warps + " stages=" + stages;
        }
    }

    static Stream<Arguments> attentions() {
        return devicesWith(new Attention(DType.F16, false, 64, 64, 32, 4, 1), new Attention(DType.F16, true, 64, 64, 64, 4, 3),
                new Attention(DType.BF16, false, 16, 16, 64, 1, 2), new Attention(DType.BF16, true, 128, 128, 32, 8, 2));
    }

    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("attentions")
    void flashAttentionChainsTwoDots(Device device, Attention at, @Seed long seed) {
        Device d = use(device);
        SplittableRandom r = new SplittableRandom(seed);
        int n = 3 * at.bn() + 11, dim = at.d();
        double scale = 1 / Math.sqrt(dim);
        Tensor q = randomFloats(at.in(), d, r, n * dim, -2, 2), k = randomFloats(at.in(), d, r, n * dim, -2, 2);
        Tensor v = randomFloats(at.in(), d, r, n * dim, -1, 1), o = poisoned(DType.F32, d, (long) n * dim);
        ATTENTION.withOptions(at.warps(), at.stages()).launch(grid(cdiv(n, at.bm())), q, k, v, o, (float) scale, n, at.kTrans(), dim, at.bm(),
                at.bn());
        double[] Q = q.toDoubleArray(), K = k.toDoubleArray(), V = v.toDoubleArray(), ref = new double[n * dim];
        for (int i = 0; i < n; i++) {
            double[] s = new double[n];
            double mx = Double.NEGATIVE_INFINITY, den = 0;
            for (int j = 0; j < n; j++) {
                for (int c = 0; c < dim; c++) s[j] += Q[i * dim + c] * K[j * dim + c];
                s[j] *= scale;
                mx = Math.max(mx, s[j]);
            }
            for (int j = 0; j < n; j++) den += Math.exp(s[j] - mx);
            for (int j = 0; j < n; j++) for (int c = 0; c < dim; c++) ref[i * dim + c] += Math.exp(s[j] - mx) / den * V[j * dim + c];
        }
        // p enters the second dot rounded to the inputs' dtype: o moves by at most that rounding times max |v| = 1,
        // which the dtype's tolerance covers (the f32 scores and sums add far less)
        Check.close(ref, o.toDoubleArray(), Tolerance.of(at.in()), "attention " + at + ", n=" + n);
    }

    // ------------------------------------------------------------------ a result fed back as the next operand

    /** x ← (x·w) narrowed to x's dtype, T times in a run-time loop; out gets the last product before narrowing. */
    @Kernel
    static void repeated(Tile x, Tile w, Tile out, Tile T, @Constexpr int B, @Constexpr int D) {
        Tile rb = arange(0, B), rd = arange(0, D);
        Tile wt = load(w.add(rd.col().mul(D)).add(rd.row()));
        Var xv = var(load(x.add(rb.col().mul(D)).add(rd.row()))), y = var(zeros(F32, B, D));
        for (Tile t : range(0, T)) {
            Tile p = dot(xv.get(), wt);
            y.set(p);
            xv.set(p.to(x.elementType()));
        }
        store(out.add(rb.col().mul(D)).add(rd.row()), y.get());
    }

    static final JitKernel REPEATED = Jit.kernel(DotChainTest.class, "repeated");

    record Repeated(DType in, int b, int d, int warps) {
        @Override
        public String toString() { return in + " " + b + "x" + d + " warps=" + warps; }
    }

    static Stream<Arguments> repeats() {
        return devicesWith(new Repeated(DType.F16, 64, 64, 4), new Repeated(DType.BF16, 16, 32, 1));
    }

    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("repeats")
    void aResultCarriedInAVarIsTheNextOperand(Device device, Repeated rp, @Seed long seed) {
        Device d = use(device);
        SplittableRandom r = new SplittableRandom(seed);
        int b = rp.b(), dim = rp.d(), steps = 3;
        // w's entries have variance 1/dim, so the products stay about as large as x
        Tensor x = randomFloats(rp.in(), d, r, b * dim, -1, 1), w = randomFloats(rp.in(), d, r, dim * dim, -Math.sqrt(3.0 / dim), Math.sqrt(3.0 / dim));
        Tensor out = poisoned(DType.F32, d, (long) b * dim);
        REPEATED.withOptions(rp.warps(), 1).launch(grid(1), x, w, out, steps, b, dim);
        double[] X = x.toDoubleArray(), W = w.toDoubleArray();
        Dots.Reference ref = null;
        for (int t = 0; t < steps; t++) {
            if (ref != null) for (int i = 0; i < X.length; i++) X[i] = Dots.round(ref.values()[i], rp.in());
            ref = Dots.product(X, W, null, b, dim, dim);
        }
        // the earlier products were narrowed: an f32 sum that rounds the other way moves later ones by an ulp of the dtype
        Dots.check(ref, out, Tolerance.of(rp.in()), "repeated dot " + rp + ", " + steps + " steps");
    }
}
