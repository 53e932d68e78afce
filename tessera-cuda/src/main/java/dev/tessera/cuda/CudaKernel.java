package dev.tessera.cuda;

import dev.tessera.backend.CompiledKernel;
import dev.tessera.backend.KernelResources;
import dev.tessera.cuda.codegen.PtxModule;
import dev.tessera.cuda.driver.CudaFunction;
import dev.tessera.cuda.driver.CudaModule;
import dev.tessera.ir.KernelIR;
import dev.tessera.ir.Printer;
import dev.tessera.types.DescriptorType;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

/**
 * A kernel compiled for one CUDA device: its PTX, the cubin the driver's linker made of it, the
 * loaded function and what a launch needs (threads, dynamic shared memory, argument kinds), and
 * the resources the driver reports the loaded function takes.
 */
final class CudaKernel implements CompiledKernel {
    final int id;
    final int device;
    final KernelIR ir;
    final PtxModule ptx;
    final CudaModule module;
    final CudaFunction function;
    final PtxModule.ParamKind[] params;
    /**
     * Per PTX parameter, the descriptor a TENSOR_MAP parameter is encoded for; else null. The PTX
     * parameters are the IR's in order, each descriptor the copy unit could not take expanded into
     * its 1 + 2·rank plain fields (see TmaRules.maskedDescriptors), the others one map each.
     */
    final DescriptorType[] descriptors;
    final byte[] cubin;
    final boolean synchronousFaults;
    final KernelResources resources;
    private final Map<String, String> artifacts;

    CudaKernel(int id, int device, KernelIR ir, PtxModule ptx, byte[] cubin, String linkLog, CudaModule module, CudaFunction function) {
        this.id = id;
        this.device = device;
        this.ir = ir;
        this.ptx = ptx;
        this.module = module;
        this.function = function;
        this.params = ptx.params().toArray(PtxModule.ParamKind[]::new);
        this.descriptors = descriptors(ir, params);
        this.cubin = cubin;
        this.synchronousFaults = ptx.debug().hasAssertions();
        // read once, after loading: the attributes are the driver's word on the code it will run
        this.resources = new KernelResources(function.registers(), function.staticSharedBytes(), ptx.sharedBytes(),
                function.localBytes(), ptx.threads(), function.maxThreadsPerBlock());
        Map<String, String> a = new LinkedHashMap<>();
        a.put("ir", Printer.print(ir));
        a.put("ptx", ptx.ptx());
        a.put("cubin", Base64.getEncoder().encodeToString(cubin));
        // ptxas's own report (registers, spill stores and loads, stack frame), as the driver's linker logged it;
        // TESSERA_DUMP=resources prints the loaded function's figures on one line instead
        if (linkLog != null && !linkLog.isBlank()) a.put("jit-log", linkLog.strip());
        this.artifacts = Map.copyOf(a);
    }

    String name() { return ir.name(); }

    /** {@link #descriptors} of a kernel traced as {@code ir} whose PTX takes {@code params}. */
    static DescriptorType[] descriptors(KernelIR ir, PtxModule.ParamKind[] params) {
        DescriptorType[] out = new DescriptorType[params.length];
        int i = 0;
        for (KernelIR.Param p : ir.params()) {
            if (!(p.value().type().element() instanceof DescriptorType d)) i++;
            else if (params[i] == PtxModule.ParamKind.TENSOR_MAP) out[i++] = d;
            else i += dev.tessera.runtime.TensorDescriptor.argumentWords(d.rank());
        }
        return out;
    }
    @Override
    public KernelIR ir() { return ir; }

    @Override
    public Map<String, String> artifacts() { return artifacts; }

    @Override
    public Optional<KernelResources> resources() { return Optional.of(resources); }

    /** Registers per thread, as the driver compiled it. */
    int registers() { return resources.registers(); }

    /** Local memory (spills and stack) per thread. */
    int localBytes() { return resources.localBytes(); }
}
