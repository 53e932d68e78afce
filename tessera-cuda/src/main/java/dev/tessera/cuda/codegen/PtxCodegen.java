package dev.tessera.cuda.codegen;

import dev.tessera.cuda.codegen.control.DebugRules;
import dev.tessera.cuda.codegen.control.DebugSites;
import dev.tessera.cuda.codegen.layout.LayoutAssignment;
import dev.tessera.cuda.codegen.layout.Rematerialization;
import dev.tessera.cuda.codegen.memory.MemoryRules;
import dev.tessera.cuda.codegen.memory.TmaRules;
import dev.tessera.passes.AxisInfo;
import dev.tessera.backend.LaunchOptions;
import dev.tessera.cuda.codegen.gpu.AccelerateDescriptors;
import dev.tessera.cuda.codegen.gpu.AccelerateDot;
import dev.tessera.cuda.codegen.gpu.AllocateShared;
import dev.tessera.cuda.codegen.gpu.DeferWgmmaWaits;
import dev.tessera.cuda.codegen.gpu.GpuOp;
import dev.tessera.cuda.codegen.gpu.GpuPrinter;
import dev.tessera.cuda.codegen.gpu.GpuProgram;
import dev.tessera.cuda.codegen.gpu.PipelineLoops;
import dev.tessera.cuda.codegen.gpu.SpecializeWarps;
import dev.tessera.cuda.driver.KernelArgs;
import dev.tessera.ir.KernelIR;
import dev.tessera.passes.ExpandDescriptors;
import dev.tessera.ir.Op;
import dev.tessera.ir.Value;
import dev.tessera.types.DType;
import dev.tessera.types.PointerType;
import java.util.ArrayList;
import java.util.List;

/**
 * From optimized IR to PTX: AxisInfo, layout assignment, then one lowering rule per op (see
 * {@link PtxLowering}), and the module around the kernel: header from the target, parameters,
 * dynamic shared memory, and {@code .reqntid} so ptxas budgets registers for the real block size
 * (with an occupancy request for large blocks, see {@link Occupancy}).
 */
public final class PtxCodegen {
    private PtxCodegen() {}

    /** The kernel's PTX with the occupancy floor of its block size ({@link Occupancy#minBlocksPerSm}). */
    public static PtxModule generate(KernelIR kernel, LaunchOptions options, Target target) {
        return generate(kernel, options, target, Occupancy.minBlocksPerSm(options.numWarps() * 32));
    }

    /**
     * As {@link #generate(KernelIR, LaunchOptions, Target)}, asking ptxas to keep {@code minBlocks}
     * blocks resident per multiprocessor ({@code .minnctapersm}; 0 asks for nothing), which
     * bounds the registers it may use (see {@link Occupancy#choose}).
     */
    public static PtxModule generate(KernelIR optimized, LaunchOptions options, Target target, int minBlocks) {
        // without TMA a descriptor is its base, shape and strides, its accesses masked loads and stores; so too
        // a descriptor with an access the copy unit would fault on (see TmaRules.maskedDescriptors)
        AxisInfo optimizedAxis = AxisInfo.analyze(optimized);
        KernelIR kernel = target.tma() ? ExpandDescriptors.expanded(optimized, TmaRules.maskedDescriptors(optimized, optimizedAxis)::contains)
                : ExpandDescriptors.expanded(optimized);
        int numWarps = options.numWarps();
        AxisInfo axis = kernel == optimized ? optimizedAxis : AxisInfo.analyze(kernel);
        Rematerialization remat = new Rematerialization(kernel);
        LayoutAssignment layouts = new LayoutAssignment(kernel, numWarps, target, axis, remat);
        DebugSites debug = new DebugSites();
        Lowerer cx = new Lowerer(kernel, layouts, axis, target, numWarps, debug);
        PtxWriter w = cx.w;

        List<PtxModule.ParamKind> kinds = new ArrayList<>();
        List<String> declarations = new ArrayList<>();
        for (int i = 0; i < kernel.params().size(); i++) {
            KernelIR.Param p = kernel.params().get(i);
            String name = "param_" + i;
            PtxModule.ParamKind kind = kindOf(p.value());
            kinds.add(kind);
            String declared = kind == PtxModule.ParamKind.TENSOR_MAP
                    ? ".param .align " + KernelArgs.TENSOR_MAP_ALIGNMENT + " .b8 " + name + "[" + KernelArgs.TENSOR_MAP_BYTES + "]"
                    : ".param ." + kind.name().toLowerCase(java.util.Locale.ROOT) + " " + name;
            declarations.add("\t" + declared + " /* " + p.name() + ": " + p.value().type() + " */");
            cx.define(p.value(), loadParam(cx, p.value(), name, kind));
        }
        GpuProgram program = gpuProgram(kernel, options, target, layouts, remat);
        cx.smem.keep(program.keptBytes());
        for (GpuOp op : program.body()) GpuLowering.lower(op, program, cx);
        TmaRules.finishReductions(program, cx);

        if (cx.usesErrorBuffer()) {
            cx.errorBuffer();
            cx.kernelId();
            declarations.add("\t.param .u64 " + DebugRules.ERROR_PARAM + " /* error record, checked at synchronize */");
            declarations.add("\t.param .u32 " + DebugRules.KERNEL_ID_PARAM);
        }
        // wgmma's 128-byte swizzle matches the tiles' only from a base on 1024 bytes; TMA boxes start on 128.
        // The declaration states it, but what gives it is the shared window's own alignment: ptxas and the
        // driver honour no .align on an .extern .shared array beyond 16, so no static .shared may come first
        int smemAlign = Math.max(program.usesWgmma() ? 1024 : 16, cx.smem.alignment());
        if (cx.smem.bytes() > 0) w.global(".extern .shared .align " + smemAlign + " .b8 " + SharedMemory.SYMBOL + "[];");
        String entry = entryName(kernel.name());
        String signature = "// " + kernel.name() + ": " + numWarps + " warps" + (cx.threads() > numWarps * 32 ? " and a producer" : "") + ", " + cx.smem.bytes() + " bytes of shared memory\n"
                + ".visible .entry " + entry + "(\n" + String.join(",\n", declarations) + "\n)\n.reqntid " + cx.threads() + ", 1, 1"
                // a specialized block splits the registers one block a multiprocessor holds (see SpecializeWarps.RegisterSplit)
                + (cx.maxRegisters() > 0 ? "\n.maxnreg " + cx.maxRegisters() : minBlocks > 0 && cx.threads() == numWarps * 32 ? "\n.minnctapersm " + minBlocks : "");
        String header = "// generated by Tessera's PTX code generator\n" + target.ptx().header();
        String text = w.finish(header, signature);
        return new PtxModule(text, entry, cx.threads(), cx.smem.bytes(), kinds, TmaRules.mapBoxes(kernel, program), debug);
    }

    /**
     * The GPU IR of the kernel, through its passes (each printed with {@code TESSERA_DUMP=gpu}):
     * every core op in its assigned layout, then dots on tensor cores (the instruction and warp
     * tiling layout assignment chose), then descriptor loads on TMA, then loops that feed the dots
     * pipelined over {@code num_stages} shared buffers, then mbarriers and buffers placed in shared
     * memory.
     */
    static GpuProgram gpuProgram(KernelIR kernel, LaunchOptions options, Target target, LayoutAssignment layouts, Rematerialization remat) {
        boolean dump = dev.tessera.runtime.Dump.wants("gpu");
        java.util.function.Function<Value, String> describe = v -> "#" + layouts.layoutOf(v);
        GpuProgram p = GpuProgram.of(kernel);
        if (dump) System.err.print(GpuPrinter.print(p, "layout assignment", describe));
        p = AccelerateDot.run(p, layouts::plan);
        if (dump) System.err.print(GpuPrinter.print(p, "accelerate dot", describe));
        p = AccelerateDescriptors.run(p);
        if (dump) System.err.print(GpuPrinter.print(p, "accelerate descriptors", describe));
        p = PipelineLoops.run(p, options.numStages(), new PipelineLoops.Facts() {
            @Override
            public int asyncContiguousDim(Op.Load load) {
                var layout = layouts.layoutOf(load.result());
                if (layout.shape().rank() != 2 || load.isVolatile()) return -1;
                int vec = MemoryRules.vector(layouts, load.pointer(), load.mask(), layout);
                return vec * load.result().type().dtype().byteSize() >= 4 ? MemoryRules.vectorDim(layout) : -1;
            }

            @Override
            public boolean isZero(Value v) { return layouts.isZeroConstant(v); }

            @Override
            public boolean accumulatesInPlace(Op.Dot d) { return layouts.layoutOf(d.acc()).equals(layouts.dotLayout(d)); }
        });
        if (dump) System.err.print(GpuPrinter.print(p, "pipeline loops", describe));
        if (target.deferredWaits()) {
            p = DeferWgmmaWaits.run(p, w -> w.dot().a().type().dtype().bits() == 16 && w.groups().gn() == 1
                    && layouts.layoutOf(w.dot().a()).equals(layouts.aFragmentLayout(w.dot())));
            if (dump) System.err.print(GpuPrinter.print(p, "defer wgmma waits", describe));
        }
        p = AllocateShared.run(p);
        if (dump) System.err.print(GpuPrinter.print(p, "allocate shared memory", describe));
        if (target.warpSpecialized()) {
            p = SpecializeWarps.run(p, options.numWarps());
            if (dump) System.err.print(GpuPrinter.print(p, "specialize warps", describe));
        }
        return p;
    }

    static PtxModule.ParamKind kindOf(Value v) {
        if (v.type().isDescriptor()) return PtxModule.ParamKind.TENSOR_MAP;
        if (v.type().element() instanceof PointerType) return PtxModule.ParamKind.U64;
        DType t = v.type().dtype();
        if (t == DType.F64) return PtxModule.ParamKind.F64;
        if (t.isFloat()) return PtxModule.ParamKind.F32;
        return t.bits() == 64 ? PtxModule.ParamKind.U64 : PtxModule.ParamKind.U32;
    }

    private static TileValue loadParam(Lowerer cx, Value v, String name, PtxModule.ParamKind kind) {
        PtxWriter w = cx.w;
        var type = v.type().element();
        String reg = w.inPrologue(() -> {
            switch (kind) {
                case TENSOR_MAP -> {
                    // the generic address of the grid-constant map, as cp.async.bulk.tensor reads it
                    String r = w.reg(RegClass.B64);
                    w.op("mov.b64 %s, %s", r, name);
                    w.op("cvta.param.u64 %s, %s", r, r);
                    return r;
                }
                case U64 -> {
                    String r = w.reg(RegClass.B64);
                    w.op("ld.param.u64 %s, [%s]", r, name);
                    return r;
                }
                case F64 -> {
                    String r = w.reg(RegClass.F64);
                    w.op("ld.param.f64 %s, [%s]", r, name);
                    return r;
                }
                case F32 -> {
                    String r = w.reg(RegClass.F32);
                    w.op("ld.param.f32 %s, [%s]", r, name);
                    return Emit.round(cx, r, (DType) type);
                }
                default -> {
                    String r = w.reg(RegClass.B32);
                    w.op("ld.param.u32 %s, [%s]", r, name);
                    if (type == DType.I1) return Emit.toPred(cx, r);
                    return Emit.wrap(cx, r, (DType) type);
                }
            }
        });
        return new TileValue(cx.layouts.scalar(), type, new String[] {reg});
    }

    /** A PTX identifier from the kernel's name. */
    static String entryName(String name) {
        String s = name.replaceAll("[^A-Za-z0-9_$]", "_");
        return s.isEmpty() || Character.isDigit(s.charAt(0)) ? "k_" + s : s;
    }
}
