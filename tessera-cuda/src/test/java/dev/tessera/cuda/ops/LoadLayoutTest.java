package dev.tessera.cuda.ops;

import static dev.tessera.cuda.codegen.Kernels.args;
import static dev.tessera.cuda.codegen.Kernels.occurrences;
import static dev.tessera.cuda.codegen.Kernels.ptr;
import static dev.tessera.cuda.codegen.Kernels.scalar;
import static dev.tessera.cuda.ops.Differential.*;
import static dev.tessera.lang.TL.*;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.tessera.cuda.codegen.Kernels;
import dev.tessera.cuda.codegen.Ptxas;
import dev.tessera.cuda.codegen.Target;
import dev.tessera.lang.Constexpr;
import dev.tessera.lang.Kernel;
import dev.tessera.lang.Tile;
import dev.tessera.lang.Var;
import dev.tessera.runtime.Device;
import dev.tessera.runtime.Grid;
import dev.tessera.runtime.Jit;
import dev.tessera.runtime.Tensor;
import dev.tessera.types.DType;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * A load whose users want another layout that reads memory as well is read in that layout: a vector
 * broadcast against a loaded tile (a GEMV's x) arrives in the tile's slice, 16 bytes a thread,
 * instead of crossing shared memory with two barriers every step; a permutation within a
 * warp's 128 contiguous bytes is read permuted. A load that the wanted layout would read worse (a
 * transpose: lanes down the rows) keeps its coalesced layout. Results on every device are the
 * CPU backend's.
 */
class LoadLayoutTest {

    /** y[r] = Σ_k w[r, k]·x[k] over K in steps of BK, for BM rows a program (the library's GEMV loop). */
    @Kernel
    static void rowsTimesVector(Tile w, Tile x, Tile y, Tile m, Tile k, @Constexpr int BM, @Constexpr int BK) {
        Tile rows = programId(0).mul(BM).add(arange(0, BM)).to(I64);
        Tile rowMask = rows.lt(m);
        Var acc = var(zeros(F32, BM, BK));
        for (Tile k0 : range(0, k, BK)) {
            Tile ks = arange(0, BK).add(k0);
            Tile kMask = ks.lt(k);
            Tile wTile = load(w.add(rows.col().mul(k).add(ks.row())), rowMask.col().and(kMask.row()), 0.0).to(F32);
            acc.set(acc.get().add(wTile.mul(load(x.add(ks), kMask, 0.0).to(F32).row())));
        }
        store(y.add(rows), sum(acc.get(), 1), rowMask);
    }

    /** A [2, 4, 4] permutation of 32 contiguous elements: every lane's element is in the warp's 128 bytes. */
    @Kernel
    static void permuted(Tile x, Tile out) {
        Tile o = arange(0, 32);
        store(out.add(o), load(x.add(o)).reshape(2, 4, 4).permute(2, 1, 0).reshape(32));
    }

    /** An [8, 8] transpose: read as stored would put a warp's lanes down the columns. */
    @Kernel
    static void transposed(Tile x, Tile out) {
        Tile r = arange(0, 8).col(), c = arange(0, 8).row();
        store(out.add(c.mul(8).add(r)), load(x.add(r.mul(8).add(c))));
    }

    private static String loop(String ptx) {
        return ptx.substring(ptx.indexOf("\n$L_for_head"), ptx.indexOf("\n$L_for_end"));   // the labels where they are placed
    }

    @Test
    void aBroadcastVectorIsReadInTheTilesSlice() throws Exception {
        assumeTrue(Ptxas.path().isPresent(), Ptxas.missingReason());
        for (int[] arch : new int[][] {{8, 0}, {9, 0}}) {
            Target target = Ptxas.target(arch[0], arch[1]);
            String ptx = Kernels.ptx(Kernels.ir(LoadLayoutTest.class, "rowsTimesVector",
                    args(ptr(DType.BF16), ptr(DType.BF16), ptr(DType.F32), scalar(DType.I64), new dev.tessera.trace.ArgSpec(DType.I64, 16, false)),
                    "BM", 16, "BK", 256), 4, target).ptx();
            String loop = loop(ptx);
            assertFalse(loop.contains("layout conversion"), "nothing is converted in the loop:\n" + loop);
            assertEquals(0, occurrences(loop, "bar.sync"), "no barrier a step:\n" + loop);
            assertEquals(5, occurrences(loop, "ld.global.v4.b32"), "four 16-byte loads of W and one of x a thread:\n" + loop);
            Ptxas.Report r = Ptxas.assemble(ptx, target.ptx().arch());
            assertTrue(r.ok() && r.spillStores() <= 0, r.output());
        }
    }

    @Test
    void aPermutationWithinAWarpIsReadPermutedAndATransposeIsNot() {
        Target target = Target.of(dev.tessera.cuda.driver.PtxTarget.of(9, 0, 12080));
        String permuted = Kernels.ptx(Kernels.ir(LoadLayoutTest.class, "permuted", args(ptr(DType.F32), ptr(DType.F32))), 1, target).ptx();
        assertFalse(permuted.contains("layout conversion"), permuted);
        String transposed = Kernels.ptx(Kernels.ir(LoadLayoutTest.class, "transposed", args(ptr(DType.F32), ptr(DType.F32))), 1, target).ptx();
        assertTrue(transposed.contains("layout conversion"), "the load stays coalesced and the transpose converts:\n" + transposed);
    }

    static java.util.stream.Stream<Device> devicesToRun() { return devices(); }

    @ParameterizedTest
    @MethodSource("devicesToRun")
    void resultsAreTheCpuBackends(Device device) {
        require(device);
        int m = 45, k = 1000;
        Tensor w = Tensor.randn(DType.BF16, 11, Device.cpu(), m, k), x = Tensor.randn(DType.BF16, 12, Device.cpu(), k);
        check(device, Jit.kernel(LoadLayoutTest.class, "rowsTimesVector").withOptions(4, 1), Grid.grid(3), new Object[] {w, x, poison(DType.F32, m), (long) m, (long) k, 16, 256},
                Map.of(2, relative(1e-4, 1)));   // sums of 1000 terms in another order
        check(device, Jit.kernel(LoadLayoutTest.class, "permuted").withOptions(1, 1), Grid.grid(1), new Object[] {interesting(DType.F32, 13, 32), poison(DType.F32, 32)},
                Map.of(1, exact()));
        check(device, Jit.kernel(LoadLayoutTest.class, "transposed").withOptions(1, 1), Grid.grid(1), new Object[] {interesting(DType.F32, 14, 64), poison(DType.F32, 64)},
                Map.of(1, exact()));
    }
}
