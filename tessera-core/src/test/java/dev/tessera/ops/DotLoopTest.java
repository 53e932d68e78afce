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
import dev.tessera.testing.Seed;
import dev.tessera.testing.SeedExtension;
import dev.tessera.types.DType;
import java.util.SplittableRandom;
import java.util.stream.Stream;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Dots accumulated over a run-time K loop, launched with num_stages 1 to 4 (what a pipelined
 * loop multi-buffers): K not a multiple of BK (a masked last step), fewer steps than stages, no
 * step at all, and sizes that are all multiples of 16 (another specialization); M and N edges
 * masked. The operands reach the dot in several ways: loaded at offsets computed from k, through
 * pointers carried and advanced by the loop (A row-major or [K, M], B row-major or nn.Linear's W
 * [N, K]), loaded one step ahead and carried in Vars, and computed after the load (scaled by a
 * run-time scalar, or i8 weights converted and scaled per column).
 */
@ExtendWith(SeedExtension.class)
class DotLoopTest {

    /**
     * c = a·b for a(i, p) at i·sam + p·sak and b(p, j) at p·sbk + j·sbn (b holds i8 weights for
     * "dequantized", converted and their columns scaled by colScale); scale multiplies a for "scaled".
     */
    @Kernel
    static void matmul(Tile a, Tile b, Tile c, Tile colScale, Tile scale, Tile M, Tile N, Tile K, Tile sam, Tile sak, Tile sbk, Tile sbn,
                       @Constexpr String FEED, @Constexpr int BM, @Constexpr int BN, @Constexpr int BK) {
        Tile rm = programId(0).mul(BM).add(arange(0, BM)), rn = programId(1).mul(BN).add(arange(0, BN)), rk = arange(0, BK);
        Tile rowsIn = rm.col().lt(M), colsIn = rn.row().lt(N);
        Tile aStart = a.add(rm.col().mul(sam)).add(rk.row().mul(sak)), bStart = b.add(rk.col().mul(sbk)).add(rn.row().mul(sbn));
        Var acc = var(zeros(c.elementType(), BM, BN));
        switch (FEED) {
            case "pointers" -> {
                Var ap = var(aStart), bp = var(bStart);
                for (Tile k : range(0, K, BK)) {
                    Tile left = K.sub(k);
                    acc.set(dot(load(ap.get(), rowsIn.and(rk.row().lt(left)), 0L), load(bp.get(), rk.col().lt(left).and(colsIn), 0L), acc.get()));
                    ap.set(ap.get().add(sak.mul(BK)));
                    bp.set(bp.get().add(sbk.mul(BK)));
                }
            }
            case "prefetched" -> { // the next step's operands are loaded before this step's dot, which takes them from Vars
                Var at = var(load(aStart, rowsIn.and(rk.row().lt(K)), 0L)), bt = var(load(bStart, rk.col().lt(K).and(colsIn), 0L));
                for (Tile k : range(0, K, BK)) {
                    Tile x = at.get(), y = bt.get(), next = k.add(BK), kn = next.add(rk);
                    at.set(load(aStart.add(next.mul(sak)), rowsIn.and(kn.row().lt(K)), 0L));
                    bt.set(load(bStart.add(next.mul(sbk)), kn.col().lt(K).and(colsIn), 0L));
                    acc.set(dot(x, y, acc.get()));
                }
            }
            default -> {
                for (Tile k : range(0, K, BK)) {
                    Tile ka = k.add(rk);
                    Tile x = load(aStart.add(k.mul(sak)), rowsIn.and(ka.row().lt(K)), 0L);
                    Tile y = load(bStart.add(k.mul(sbk)), ka.col().lt(K).and(colsIn), 0L);
                    DType in = a.elementType();
                    if (FEED.equals("scaled")) x = x.mul(scale).to(in);
                    if (FEED.equals("dequantized")) y = y.to(in).mul(load(colScale.add(rn), rn.lt(N), 0L).row());
                    acc.set(dot(x, y, acc.get()));
                }
            }
        }
        store(c.add(rm.col().mul(N)).add(rn.row()), acc.get(), rowsIn.and(colsIn));
    }

    static final JitKernel MATMUL = Jit.kernel(DotLoopTest.class, "matmul");

    /** B is stored as W [N, K] for "linear", else row-major [K, N]. */
    record Loop(DType in, String feed, boolean linear, int bm, int bn, int bk, int warps, int stages) {
        @Override
        public String toString() {
            return in + " " + feed + (linear ? " x·Wᵀ" : "") + " " + bm + "x" + bn + "x" + bk + " warps=" + warps + " stages=" + stages;
        }
    }

    static Stream<Arguments> loops() {
        DType f16 = DType.F16, bf16 = DType.BF16;
        return devicesWith(
                new Loop(f16, "offsets", false, 64, 64, 32, 4, 1), new Loop(f16, "offsets", false, 64, 64, 32, 4, 2),
                new Loop(f16, "offsets", false, 64, 64, 32, 4, 3), new Loop(f16, "offsets", false, 64, 64, 32, 4, 4),
                new Loop(f16, "pointers", true, 64, 128, 32, 4, 3), new Loop(bf16, "pointers", false, 32, 64, 64, 2, 3),
                new Loop(bf16, "pointers", true, 128, 32, 16, 8, 4), new Loop(DType.F32, "pointers", false, 128, 64, 32, 8, 3),
                new Loop(DType.F32, "offsets", true, 32, 32, 16, 1, 2), new Loop(DType.I8, "offsets", false, 64, 64, 64, 4, 4),
                new Loop(DType.I8, "pointers", true, 32, 64, 32, 2, 2), new Loop(DType.FP8E4M3, "pointers", false, 64, 32, 64, 2, 2),
                new Loop(DType.FP8E5M2, "offsets", true, 32, 32, 32, 4, 3), new Loop(DType.F64, "offsets", false, 32, 32, 16, 2, 2),
                new Loop(f16, "prefetched", false, 32, 32, 32, 1, 2), new Loop(DType.I8, "prefetched", true, 64, 32, 32, 4, 3),
                new Loop(bf16, "scaled", false, 64, 64, 32, 4, 3), new Loop(f16, "scaled", true, 16, 64, 16, 2, 1),
                new Loop(f16, "dequantized", false, 32, 64, 32, 4, 2), new Loop(bf16, "dequantized", true, 64, 32, 64, 4, 3));
    }

    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("loops")
    void accumulatesOverAKLoop(Device device, Loop l, @Seed long seed) {
        Device d = use(device);
        SplittableRandom r = new SplittableRandom(seed);
        JitKernel kernel = MATMUL.withOptions(l.warps(), l.stages());
        DType acc = Dots.accumulator(l.in());
        // several steps with a masked tail; one partial step (fewer than the stages); multiples of 16 everywhere; no step at all
        int[][] sizes = {{2 * l.bm() - 9, l.bn() + 13, 3 * l.bk() + 7}, {l.bm() - 1, l.bn() - 1, l.bk() - 5},
                {2 * l.bm(), 2 * l.bn(), 4 * l.bk()}, {l.bm(), l.bn(), 0}};
        for (int[] mnk : sizes) {
            int m = mnk[0], n = mnk[1], k = mnk[2];
            boolean dequantized = l.feed().equals("dequantized");
            Tensor a = Dots.operand(l.in(), d, r, m * k), b = Dots.operand(dequantized ? DType.I8 : l.in(), d, r, k * n);
            // scales with few significant bits: a product with one is exact before it is rounded to the operand's dtype
            Tensor colScale = Tensor.from(r.ints(n, 1, 17).mapToDouble(v -> v / 32.0).toArray(), l.in().isFloat() ? l.in() : DType.F32, d, n);
            double scale = 0.5 + r.nextInt(8) / 16.0;
            Tensor c = poisoned(acc, d, (long) m * n);
            int sam = k, sak = 1, sbk = l.linear() ? 1 : n, sbn = l.linear() ? k : 1;
            kernel.launch(grid(cdiv(m, l.bm()), cdiv(n, l.bn())), a, b, c, colScale, (float) scale, m, n, k, sam, sak, sbk, sbn, l.feed(),
                    l.bm(), l.bn(), l.bk());
            double[] A = a.toDoubleArray(), B = l.linear() ? Dots.transpose(b.toDoubleArray(), n, k) : b.toDoubleArray();
            if (l.feed().equals("scaled")) for (int i = 0; i < A.length; i++) A[i] = Dots.round(A[i] * scale, l.in());
            if (dequantized) {
                double[] s = colScale.toDoubleArray();
                for (int i = 0; i < B.length; i++) B[i] = Dots.round(B[i] * s[i % n], l.in());
            }
            if (l.in() == DType.F32) {
                A = Dots.tf32(A);
                B = Dots.tf32(B);
            }
            Dots.check(Dots.product(A, B, null, m, n, k), c, "dot " + l + " on " + m + "x" + n + "x" + k);
        }
    }
}
