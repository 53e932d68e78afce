package dev.tessera.cuda.codegen;

import dev.tessera.cuda.codegen.control.ControlRules;
import dev.tessera.cuda.codegen.dot.MmaRules;
import dev.tessera.cuda.codegen.dot.PipelineRules;
import dev.tessera.cuda.codegen.dot.WgmmaRules;
import dev.tessera.cuda.codegen.gpu.GpuOp;
import dev.tessera.cuda.codegen.gpu.GpuProgram;
import dev.tessera.cuda.codegen.memory.TmaRules;

/**
 * The GPU IR's lowering table: core ops go to their rules ({@link PtxLowering}), control flow to
 * {@link ControlRules}, pipelined loops to {@link PipelineRules}, tensor-core dots outside them to
 * {@link MmaRules} or {@link WgmmaRules} with their operands from registers, descriptor loads to
 * {@link TmaRules}. Asynchronous copies and yields have no meaning alone: their loop lowers them.
 */
public final class GpuLowering {
    private GpuLowering() {}

    public static void lower(GpuOp op, GpuProgram program, Lowerer cx) {
        switch (op) {
            case GpuOp.Core(var core) -> PtxLowering.lower(core, cx);
            case GpuOp.For f -> {
                cx.w.comment(header(f.source()));
                ControlRules.forLoop(f, program, cx);
            }
            case GpuOp.If i -> {
                cx.w.comment(header(i.source()));
                ControlRules.ifThenElse(i, program, cx);
            }
            case GpuOp.While w -> {
                cx.w.comment(header(w.source()));
                ControlRules.whileLoop(w, program, cx);
            }
            case GpuOp.PipelinedFor p -> {
                cx.w.comment("pipelined " + header(p.loop()));
                PipelineRules.lower(p, program, cx);
            }
            case GpuOp.Mma m -> {
                cx.w.comment(header(m.dot()));
                cx.define(m.dot().result(), MmaRules.mma(m, program, null, cx));
            }
            case GpuOp.Wgmma m -> {
                cx.w.comment(header(m.dot()));
                cx.define(m.dot().result(), WgmmaRules.wgmma(m, program, null, cx));
            }
            case GpuOp.TmaLoad t -> {
                var l = t.load();
                cx.define(l.result(), TmaRules.load(t, cx.layoutOf(l.result()), program, cx));
            }
            case GpuOp.WgmmaWait t -> cx.w.op("wgmma.wait_group.sync.aligned %d", t.pending());
            case GpuOp.TmaCopy c -> throw new IllegalStateException("a TMA copy outside its pipelined loop: " + c);
            case GpuOp.AsyncCopy c -> throw new IllegalStateException("an async copy outside its pipelined loop: " + c);
            case GpuOp.StageOperand s -> throw new IllegalStateException("an invariant operand outside its pipelined loop: " + s);
            case GpuOp.Yield y -> throw new IllegalStateException("yield outside its region's lowering");
        }
    }

    private static String header(dev.tessera.ir.Op op) {
        String s = dev.tessera.ir.Printer.print(op);
        int nl = s.indexOf('\n');
        return (nl < 0 ? s : s.substring(0, nl)) + (op.loc().isKnown() ? "  (" + op.loc() + ")" : "");
    }
}
