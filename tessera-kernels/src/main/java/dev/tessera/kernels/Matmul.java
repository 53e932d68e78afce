package dev.tessera.kernels;

import static dev.tessera.lang.TL.*;
import static dev.tessera.runtime.Grid.grid;

import dev.tessera.ir.Op;
import dev.tessera.lang.Constexpr;
import dev.tessera.lang.Kernel;
import dev.tessera.lang.Tile;
import dev.tessera.lang.Var;
import dev.tessera.runtime.Jit;
import dev.tessera.runtime.JitKernel;
import dev.tessera.runtime.Tensor;

/**
 * C = A·B for row-major or strided A [M, K] and B [K, N]. Programs walk the output in groups of
 * GROUP rows of tiles, so programs running at the same time share rows of A and columns of B in
 * cache; each accumulates its [BM, BN] tile in f32 over K in steps of BK.
 */
public final class Matmul {
    private Matmul() {}

    @Kernel
    static void matmul(Tile a, Tile b, Tile c, Tile M, Tile N, Tile K,
                       Tile sam, Tile sak, Tile sbk, Tile sbn, Tile scm, Tile scn,
                       @Constexpr int BM, @Constexpr int BN, @Constexpr int BK, @Constexpr int GROUP,
                       @Constexpr boolean IEEE) {
        Tile pid = programId(0), tilesN = cdiv(N, BN), perGroup = tilesN.mul(GROUP);
        Tile first = pid.div(perGroup).mul(GROUP);
        Tile groupRows = minimum(cdiv(M, BM).sub(first), (long) GROUP);
        Tile pm = first.add(pid.rem(perGroup).rem(groupRows)), pn = pid.rem(perGroup).div(groupRows);

        Tile rm = pm.mul(BM).add(arange(0, BM)), rn = pn.mul(BN).add(arange(0, BN)), rk = arange(0, BK);
        Var aPtr = var(a.add(rm.col().mul(sam)).add(rk.row().mul(sak)));
        Var bPtr = var(b.add(rk.col().mul(sbk)).add(rn.row().mul(sbn)));
        Var acc = var(zeros(F32, BM, BN));
        for (Tile k : range(0, cdiv(K, BK))) {
            Tile left = K.sub(k.mul(BK));
            Tile at = load(aPtr.get(), rm.col().lt(M).and(rk.row().lt(left)), 0.0);
            Tile bt = load(bPtr.get(), rk.col().lt(left).and(rn.row().lt(N)), 0.0);
            acc.set(dot(at, bt, acc.get(), IEEE ? Op.Dot.Precision.IEEE : null));
            aPtr.set(aPtr.get().add(sak.mul(BK)));
            bPtr.set(bPtr.get().add(sbk.mul(BK)));
        }
        store(c.add(rm.col().mul(scm)).add(rn.row().mul(scn)), acc.get(), rm.col().lt(M).and(rn.row().lt(N)));
    }

    public static final JitKernel KERNEL = Jit.kernel(Matmul.class, "matmul");

    /** Block sizes and grouping for one launch. */
    public record Config(int bm, int bn, int bk, int group, int warps, int stages) {
        public static final Config DEFAULT = new Config(64, 64, 32, 8, 4, 3);
    }

    /** c = a·b with the given blocking; f32 operands use tf32 unless {@code ieee}. */
    public static void matmul(Tensor a, Tensor b, Tensor c, Config cfg, boolean ieee) {
        int m = Math.toIntExact(a.shape(0)), k = Math.toIntExact(a.shape(1)), n = Math.toIntExact(b.shape(1));
        if (b.shape(0) != k || c.shape(0) != m || c.shape(1) != n) {
            throw new IllegalArgumentException("matmul shapes: " + a + " · " + b + " -> " + c);
        }
        int programs = cdiv(m, cfg.bm()) * cdiv(n, cfg.bn());
        KERNEL.withOptions(cfg.warps(), cfg.stages()).launch(grid(programs), a, b, c, m, n, k,
                (int) a.stride(0), (int) a.stride(1), (int) b.stride(0), (int) b.stride(1), (int) c.stride(0), (int) c.stride(1),
                cfg.bm(), cfg.bn(), cfg.bk(), cfg.group(), ieee);
    }
}
