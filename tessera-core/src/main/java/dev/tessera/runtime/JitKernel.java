package dev.tessera.runtime;

import dev.tessera.backend.Backend;
import dev.tessera.backend.CompiledKernel;
import dev.tessera.backend.LaunchOptions;
import dev.tessera.ir.Loc;
import dev.tessera.semantic.SourceLocator;
import dev.tessera.semantic.TraceException;
import dev.tessera.trace.ArgSpec;
import dev.tessera.trace.KernelMethod;
import dev.tessera.types.DType;
import dev.tessera.types.PointerType;
import java.lang.ref.Reference;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;

/**
 * A kernel ready to launch. The first launch of each specialization (argument dtypes, alignment and
 * divisibility facts, constexpr values, launch options, device) traces and compiles it, once even
 * when many threads launch at the same time; later launches find it in memory. Memory keeps at most
 * {@code tessera.jit.max.specializations} (default 256) compiled specializations per kernel, the
 * least recently launched dropped first: one launched again is compiled again (from the disk cache
 * when that is on), so a program that sweeps thousands of shapes does not keep them all.
 *
 * <pre>{@code
 * JitKernel add = Jit.kernel(VectorAdd.class, "add");
 * add.launch(grid(cdiv(n, 1024)), x, y, out, n, 1024);
 * }</pre>
 */
public final class JitKernel {
    private final KernelMethod method;
    private final LaunchOptions options;
    private final ConcurrentHashMap<SpecKey, Compilation> cache;
    private final int maxSpecializations;

    private JitKernel(KernelMethod method, LaunchOptions options, ConcurrentHashMap<SpecKey, Compilation> cache, int maxSpecializations) {
        this.method = method;
        this.options = options;
        this.cache = cache;
        this.maxSpecializations = maxSpecializations;
    }

    static JitKernel of(Class<?> owner, String name) {
        return new JitKernel(KernelMethod.of(owner, name), LaunchOptions.DEFAULT, new ConcurrentHashMap<>(), maxSpecializations());
    }

    private static int maxSpecializations() {
        String v = System.getProperty("tessera.jit.max.specializations");
        if (v == null || v.isBlank()) return 256;
        try {
            int n = Integer.parseInt(v.strip());
            if (n >= 1) return n;
        } catch (NumberFormatException e) {
            // said below
        }
        throw new IllegalArgumentException("tessera.jit.max.specializations is '" + v + "': expected a whole number, 1 or more");
    }

    /** The same kernel compiled with other warps-per-program and pipelining depth (shares the cache). */
    public JitKernel withOptions(int numWarps, int numStages) { return withOptions(new LaunchOptions(numWarps, numStages)); }

    public JitKernel withOptions(LaunchOptions newOptions) { return new JitKernel(method, newOptions, cache, maxSpecializations); }

    public String name() { return method.name(); }

    public KernelMethod method() { return method; }

    public LaunchOptions options() { return options; }

    /** How many compiled specializations are held in memory. */
    public int compiledCount() { return (int) cache.values().stream().filter(Compilation::isDone).count(); }

    /**
     * Launches with every parameter given in order, constexprs included, on the calling thread's
     * current stream of the arguments' device ({@link Stream#current}: the default stream unless one
     * is {@linkplain Stream#activate() activated}).
     */
    public void launch(Grid grid, Object... args) {
        Bound b = bind(args);
        launchBound(grid, b, Stream.current(b.device));
    }

    /** {@link #launch(Grid, Object...)} on {@code stream}, which must be of the tensor arguments' device. */
    public void launch(Stream stream, Grid grid, Object... args) {
        Objects.requireNonNull(stream, "stream");
        Bound b = bind(args, stream.device());
        launchBound(grid, b, stream);
    }

    /** Launches with the runtime arguments in order and the constexprs by name (used by autotuners), on the current stream. */
    public void launch(Grid grid, Object[] runtimeArgs, Map<String, Object> constexprs) {
        Bound b = bind(runtimeArgs, constexprs);
        launchBound(grid, b, Stream.current(b.device));
    }

    /** Traces and compiles for these arguments without launching, e.g. to look at the IR or PTX. */
    public CompiledKernel specialize(Object... args) {
        Bound b = bind(args);
        return compiled(b);
    }

    public CompiledKernel specialize(Object[] runtimeArgs, Map<String, Object> constexprs) {
        return compiled(bind(runtimeArgs, constexprs));
    }

    // ------------------------------------------------------------------ binding arguments

    /** Launch arguments sorted into runtime arguments and constexprs. */
    private record Bound(Object[] runtime, Map<String, Object> constexprs, Device device) {}

    private Bound bind(Object[] args) { return bind(args, (Device) null); }

    /** {@code args} bound, on {@code streamDevice} when a stream names the device (its tensors must be there). */
    private Bound bind(Object[] args, Device streamDevice) {
        List<KernelMethod.Param> params = method.params();
        if (args.length != params.size()) {
            throw launchError(method.name() + " takes " + params.size() + " arguments " + names(params) + ", got " + args.length);
        }
        Object[] runtime = new Object[method.runtimeParams().size()];
        Map<String, Object> constexprs = new LinkedHashMap<>();
        int r = 0;
        for (int i = 0; i < args.length; i++) {
            KernelMethod.Param p = params.get(i);
            if (p.isConstexpr()) constexprs.put(p.name(), constexprValue(p, args[i]));
            else runtime[r++] = args[i];
        }
        return new Bound(runtime, constexprs, deviceOf(runtime, streamDevice));
    }

    private Bound bind(Object[] runtimeArgs, Map<String, Object> given) {
        List<KernelMethod.Param> runtimeParams = method.runtimeParams();
        if (runtimeArgs.length != runtimeParams.size()) {
            throw launchError(method.name() + " takes " + runtimeParams.size() + " runtime arguments "
                    + names(runtimeParams) + ", got " + runtimeArgs.length);
        }
        Map<String, Object> constexprs = new LinkedHashMap<>();
        for (KernelMethod.Param p : method.constexprParams()) {
            if (!given.containsKey(p.name())) throw launchError(method.name() + " needs a value for constexpr " + p.name());
            constexprs.put(p.name(), constexprValue(p, given.get(p.name())));
        }
        for (String name : given.keySet()) {
            if (!constexprs.containsKey(name)) {
                throw launchError(method.name() + " has no constexpr named " + name + " (it has "
                        + method.constexprParams().stream().map(KernelMethod.Param::name).toList() + ")");
            }
        }
        return new Bound(runtimeArgs, constexprs, deviceOf(runtimeArgs, null));
    }

    /**
     * The device of the tensor arguments (all on one), or, when there are none, the stream's device
     * ({@code streamDevice}, null without an explicit stream) or the default device.
     */
    private Device deviceOf(Object[] runtimeArgs, Device streamDevice) {
        List<KernelMethod.Param> runtimeParams = method.runtimeParams();
        Device device = null;
        for (int i = 0; i < runtimeArgs.length; i++) {
            Object a = runtimeArgs[i];
            if (a instanceof TensorDescriptor desc) a = desc.tensor();
            if (a instanceof Tensor t) {
                if (t.isClosed()) throw launchError("argument " + runtimeParams.get(i).name() + " is a closed tensor");
                if (device == null) device = t.device();
                else if (!device.equals(t.device())) {
                    throw launchError("argument " + runtimeParams.get(i).name() + " is on " + t.device()
                            + " but earlier tensors are on " + device + "; move it with .to(device)");
                }
            } else if (!(a instanceof Integer || a instanceof Long || a instanceof Float || a instanceof Double
                    || a instanceof Boolean || a instanceof Short || a instanceof Byte)) {
                throw launchError("argument " + runtimeParams.get(i).name() + " is "
                        + (a == null ? "null" : "a " + a.getClass().getSimpleName())
                        + "; runtime arguments are tensors, tensor descriptors or Java numbers");
            }
            boolean descriptorParam = runtimeParams.get(i).javaType() == dev.tessera.lang.TensorDesc.class;
            if (descriptorParam != runtimeArgs[i] instanceof TensorDescriptor) {
                throw launchError("argument " + runtimeParams.get(i).name() + (descriptorParam
                        ? " is declared TensorDesc: pass TensorDescriptor.of(tensor, block...)"
                        : " is a tensor descriptor but the parameter is a Tile: declare it TensorDesc"));
            }
            if (runtimeArgs[i] instanceof TensorDescriptor desc) {
                String problem = desc.problem(runtimeParams.get(i).name());
                if (problem != null) throw launchError(problem);
            }
        }
        if (device == null) return streamDevice != null ? streamDevice : Device.defaultDevice();
        if (streamDevice != null && !device.equals(streamDevice)) {
            throw new IllegalArgumentException(method.name() + "'s tensor arguments are on " + device + " but the stream given is of "
                    + streamDevice + "; launch on a stream of " + device);
        }
        return device;
    }

    private Object constexprValue(KernelMethod.Param p, Object v) {
        Class<?> t = p.javaType();
        if (v == null) throw launchError("constexpr " + p.name() + " is null");
        if (t == int.class && v instanceof Integer) return v;
        if (t == long.class && (v instanceof Long || v instanceof Integer)) return ((Number) v).longValue();
        if (t == boolean.class && v instanceof Boolean) return v;
        if ((t == float.class || t == double.class) && v instanceof Number n) return t == float.class ? n.floatValue() : n.doubleValue();
        if (!t.isPrimitive() && t.isInstance(v)) return v;
        throw launchError("constexpr " + p.name() + " is declared " + t.getSimpleName() + " but was given "
                + v.getClass().getSimpleName() + " " + v);
    }

    private static String names(List<KernelMethod.Param> params) {
        return "(" + String.join(", ", params.stream().map(KernelMethod.Param::name).toList()) + ")";
    }

    private static TraceException launchError(String message) {
        Loc site = SourceLocator.find();
        return new TraceException(site, message);
    }

    // ------------------------------------------------------------------ specialization and cache

    /** Everything that makes compiled code differ. */
    private record SpecKey(List<ArgSpec> args, List<Object> constexprs, LaunchOptions options, Device device) {}

    private SpecKey key(Bound b) {
        List<ArgSpec> specs = new ArrayList<>(b.runtime.length);
        for (Object a : b.runtime) specs.add(specOf(a));
        return new SpecKey(specs, new ArrayList<>(b.constexprs.values()), options, b.device);
    }

    static ArgSpec specOf(Object a) {
        return switch (a) {
            // the alignment of the memory itself (a CPU view's own address is always aligned)
            case Tensor t -> new ArgSpec(new PointerType(t.dtype()), (t.buffer().address() + t.byteOffset()) % 16 == 0 ? 16 : 1, false);
            // TensorDescriptor's rules guarantee a 16-byte aligned base
            case TensorDescriptor d -> new ArgSpec(d.type(), TensorDescriptor.ALIGNMENT_BYTES, false);
            case Integer i -> intSpec(DType.I32, i);
            case Short s -> intSpec(DType.I32, s);
            case Byte b -> intSpec(DType.I32, b);
            case Long l -> intSpec(DType.I64, l);
            case Float f -> new ArgSpec(DType.F32, 1, false);
            case Double d -> new ArgSpec(DType.F32, 1, false);
            case Boolean b -> new ArgSpec(DType.I1, 1, false);
            default -> throw new IllegalArgumentException("not a kernel argument: " + a);
        };
    }

    private static ArgSpec intSpec(DType t, long v) { return new ArgSpec(t, v % 16 == 0 ? 16 : 1, v == 1); }

    private CompiledKernel compiled(Bound b) {
        SpecKey key = key(b);
        Compilation c = cache.get(key);
        if (c == null) {
            Compilation fresh = new Compilation();
            c = cache.putIfAbsent(key, fresh);
            if (c == null) {
                c = fresh;
                if (cache.size() > maxSpecializations) evictLeastRecentlyUsed(fresh);
            }
        }
        c.lastUsed = System.nanoTime();
        Compilation used = c;
        return c.get(() -> Compiler.compile(method, key.args(), b.constexprs, options, b.device), () -> cache.remove(key, used));
    }

    /** Drops compiled specializations, oldest launch first, until the cache is within its bound (never {@code keep}). */
    private void evictLeastRecentlyUsed(Compilation keep) {
        synchronized (cache) {
            while (cache.size() > maxSpecializations) {
                Map.Entry<SpecKey, Compilation> oldest = null;
                for (Map.Entry<SpecKey, Compilation> e : cache.entrySet()) {
                    Compilation c = e.getValue();
                    // one still compiling has threads waiting on it: it stays
                    if (c != keep && c.isDone() && (oldest == null || c.lastUsed < oldest.getValue().lastUsed)) oldest = e;
                }
                if (oldest == null) return;
                cache.remove(oldest.getKey(), oldest.getValue());
            }
        }
    }

    private void launchBound(Grid grid, Bound b, Stream stream) {
        var queue = stream.impl(); // a closed stream fails here, before anything is compiled or queued
        CompiledKernel compiled = compiled(b);
        int[] dims = grid.dims(Collections.unmodifiableMap(b.constexprs));
        // a grid function is held to the rules of Grid.grid(...): 1 to 3 dimensions, none negative
        if (dims == null || dims.length < 1 || dims.length > 3) {
            throw new IllegalArgumentException("the grid of " + method.name() + " has 1 to 3 dimensions, got "
                    + (dims == null ? "null" : java.util.Arrays.toString(dims)));
        }
        int[] g = {1, 1, 1};
        for (int i = 0; i < dims.length; i++) {
            if (dims[i] < 0) throw new IllegalArgumentException("negative grid dimension " + dims[i] + " for " + method.name());
            g[i] = dims[i];
        }
        if (g[0] == 0 || g[1] == 0 || g[2] == 0) return;
        Backend backend = b.device.backendImpl();
        LaunchWatch.launched(stream);
        try {
            backend.launch(compiled, g, pack(b.runtime), b.device.index(), queue);
        } finally {
            // A tensor's memory is freed when the tensor becomes unreachable, and after pack() the kernel
            // holds only raw addresses: without this fence, a caller that never uses an argument again
            // (launch(grid, Tensor.full(...), ...)) lets the collector free it while the kernel reads it.
            // (This covers synchronous launches; an asynchronous backend must keep them until its work
            // ends: the CUDA backend frees memory only after the work queued on every stream, see DeviceBuffer.close.)
            Reference.reachabilityFence(b.runtime);
        }
    }

    /** Raw argument bits, as {@link Backend#launch} takes them (a descriptor takes several words). */
    static long[] pack(Object[] runtime) {
        int words = 0;
        for (Object a : runtime) words += a instanceof TensorDescriptor d ? TensorDescriptor.argumentWords(d.blockShape().length) : 1;
        long[] bits = new long[words];
        int at = 0;
        for (int i = 0; i < runtime.length; i++) {
            if (runtime[i] instanceof TensorDescriptor d) {
                at = d.pack(bits, at);
                continue;
            }
            bits[at++] = switch (runtime[i]) {
                case Tensor t -> t.dataPointer();
                case Integer v -> v;
                case Short v -> v;
                case Byte v -> v;
                case Long v -> v;
                case Float v -> Float.floatToRawIntBits(v);
                case Double v -> Float.floatToRawIntBits(v.floatValue());
                case Boolean v -> v ? 1 : 0;
                default -> throw new IllegalArgumentException("not a kernel argument: " + runtime[i]);
            };
        }
        return bits;
    }

    /** One specialization's compilation, run once by whichever thread gets there first. */
    private static final class Compilation {
        private volatile CompiledKernel result;
        /** When it was last launched (System.nanoTime), for eviction; a plain field, since a stale value only ages it a little. */
        long lastUsed;

        boolean isDone() { return result != null; }

        CompiledKernel get(java.util.function.Supplier<CompiledKernel> compile, Runnable forget) {
            CompiledKernel r = result;
            if (r != null) return r;
            synchronized (this) {
                if (result == null) {
                    try {
                        result = compile.get();
                    } catch (RuntimeException e) {
                        forget.run(); // a later launch retries (the user may have fixed a constexpr)
                        throw e;
                    }
                }
                return result;
            }
        }
    }
}
