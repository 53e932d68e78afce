package dev.tessera.cuda;

import dev.tessera.backend.CompiledKernel;
import dev.tessera.cuda.codegen.PtxModule;
import dev.tessera.cuda.driver.CudaFunction;
import dev.tessera.cuda.driver.CudaModule;
import dev.tessera.ir.KernelIR;
import dev.tessera.ir.Printer;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A kernel compiled for one CUDA device: its PTX, the cubin the driver's linker made of it, the
 * loaded function and what a launch needs (threads, dynamic shared memory, argument kinds).
 */
final class CudaKernel implements CompiledKernel {
    final int id;
    final int device;
    final KernelIR ir;
    final PtxModule ptx;
    final CudaModule module;
    final CudaFunction function;
    final PtxModule.ParamKind[] params;
    final byte[] cubin;
    final boolean synchronousFaults;
    private final Map<String, String> artifacts;

    CudaKernel(int id, int device, KernelIR ir, PtxModule ptx, byte[] cubin, String linkLog, CudaModule module, CudaFunction function) {
        this.id = id;
        this.device = device;
        this.ir = ir;
        this.ptx = ptx;
        this.module = module;
        this.function = function;
        this.params = ptx.params().toArray(PtxModule.ParamKind[]::new);
        this.cubin = cubin;
        this.synchronousFaults = ptx.debug().hasAssertions();
        Map<String, String> a = new LinkedHashMap<>();
        a.put("ir", Printer.print(ir));
        a.put("ptx", ptx.ptx());
        a.put("cubin", Base64.getEncoder().encodeToString(cubin));
        a.put("resources", "registers=" + function.registers() + " local=" + function.localBytes() + " shared=" + ptx.sharedBytes()
                + " threads=" + ptx.threads() + (linkLog == null || linkLog.isBlank() ? "" : "\n" + linkLog.strip()));
        this.artifacts = Map.copyOf(a);
    }

    String name() { return ir.name(); }

    @Override
    public KernelIR ir() { return ir; }

    @Override
    public Map<String, String> artifacts() { return artifacts; }

    /** Registers per thread, as the driver compiled it. */
    int registers() { return function.registers(); }

    /** Local memory (spills and stack) per thread. */
    int localBytes() { return function.localBytes(); }
}
