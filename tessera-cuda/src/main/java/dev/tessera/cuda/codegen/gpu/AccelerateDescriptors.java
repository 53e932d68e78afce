package dev.tessera.cuda.codegen.gpu;

import dev.tessera.ir.Op;

/**
 * Puts descriptor loads and atomic adds on the tensor-memory accelerator: every core descriptor
 * load becomes a {@link GpuOp.TmaLoad} with an mbarrier of its own, every atomic add a
 * {@link GpuOp.TmaReduce} with a box for its block (the sites' boxes share one place).
 * (Descriptors reach the GPU IR only on targets with TMA; elsewhere they were expanded into
 * masked accesses before.) Pipelining may then turn loads into {@link GpuOp.TmaCopy}s.
 */
public final class AccelerateDescriptors {
    private AccelerateDescriptors() {}

    public static GpuProgram run(GpuProgram p) {
        int[] adds = {0};
        return p.map(op -> switch (op) {
            case GpuOp.Core(Op.DescriptorLoad l) -> new GpuOp.TmaLoad(l, new MBarriers("load" + l.result().id(), 1));
            case GpuOp.Core(Op.DescriptorAtomicAdd a) -> new GpuOp.TmaReduce(a, new ReduceBox("add" + adds[0]++,
                    ((dev.tessera.types.DescriptorType) a.descriptor().type().element()).blockBytes()));
            default -> op;
        });
    }
}
