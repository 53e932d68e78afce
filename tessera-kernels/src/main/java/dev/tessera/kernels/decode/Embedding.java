package dev.tessera.kernels.decode;

import static dev.tessera.lang.TL.*;
import static dev.tessera.runtime.Grid.grid;

import dev.tessera.lang.Constexpr;
import dev.tessera.lang.Kernel;
import dev.tessera.lang.Tile;
import dev.tessera.runtime.Jit;
import dev.tessera.runtime.JitKernel;
import dev.tessera.runtime.Tensor;
import dev.tessera.types.DType;

/**
 * The token embedding: out[t] = table[tokens[t]] for a table [vocab, dim]. The token ids are read
 * on the device, so the token {@link Sampling} wrote feeds the next step without coming back to
 * the host. A token outside [0, vocab) gives a row of zeros (on the CPU, where a masked load is
 * never made, nothing outside the table is read).
 */
public final class Embedding {
    private Embedding() {}

    @Kernel
    static void lookup(Tile table, Tile tokens, Tile out, Tile vocab, Tile dim, @Constexpr int BLOCK) {
        Tile t = programId(0).to(I64);
        Tile cols = programId(1).mul(BLOCK).add(arange(0, BLOCK));
        Tile token = load(tokens.add(t)).to(I64);
        Tile mask = cols.lt(dim).and(token.ge(0)).and(token.lt(vocab));
        store(out.add(t.mul(dim)).add(cols), load(table.add(token.mul(dim)).add(cols), mask, 0.0), cols.lt(dim));
    }

    public static final JitKernel KERNEL = Jit.kernel(Embedding.class, "lookup");

    /** Writes the rows of {@code table} [vocab, dim] that the i32 {@code tokens} [T] name into {@code out} [T, dim] (all contiguous). */
    public static void lookup(Tensor table, Tensor tokens, Tensor out) {
        if (table.rank() != 2 || !table.isContiguous()) throw new IllegalArgumentException("the embedding table must be a contiguous [vocab, dim], not " + table);
        if (tokens.dtype() != DType.I32 || tokens.rank() != 1 || !tokens.isContiguous()) {
            throw new IllegalArgumentException("the tokens must be a contiguous i32 [T], not " + tokens);
        }
        long dim = table.shape(1);
        if (out.rank() != 2 || out.shape(0) != tokens.shape(0) || out.shape(1) != dim || !out.isContiguous() || out.dtype() != table.dtype()) {
            throw new IllegalArgumentException("out must be a contiguous " + table.dtype() + " [" + tokens.shape(0) + ", " + dim + "], not " + out);
        }
        int n = Math.toIntExact(dim), block = Math.min(out.device().backend().equals("cpu") ? 8192 : 1024, Math.max(16, nextPowerOf2(n)));
        KERNEL.launch(grid(Math.toIntExact(tokens.shape(0)), cdiv(n, block)), table, tokens, out, Math.toIntExact(table.shape(0)), n, block);
    }
}
