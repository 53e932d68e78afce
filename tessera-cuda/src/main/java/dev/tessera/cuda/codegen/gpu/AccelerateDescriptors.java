package dev.tessera.cuda.codegen.gpu;

import dev.tessera.ir.Op;

/**
 * Puts descriptor loads on the tensor-memory accelerator: every core descriptor load becomes a
 * {@link GpuOp.TmaLoad} with an mbarrier of its own. (Descriptors reach the GPU IR only on targets
 * with TMA; elsewhere they were expanded into masked accesses before.) Pipelining may then turn
 * the ones that feed wgmma into {@link GpuOp.TmaCopy}s.
 */
public final class AccelerateDescriptors {
    private AccelerateDescriptors() {}

    public static GpuProgram run(GpuProgram p) {
        return p.map(op -> op instanceof GpuOp.Core(Op.DescriptorLoad l)
                ? new GpuOp.TmaLoad(l, new MBarriers("load" + l.result().id(), 1)) : op);
    }
}
