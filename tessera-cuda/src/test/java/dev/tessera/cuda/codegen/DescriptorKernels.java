package dev.tessera.cuda.codegen;

import static dev.tessera.lang.TL.*;

import dev.tessera.lang.Constexpr;
import dev.tessera.lang.Kernel;
import dev.tessera.lang.TensorDesc;
import dev.tessera.lang.Tile;
import dev.tessera.lang.Var;

/** Kernels through tensor descriptors that both the PTX tests and the GPU tests compile. */
public final class DescriptorKernels {
    private DescriptorKernels() {}

    /** Block (i, j) of {@code in} into block (i, j) of {@code out}. */
    @Kernel
    public static void copy(TensorDesc in, TensorDesc out, @Constexpr int BM, @Constexpr int BN) {
        Tile m = programId(0).mul(BM), n = programId(1).mul(BN);
        store(out, at(m, n), load(in, m, n));
    }

    /** A GEMM-shaped loop: both operands through descriptors, the product stored through one. */
    @Kernel
    public static void matmul(TensorDesc a, TensorDesc b, TensorDesc c, Tile K, @Constexpr int BM, @Constexpr int BN, @Constexpr int BK) {
        Tile m = programId(0).mul(BM), n = programId(1).mul(BN);
        Var acc = var(zeros(F32, BM, BN));
        for (Tile k : range(0, cdiv(K, BK))) acc.set(dot(load(a, m, k.mul(BK)), load(b, k.mul(BK), n), acc.get()));
        store(c, at(m, n), acc.get());
    }
}
