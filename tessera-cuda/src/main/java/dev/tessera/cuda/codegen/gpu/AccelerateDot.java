package dev.tessera.cuda.codegen.gpu;

import dev.tessera.ir.Op;
import java.util.function.Function;

/**
 * Puts dots on tensor cores: every core dot for which {@code choose} gives an instruction and a
 * tiling (the decision layout assignment made, since the result's layout follows from it)
 * becomes an {@link GpuOp.Mma} with its operands in registers; pipelining may then move them to
 * shared buffers.
 */
public final class AccelerateDot {
    private AccelerateDot() {}

    /** An instruction and how the warps split the result. */
    public record Choice(TensorCores.Mma instr, TensorCores.Tiling tiling) {}

    public static GpuProgram run(GpuProgram p, Function<Op.Dot, Choice> choose) {
        return p.map(op -> {
            if (op instanceof GpuOp.Core(Op.Dot d)) {
                Choice c = choose.apply(d);
                if (c != null) return new GpuOp.Mma(d, c.instr(), c.tiling(), null, null);
            }
            return op;
        });
    }
}
