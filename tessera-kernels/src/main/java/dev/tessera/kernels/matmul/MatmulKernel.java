package dev.tessera.kernels.matmul;

import static dev.tessera.lang.TL.*;

import dev.tessera.ir.MemoryOrder;
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
 *
 * <p>With SPLIT &gt; 1 (float inputs only) the K steps of a tile are shared by SPLIT programs
 * (grid axis 1), for outputs with too few tiles to fill the GPU (64 rows by 4096 columns are 32
 * tiles of 64×128 on 132 SMs). Each writes its f32 partial tile into {@code partials} and counts
 * itself in the tile's {@code arrivals} counter; the last to arrive sums the SPLIT partials in
 * slice order (so the result does not depend on which program came last), stores C and sets the
 * counter back to 0 for the next launch (the serial split-K of CUTLASS: one launch, no memset).
 */
public final class MatmulKernel {
    private MatmulKernel() {}

    @Kernel
    static void matmul(Tile a, Tile b, Tile c, Tile M, Tile N, Tile K,
                       Tile sam, Tile sak, Tile sbk, Tile sbn, Tile scm, Tile scn, Tile partials, Tile arrivals,
                       @Constexpr int BM, @Constexpr int BN, @Constexpr int BK, @Constexpr int GROUP, @Constexpr int SPLIT,
                       @Constexpr boolean IEEE) {
        Tile pid = programId(0), tilesN = cdiv(N, BN), perGroup = tilesN.mul(GROUP);
        Tile first = pid.div(perGroup).mul(GROUP);
        Tile groupRows = minimum(cdiv(M, BM).sub(first), (long) GROUP);
        Tile pm = first.add(pid.rem(perGroup).rem(groupRows)), pn = pid.rem(perGroup).div(groupRows);

        Tile rm = pm.mul(BM).add(arange(0, BM)), rn = pn.mul(BN).add(arange(0, BN)), rk = arange(0, BK);
        // this program's K steps: all of them, or its slice of a split
        Tile steps = cdiv(K, BK), perSlice = cdiv(steps, SPLIT);
        Tile from = SPLIT == 1 ? zeros(I32) : programId(1).mul(perSlice), to = SPLIT == 1 ? steps : minimum(from.add(perSlice), steps);
        Var aPtr = var(a.add(rm.col().mul(sam)).add(rk.row().add(from.mul(BK)).mul(sak)));
        Var bPtr = var(b.add(rk.col().add(from.mul(BK)).mul(sbk)).add(rn.row().mul(sbn)));
        // trace-time choice: integer dots are exact in i32 (i8 products summed over K < 2^17 cannot overflow)
        Var acc = var(zeros(a.elementType().isFloat() ? F32 : I32, BM, BN));
        for (Tile k : range(from, to)) {
            Tile left = K.sub(k.mul(BK));
            Tile at = load(aPtr.get(), rm.col().lt(M).and(rk.row().lt(left)), 0);
            Tile bt = load(bPtr.get(), rk.col().lt(left).and(rn.row().lt(N)), 0);
            acc.set(dot(at, bt, acc.get(), IEEE ? Op.Dot.Precision.IEEE : null));
            aPtr.set(aPtr.get().add(sak.mul(BK)));
            bPtr.set(bPtr.get().add(sbk.mul(BK)));
        }
        Tile cPtr = c.add(rm.col().mul(scm)).add(rn.row().mul(scn)), inside = rm.col().lt(M).and(rn.row().lt(N));
        if (SPLIT == 1) {
            store(cPtr, acc.get(), inside);
            return;
        }
        Tile within = arange(0, BM).col().mul(BN).add(arange(0, BN).row());
        Tile slices = partials.add(pid.to(I64).mul(SPLIT * BM * BN));
        store(slices.add(programId(1).to(I64).mul(BM * BN)).add(within), acc.get());
        // every thread's partial is written before one thread counts the program in (release, GPU scope)
        debugBarrier();
        Tile arrived = atomicAdd(arrivals.add(pid), 1L);
        when(arrived.eq(SPLIT - 1), () -> {
            Var sum = var(zeros(F32, BM, BN));
            for (Tile s : range(0, SPLIT)) {
                // past L1: the other slices were written by other multiprocessors
                sum.set(sum.get().add(load(slices.add(s.to(I64).mul(BM * BN)).add(within), null, null, MemoryOrder.Cache.CG,
                        MemoryOrder.Eviction.NORMAL)));
            }
            store(cPtr, sum.get(), inside);
            store(arrivals.add(pid), 0L, null);
        });
    }

    public static final JitKernel KERNEL = Jit.kernel(MatmulKernel.class, "matmul");
}
