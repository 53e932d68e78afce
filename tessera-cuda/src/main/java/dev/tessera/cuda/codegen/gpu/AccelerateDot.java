package dev.tessera.cuda.codegen.gpu;

import dev.tessera.ir.Op;
import java.util.function.Function;

/**
 * Puts dots on tensor cores: every core dot for which {@code choose} gives a plan (the decision
 * layout assignment made, since the result's layout follows from it) becomes an
 * {@link GpuOp.Mma} or {@link GpuOp.Wgmma} with its operands in registers; pipelining may then
 * move them to shared buffers.
 */
public final class AccelerateDot {
    private AccelerateDot() {}

    public static GpuProgram run(GpuProgram p, Function<Op.Dot, TensorCores.Plan> choose) {
        return p.map(op -> {
            if (op instanceof GpuOp.Core(Op.Dot d)) {
                switch (choose.apply(d)) {
                    case null -> { }
                    case TensorCores.MmaPlan(var instr, var tiling) -> { return new GpuOp.Mma(d, instr, tiling, null, null); }
                    case TensorCores.WgmmaPlan(var instr, var groups) -> { return new GpuOp.Wgmma(d, instr, groups, null, null, GpuOp.Wgmma.Completion.AT_RULE_END); }
                }
            }
            return op;
        });
    }
}
