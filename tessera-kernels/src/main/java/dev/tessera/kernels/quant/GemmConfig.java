package dev.tessera.kernels.quant;

import dev.tessera.backend.LaunchOptions;

/**
 * The blocking of one quantized GEMM launch: each program computes a {@code bm × bn} tile of the
 * output, walking K {@code bk} at a time; programs go in groups of {@code group} rows of tiles (so
 * the programs running together share rows of A and columns of B in L2, as {@code Matmul} does);
 * {@code warps} per program and {@code stages} of software pipelining for the loads that feed the
 * tensor cores.
 */
public record GemmConfig(int bm, int bn, int bk, int group, int warps, int stages) {

    /** The blocking the GEMMs of this package use unless told otherwise: 128×128 tiles 64 deep, as in Triton's H100 configs. */
    public static final GemmConfig DEFAULT = new GemmConfig(128, 128, 64, 8, 8, 3);

    public GemmConfig {
        for (int b : new int[] {bm, bn, bk}) {
            if (b < 16 || Integer.bitCount(b) != 1) {
                throw new IllegalArgumentException("GEMM blocking " + bm + "x" + bn + "x" + bk
                        + ": every block size must be a power of 2 of at least 16 (dot multiplies 16x16 pieces)");
            }
        }
        if (group < 1) throw new IllegalArgumentException("GEMM group must be at least 1, got " + group);
        new LaunchOptions(warps, stages);   // checks warps and stages with their own messages
    }

    @Override
    public String toString() {
        return "BM=" + bm + ", BN=" + bn + ", BK=" + bk + ", GROUP=" + group + ", warps=" + warps + ", stages=" + stages;
    }
}
