package dev.tessera.cuda.codegen.gpu;

import dev.tessera.ir.Op;
import dev.tessera.ir.Printer;
import dev.tessera.ir.Value;
import java.util.List;
import java.util.function.Function;

/**
 * The GPU IR as text ({@code TESSERA_DUMP=gpu}): one op a line as the core printer writes it,
 * each result followed by its layout, GPU ops by name, regions and pipeline stages indented.
 */
public final class GpuPrinter {
    private GpuPrinter() {}

    /** {@code layout} describes a value's layout (its encoding). */
    public static String print(GpuProgram p, String stage, Function<Value, String> layout) {
        StringBuilder out = new StringBuilder("// ---- " + p.kernel().name() + ": gpu ir after " + stage + "\n");
        p.barriers().entrySet().stream().sorted(java.util.Map.Entry.comparingByValue())
                .forEach(e -> out.append(e.getKey()).append(" at ").append(e.getValue()).append('\n'));
        p.boxes().entrySet().stream().sorted(java.util.Map.Entry.comparingByValue())
                .forEach(e -> out.append(e.getKey()).append(" at ").append(e.getValue()).append('\n'));
        for (SharedBuffer b : p.buffers()) {
            out.append(b).append(p.offsets().containsKey(b) ? " at " + p.offsets().get(b) : "").append('\n');
        }
        ops(out, p.body(), "", layout);
        return out.toString();
    }

    private static void ops(StringBuilder out, List<GpuOp> ops, String indent, Function<Value, String> layout) {
        for (GpuOp op : ops) {
            switch (op) {
                case GpuOp.Core(Op core) -> out.append(indent).append(core(core, layout)).append('\n');
                case GpuOp.Yield y -> out.append(indent).append(firstLine(y.source())).append('\n');
                case GpuOp.For l -> {
                    out.append(indent).append(header(l.source())).append('\n');
                    ops(out, l.body().ops(), indent + "  ", layout);
                }
                case GpuOp.If i -> {
                    out.append(indent).append(header(i.source())).append('\n');
                    ops(out, i.thenRegion().ops(), indent + "  ", layout);
                    out.append(indent).append("} else {\n");
                    ops(out, i.elseRegion().ops(), indent + "  ", layout);
                }
                case GpuOp.While w -> {
                    out.append(indent).append(header(w.source())).append('\n');
                    ops(out, w.condition().ops(), indent + "  ", layout);
                    out.append(indent).append("} do {\n");
                    ops(out, w.body().ops(), indent + "  ", layout);
                }
                case GpuOp.Specialized s -> {
                    out.append(indent).append("specialized warps {\n").append(indent).append("  producer (").append(s.producerWarps())
                            .append(" warp(s)):\n");
                    ops(out, s.producer(), indent + "    ", layout);
                    out.append(indent).append("  consumers:\n");
                    ops(out, s.consumers(), indent + "    ", layout);
                    out.append(indent).append("}\n");
                }
                case GpuOp.Produce p -> {
                    out.append(indent).append("produce ").append(header(p.loop().loop())).append("   // copies on ").append(p.loop().barriers())
                            .append(" after their slot's release on ").append(p.loop().released()).append('\n');
                    ops(out, p.loop().ahead(), indent + "  ", layout);
                }
                case GpuOp.ProducerFor l -> {
                    out.append(indent).append(header(l.loop())).append("   // the producer's walk: its induction variable only\n");
                    ops(out, l.body(), indent + "  ", layout);
                }
                case GpuOp.Consume c -> {
                    out.append(indent).append("consume, its copies issued by the producer:\n");
                    ops(out, List.of(c.loop()), indent + "  ", layout);
                }
                case GpuOp.StageOperand s -> out.append(indent).append("stage ").append(s.value()).append(" -> %smem").append(s.buffer().id())
                        .append("   // ").append(s.buffer()).append('\n');
                case GpuOp.AsyncCopy c -> out.append(indent).append("async_copy ").append(c.load().pointer()).append(" mask ")
                        .append(c.load().mask()).append(" -> %smem").append(c.buffer().id()).append("[ahead slot]   // for ")
                        .append(c.load().result()).append('\n');
                case GpuOp.TmaCopy c -> out.append(indent).append("tma_copy ").append(c.load().descriptor()).append(c.load().offsets())
                        .append(" -> %smem").append(c.buffer().id()).append("[ahead slot]   // for ").append(c.load().result()).append('\n');
                case GpuOp.SlotLoad l -> out.append(indent).append(l.load().result()).append(" = slot_load %smem").append(l.buffer().id())
                        .append("[current slot]   ").append(layout.apply(l.load().result())).append('\n');
                case GpuOp.TmaLoad t -> out.append(indent).append(core(t.load(), layout)).append("   // through TMA, on ").append(t.barrier())
                        .append('\n');
                case GpuOp.TmaReduce r -> out.append(indent).append(core(r.add(), layout)).append("   // a bulk reduction from ").append(r.box())
                        .append('\n');
                case GpuOp.Mma m -> tensorCoreDot(out, indent, m, m.instr().instruction(), "warps=" + m.tiling().wm() + "x" + m.tiling().wn()
                        + ", tiles=" + m.tiling().repM() + "x" + m.tiling().repN(), layout);
                case GpuOp.Wgmma m -> tensorCoreDot(out, indent, m, m.instr().instruction(m.groups().instrN()), "warpgroups=" + m.groups().gm() + "x"
                        + m.groups().gn() + ", instructions=" + m.groups().repM() + "x" + m.groups().repN()
                        + (m.completion() == GpuOp.Wgmma.Completion.AT_RULE_END ? "" : ", complete " + m.completion().name().toLowerCase(java.util.Locale.ROOT)),
                        layout);
                case GpuOp.WgmmaWait t -> out.append(indent).append("wgmma_wait pending=").append(t.pending()).append('\n');
                case GpuOp.PipelinedFor pf -> {
                    out.append(indent).append("pipelined ").append(header(pf.loop())).append("   // stages=").append(pf.stages())
                            .append(", carried ahead: ").append(pf.aheadCarried())
                            .append(pf.barriers() == null ? "" : ", copies complete on " + pf.barriers())
                            .append(pf.released() == null ? "" : ", slots released on " + pf.released()).append('\n');
                    if (!pf.invariants().isEmpty()) {
                        out.append(indent).append("  before the loop:\n");
                        ops(out, List.copyOf(pf.invariants()), indent + "    ", layout);
                    }
                    out.append(indent).append("  stage 0 (").append(pf.distance()).append(" iterations ahead):\n");
                    ops(out, pf.ahead(), indent + "    ", layout);
                    out.append(indent).append("  stage 1:\n");
                    ops(out, pf.current(), indent + "    ", layout);
                }
            }
        }
    }

    private static void tensorCoreDot(StringBuilder out, String indent, GpuOp.TensorCoreDot m, String instruction, String split,
                                      Function<Value, String> layout) {
        out.append(indent).append(m.dot().result()).append(" = ").append(instruction).append(' ')
                .append(m.a() == null ? m.dot().a() : "%smem" + m.a().placed().id() + "[current slot]").append(", ")
                .append(m.b() == null ? m.dot().b() : "%smem" + m.b().placed().id() + "[current slot]").append(", ").append(m.dot().acc())
                .append(" {").append(split).append("} : ").append(m.dot().result().type()).append("   ").append(layout.apply(m.dot().result())).append('\n');
    }

    private static String core(Op op, Function<Value, String> layout) {
        String s = firstLine(op);
        if (op.results().size() == 1 && !op.result().type().isScalar() && op.regions().isEmpty()) s += "   " + layout.apply(op.result());
        return s;
    }

    private static String header(Op op) { return firstLine(op).replace(" ...", ""); }

    private static String firstLine(Op op) {
        String s = Printer.print(op);
        int nl = s.indexOf('\n');
        return nl < 0 ? s : s.substring(0, nl) + " ...";
    }
}
