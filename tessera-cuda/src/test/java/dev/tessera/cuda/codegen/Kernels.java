package dev.tessera.cuda.codegen;

import dev.tessera.backend.LaunchOptions;
import dev.tessera.ir.KernelIR;
import dev.tessera.passes.Pipeline;
import dev.tessera.trace.ArgSpec;
import dev.tessera.trace.KernelMethod;
import dev.tessera.trace.Tracer;
import dev.tessera.types.DType;
import dev.tessera.types.ElementType;
import dev.tessera.types.PointerType;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Tracing test kernels to optimized IR and PTX without a device. */
public final class Kernels {
    private Kernels() {}

    /** A pointer argument to a 16-byte aligned tensor of {@code t}. */
    public static ArgSpec ptr(DType t) { return new ArgSpec(new PointerType(t), 16, false); }

    public static ArgSpec i32() { return new ArgSpec(DType.I32, 1, false); }

    public static ArgSpec i32Div16() { return new ArgSpec(DType.I32, 16, false); }

    public static ArgSpec scalar(ElementType t) { return new ArgSpec(t, 1, false); }

    /** The optimized IR of {@code owner.name} for these runtime arguments and constexprs (name, value pairs). */
    public static KernelIR ir(Class<?> owner, String name, List<ArgSpec> args, Object... constexprs) {
        Map<String, Object> c = new LinkedHashMap<>();
        for (int i = 0; i < constexprs.length; i += 2) c.put((String) constexprs[i], constexprs[i + 1]);
        return Pipeline.standard().run(Tracer.trace(KernelMethod.of(owner, name), args, c));
    }

    public static PtxModule ptx(KernelIR ir, int numWarps, Target target) {
        return PtxCodegen.generate(ir, new LaunchOptions(numWarps, 3), target);
    }

    public static List<ArgSpec> args(ArgSpec... a) { return new ArrayList<>(List.of(a)); }

    /** How many times {@code what} occurs in {@code text} (an instruction in PTX, say). */
    public static int occurrences(String text, String what) {
        int n = 0;
        for (int i = text.indexOf(what); i >= 0; i = text.indexOf(what, i + 1)) n++;
        return n;
    }
}
