package dev.tessera.kernels.matmul;

import static dev.tessera.lang.TL.*;

import dev.tessera.ir.Op;
import dev.tessera.lang.Constexpr;
import dev.tessera.lang.Kernel;
import dev.tessera.lang.Tile;
import dev.tessera.lang.Var;
import dev.tessera.runtime.Jit;
import dev.tessera.runtime.JitKernel;

/**
 * The matmul kernel, C = A·B for strided A [M, K] and B [K, N]. Programs walk the output in groups
 * of GROUP rows of tiles, so programs running at the same time share rows of A and columns of B in
 * cache; each accumulates its [BM, BN] tile over K in steps of BK, in f32 for floating-point inputs
 * (f16, bf16, f32 as tf32 or in full precision) and in i32 for i8 inputs, and stores it converted
 * to C's dtype. {@link Matmul} launches it.
 */
public final class MatmulKernel {
    private MatmulKernel() {}

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
        // trace-time choice: integer dots are exact in i32 (i8 products summed over K < 2^17 cannot overflow)
        Var acc = var(zeros(a.elementType().isFloat() ? F32 : I32, BM, BN));
        for (Tile k : range(0, cdiv(K, BK))) {
            Tile left = K.sub(k.mul(BK));
            Tile at = load(aPtr.get(), rm.col().lt(M).and(rk.row().lt(left)), 0);
            Tile bt = load(bPtr.get(), rk.col().lt(left).and(rn.row().lt(N)), 0);
            acc.set(dot(at, bt, acc.get(), IEEE ? Op.Dot.Precision.IEEE : null));
            aPtr.set(aPtr.get().add(sak.mul(BK)));
            bPtr.set(bPtr.get().add(sbk.mul(BK)));
        }
        store(c.add(rm.col().mul(scm)).add(rn.row().mul(scn)), acc.get(), rm.col().lt(M).and(rn.row().lt(N)));
    }

    public static final JitKernel KERNEL = Jit.kernel(MatmulKernel.class, "matmul");
}
