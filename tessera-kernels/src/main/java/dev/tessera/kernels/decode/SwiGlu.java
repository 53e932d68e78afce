package dev.tessera.kernels.decode;

import static dev.tessera.lang.TL.*;
import static dev.tessera.runtime.Grid.grid;

import dev.tessera.lang.Constexpr;
import dev.tessera.lang.Kernel;
import dev.tessera.lang.Tile;
import dev.tessera.runtime.Jit;
import dev.tessera.runtime.JitKernel;
import dev.tessera.runtime.Tensor;

/** The SwiGLU gate of a LLaMA MLP: out = silu(gate) · up = gate · sigmoid(gate) · up, elementwise. */
public final class SwiGlu {
    private SwiGlu() {}

    @Kernel
    static void swiglu(Tile gate, Tile up, Tile out, Tile n, @Constexpr int BLOCK) {
        Tile offs = programId(0).mul(BLOCK).add(arange(0, BLOCK));
        Tile mask = offs.lt(n);
        Tile g = load(gate.add(offs), mask, 0.0).to(F32);
        store(out.add(offs), g.mul(sigmoid(g)).mul(load(up.add(offs), mask, 0.0).to(F32)), mask);
    }

    public static final JitKernel KERNEL = Jit.kernel(SwiGlu.class, "swiglu");

    /** out = silu(gate) · up for contiguous tensors of one shape ({@code out} may be either input). */
    public static void apply(Tensor gate, Tensor up, Tensor out) {
        if (gate.numel() != up.numel() || gate.numel() != out.numel() || !gate.isContiguous() || !up.isContiguous() || !out.isContiguous()) {
            throw new IllegalArgumentException("SwiGLU needs contiguous tensors of one size: " + gate + ", " + up + ", " + out);
        }
        int n = Math.toIntExact(gate.numel()), block = gate.device().backend().equals("cpu") ? 8192 : 1024;
        KERNEL.launch(grid(cdiv(n, block)), gate, up, out, n, block);
    }
}
