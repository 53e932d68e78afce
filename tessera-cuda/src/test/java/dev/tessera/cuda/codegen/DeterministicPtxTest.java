package dev.tessera.cuda.codegen;

import static dev.tessera.cuda.codegen.Kernels.*;
import static dev.tessera.lang.TL.*;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.tessera.ir.KernelIR;
import dev.tessera.lang.Constexpr;
import dev.tessera.lang.Kernel;
import dev.tessera.lang.Tile;
import dev.tessera.lang.Var;
import dev.tessera.types.DType;
import java.util.function.Supplier;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * One kernel traced afresh gives the same PTX every time: new IR objects have new identity hashes,
 * so a pass that iterates an identity map where order shows (the software pipeliner's copies did:
 * the order of the carried values' updates changed between runs) fails here. The disk cache and
 * the reports rely on equal inputs giving equal bytes.
 */
class DeterministicPtxTest {

    /** A matmul whose loop carries its operands' pointers: the pipeliner runs both updates ahead. */
    @Kernel
    static void pointerMatmul(Tile a, Tile b, Tile c, Tile M, Tile N, Tile K, Tile sam, Tile sbk,
                              @Constexpr int BM, @Constexpr int BN, @Constexpr int BK) {
        Tile rm = programId(0).mul(BM).add(arange(0, BM)), rn = programId(1).mul(BN).add(arange(0, BN)), rk = arange(0, BK);
        Tile rowsIn = rm.col().lt(M), colsIn = rn.row().lt(N);
        Var acc = var(zeros(F32, BM, BN)), ap = var(a.add(rm.col().mul(sam)).add(rk.row())), bp = var(b.add(rk.col().mul(sbk)).add(rn.row()));
        for (Tile k : range(0, K, BK)) {
            Tile left = K.sub(k);
            acc.set(dot(load(ap.get(), rowsIn.and(rk.row().lt(left)), 0L), load(bp.get(), rk.col().lt(left).and(colsIn), 0L), acc.get()));
            ap.set(ap.get().add(BK));
            bp.set(bp.get().add(sbk.mul(BK)));
        }
        store(c.add(rm.col().mul(N)).add(rn.row()), acc.get(), rowsIn.and(colsIn));
    }

    static Stream<Arguments> kernels() {
        Supplier<KernelIR> matmul = () -> ir(DemoKernels.class, "matmul", args(ptr(DType.BF16), ptr(DType.BF16), ptr(DType.F32), i32Div16(), i32Div16(),
                i32Div16()), "BM", 128, "BN", 128, "BK", 32);
        Supplier<KernelIR> attention = () -> ir(DemoKernels.class, "attention", args(ptr(DType.BF16), ptr(DType.BF16), ptr(DType.BF16), ptr(DType.BF16),
                i32Div16(), scalar(DType.F32)), "D", 64, "BM", 128, "BN", 64);
        Supplier<KernelIR> layerNorm = () -> ir(DemoKernels.class, "layerNorm", args(ptr(DType.F16), ptr(DType.F16), ptr(DType.F16), ptr(DType.F16),
                i32Div16(), i32Div16(), scalar(DType.F32)), "BLOCK", 8192);
        Supplier<KernelIR> pointers = () -> ir(DeterministicPtxTest.class, "pointerMatmul", args(ptr(DType.BF16), ptr(DType.BF16), ptr(DType.F32), i32Div16(),
                i32Div16(), i32Div16(), i32Div16(), i32Div16()), "BM", 128, "BN", 128, "BK", 64);
        return Stream.of(Arguments.of("matmul carrying its pointers", pointers, 8), Arguments.of("matmul bf16, 4 warps", matmul, 4), Arguments.of("matmul bf16, 8 warps", matmul, 8),
                Arguments.of("attention bf16 d64", attention, 8), Arguments.of("layer norm f16", layerNorm, 16));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("kernels")
    void freshTracesGiveTheSamePtx(String name, Supplier<KernelIR> kernel, int warps) {
        for (int major : new int[] {8, 9}) {
            Target target = Ptxas.target(major, 0);
            String first = ptx(kernel.get(), warps, target).ptx();
            for (int run = 1; run < 6; run++) {
                assertEquals(first, ptx(kernel.get(), warps, target).ptx(), name + " on sm_" + major + "0, fresh trace " + run);
            }
        }
    }
}
