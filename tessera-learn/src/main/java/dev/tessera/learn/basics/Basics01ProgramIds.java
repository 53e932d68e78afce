package dev.tessera.learn.basics;

import static dev.tessera.lang.TL.*;
import static dev.tessera.runtime.Grid.grid;

import dev.tessera.lang.Constexpr;
import dev.tessera.lang.Kernel;
import dev.tessera.lang.Tile;
import dev.tessera.runtime.Device;
import dev.tessera.runtime.Jit;
import dev.tessera.runtime.JitKernel;
import dev.tessera.runtime.Tensor;
import dev.tessera.types.DType;
import java.io.PrintStream;

/**
 * Lesson 1: a launch runs many copies of the kernel, called programs; each knows its place in the
 * grid through {@code programId(axis)} and decides from it which elements are its own.
 */
public final class Basics01ProgramIds {
    private Basics01ProgramIds() {}

    /** Each program writes its own id into the BLOCK elements it owns. */
    @Kernel
    static void whoOwnsWhat(Tile out, Tile n, @Constexpr int BLOCK) {
        Tile offsets = programId(0).mul(BLOCK).add(arange(0, BLOCK)); // p*BLOCK, ..., p*BLOCK + BLOCK-1
        store(out.add(offsets), full(I32, programId(0), BLOCK), offsets.lt(n));
    }

    /** On a 2-D grid: program (i, j) owns a [BM, BN] block and writes 10*i + j there, plus how many programs there are. */
    @Kernel
    static void grid2d(Tile out, Tile total, Tile rows, Tile cols, @Constexpr int BM, @Constexpr int BN) {
        Tile i = programId(0), j = programId(1);
        Tile r = i.mul(BM).add(arange(0, BM)), c = j.mul(BN).add(arange(0, BN));
        Tile id = full(I32, i.mul(10).add(j), BM, BN);
        store(out.add(r.col().mul(cols)).add(c.row()), id, r.col().lt(rows).and(c.row().lt(cols)));
        store(total, numPrograms(0).mul(numPrograms(1)));
    }

    static final JitKernel WHO = Jit.kernel(Basics01ProgramIds.class, "whoOwnsWhat");
    static final JitKernel GRID2D = Jit.kernel(Basics01ProgramIds.class, "grid2d");

    public static void run(PrintStream out, Device device, boolean quick) {
        int n = 22, block = 4;
        out.println("A 1-D launch: n = " + n + " elements, BLOCK = " + block + ", so grid(cdiv(n, BLOCK)) = " + cdiv(n, block) + " programs.");
        out.println("Each program writes programId(0) into the elements it owns:");
        try (Tensor t = Tensor.fromLongs(new long[n], DType.I32, device, n)) {
            WHO.launch(grid(cdiv(n, block)), t, n, block);
            int[] v = t.toIntArray();
            StringBuilder idx = new StringBuilder("  element:"), who = new StringBuilder("  program:");
            for (int i = 0; i < n; i++) {
                idx.append(String.format("%3d", i));
                who.append(String.format("%3d", v[i]));
            }
            out.println(idx);
            out.println(who);
            out.println("  The last program owns elements 20..23, but only 20 and 21 exist: the mask offsets < n kept it");
            out.println("  from writing 22 and 23 (lesson 3 is about masks).");
        }
        int rows = 6, cols = 10, bm = 2, bn = 4;
        out.println();
        out.println("A 2-D launch: a " + rows + "x" + cols + " matrix in [" + bm + ", " + bn + "] blocks, grid(cdiv(rows, BM), cdiv(cols, BN)) = grid("
                + cdiv(rows, bm) + ", " + cdiv(cols, bn) + "). Program (i, j) writes 10*i + j:");
        try (Tensor t = Tensor.fromLongs(new long[rows * cols], DType.I32, device, rows, cols);
             Tensor total = Tensor.fromLongs(new long[1], DType.I32, device, 1)) {
            GRID2D.launch(grid(cdiv(rows, bm), cdiv(cols, bn)), t, total, rows, cols, bm, bn);
            int[] v = t.toIntArray();
            for (int r = 0; r < rows; r++) {
                StringBuilder line = new StringBuilder("  ");
                for (int c = 0; c < cols; c++) line.append(String.format("%4s", String.format("%02d", v[r * cols + c])));
                out.println(line);
            }
            out.println("  numPrograms(0) * numPrograms(1) = " + total.toIntArray()[0]);
        }
        out.println();
        out.println("Programs run in any order and (on a GPU, and on the CPU backend's threads) at the same time: a");
        out.println("program must not rely on another having run. Next: tessera basics pointers");
    }
}
