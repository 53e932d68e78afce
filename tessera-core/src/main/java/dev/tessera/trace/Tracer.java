package dev.tessera.trace;

import dev.tessera.ir.KernelIR;
import dev.tessera.ir.Loc;
import dev.tessera.ir.Type;
import dev.tessera.ir.Value;
import dev.tessera.ir.Verifier;
import dev.tessera.lang.TL;
import dev.tessera.lang.TensorDesc;
import dev.tessera.lang.Tile;
import dev.tessera.semantic.SourceLocator;
import dev.tessera.semantic.TraceContext;
import dev.tessera.semantic.TraceException;
import java.lang.reflect.InvocationTargetException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Runs a kernel method on symbolic tiles and returns the IR it recorded. */
public final class Tracer {
    private Tracer() {}

    /**
     * Traces {@code kernel} for one specialization.
     *
     * @param args       one per runtime parameter, in order
     * @param constexprs one value per constexpr parameter, by name
     */
    public static KernelIR trace(KernelMethod kernel, List<ArgSpec> args, Map<String, Object> constexprs) {
        List<KernelMethod.Param> runtime = kernel.runtimeParams();
        if (args.size() != runtime.size()) {
            throw new IllegalArgumentException(kernel.name() + " has " + runtime.size() + " runtime parameters, got " + args.size());
        }
        TraceContext ctx = new TraceContext();
        List<KernelIR.Param> params = new ArrayList<>();
        List<Value> paramValues = new ArrayList<>();
        for (int i = 0; i < runtime.size(); i++) {
            Value v = ctx.parameter(Type.scalar(args.get(i).type()));
            paramValues.add(v);
            params.add(new KernelIR.Param(runtime.get(i).name(), v, args.get(i).divisibility()));
        }
        Map<String, Object> constants = new LinkedHashMap<>();
        ctx.within(() -> {
            Object[] javaArgs = new Object[kernel.params().size()];
            int r = 0;
            for (int i = 0; i < javaArgs.length; i++) {
                KernelMethod.Param p = kernel.params().get(i);
                if (p.isConstexpr()) {
                    if (!constexprs.containsKey(p.name())) throw new IllegalArgumentException("no value for constexpr " + p.name());
                    javaArgs[i] = constexprs.get(p.name());
                    constants.put(p.name(), javaArgs[i]);
                } else {
                    ArgSpec spec = args.get(r);
                    Value v = paramValues.get(r++);
                    boolean descriptorParam = p.javaType() == TensorDesc.class;
                    if (descriptorParam != v.type().isDescriptor()) { // the launch checks this, naming the argument
                        throw new IllegalArgumentException("parameter " + p.name() + " is a " + p.javaType().getSimpleName() + ", given " + spec);
                    }
                    javaArgs[i] = descriptorParam ? TensorDesc.wrap(v) : spec.equalsOne() ? TL.scalar(1).to(v.type().dtype()) : Tile.wrap(v);
                }
            }
            invoke(kernel, javaArgs);
            return null;
        });
        return Verifier.verify(ctx.finish(kernel.name(), params, constants));
    }

    private static void invoke(KernelMethod kernel, Object[] javaArgs) {
        try {
            kernel.method().invoke(null, javaArgs);
        } catch (InvocationTargetException e) {
            Throwable cause = e.getCause();
            if (cause instanceof TraceException te) throw te;
            String what = cause.getMessage() != null ? cause.getMessage() : cause.toString();
            throw new TraceException(userLoc(cause, kernel.method().getDeclaringClass().getClassLoader()),
                    "while tracing " + kernel.name() + ": " + what, cause);
        } catch (IllegalAccessException e) {
            throw new IllegalStateException(e);
        }
    }

    /**
     * The innermost frame of the kernel's own code (user or library) in an exception thrown while
     * tracing, by the rule {@link SourceLocator} uses: by code source, not by package name, so that a
     * kernel in a package that shares a prefix with Tessera's (as tests' do) still counts as user code.
     */
    private static Loc userLoc(Throwable t, ClassLoader loader) {
        for (StackTraceElement f : t.getStackTrace()) {
            Class<?> c;
            try {
                c = Class.forName(f.getClassName(), false, loader);
            } catch (ClassNotFoundException | LinkageError e) {
                continue;
            }
            if (!SourceLocator.isMachinery(c)) return new Loc(f.getFileName(), f.getLineNumber(), f.getMethodName());
        }
        return Loc.UNKNOWN;
    }
}
