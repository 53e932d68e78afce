package dev.tessera.cuda.codegen;

import dev.tessera.cuda.codegen.control.ControlRules;
import dev.tessera.cuda.codegen.dot.MmaRules;
import dev.tessera.cuda.codegen.dot.PipelineRules;
import dev.tessera.cuda.codegen.dot.WgmmaRules;
import dev.tessera.cuda.codegen.gpu.GpuOp;
import dev.tessera.cuda.codegen.gpu.GpuProgram;
import dev.tessera.cuda.codegen.gpu.SpecializeWarps;
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
            case GpuOp.Specialized s -> specialized(s, program, cx);
            case GpuOp.Produce p -> {
                cx.w.comment("produce " + header(p.loop().loop()));
                PipelineRules.produce(p.loop(), program, cx);
            }
            case GpuOp.ProducerFor l -> {
                cx.w.comment("the producer's " + header(l.loop()));
                ControlRules.producerLoop(l, program, cx);
            }
            case GpuOp.Consume c -> {
                cx.w.comment("consume " + header(c.loop().loop()));
                PipelineRules.consume(c.loop(), program, cx);
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
            case GpuOp.TmaReduce r -> {
                cx.w.comment(header(r.add()));
                TmaRules.reduce(r, program, cx);
            }
            case GpuOp.WgmmaWait t -> cx.w.op("wgmma.wait_group.sync.aligned %d", t.pending());
            case GpuOp.TmaCopy c -> throw new IllegalStateException("a TMA copy outside its pipelined loop: " + c);
            case GpuOp.SlotLoad s -> throw new IllegalStateException("a slot's load outside its pipelined loop: " + s);
            case GpuOp.AsyncCopy c -> throw new IllegalStateException("an async copy outside its pipelined loop: " + c);
            case GpuOp.StageOperand s -> throw new IllegalStateException("an invariant operand outside its pipelined loop: " + s);
            case GpuOp.Yield y -> throw new IllegalStateException("yield outside its region's lowering");
        }
    }

    /**
     * The producer warps (those past the layouts' warps) branch to their program; each side's values
     * are its own (a scope each), the prologue's are shared. Both end at the kernel's end.
     */
    private static void specialized(GpuOp.Specialized s, GpuProgram program, Lowerer cx) {
        PtxWriter w = cx.w;
        var split = SpecializeWarps.RegisterSplit.of(cx.numWarps);
        cx.specialize(s.producerWarps(), split == null ? 0 : split.launch());
        String producer = w.label("producer"), exit = w.label("exit"), isProducer = w.reg(RegClass.PRED);
        w.op("setp.ge.u32 %s, %s, %d", isProducer, cx.tid(), cx.numWarps * 32);
        w.op("@%s bra %s", isProducer, producer);
        if (split != null) w.op("setmaxnreg.inc.sync.aligned.u32 %d", split.consumers());
        cx.pushScope();
        for (GpuOp op : s.consumers()) lower(op, program, cx);
        cx.popScope();
        w.op("bra %s", exit);
        w.place(producer);
        if (split != null) w.op("setmaxnreg.dec.sync.aligned.u32 %d", split.producer());
        cx.pushScope();
        for (GpuOp op : s.producer()) lower(op, program, cx);
        cx.popScope();
        w.place(exit);
    }

    private static String header(dev.tessera.ir.Op op) {
        String s = dev.tessera.ir.Printer.print(op);
        int nl = s.indexOf('\n');
        return (nl < 0 ? s : s.substring(0, nl)) + (op.loc().isKnown() ? "  (" + op.loc() + ")" : "");
    }
}
