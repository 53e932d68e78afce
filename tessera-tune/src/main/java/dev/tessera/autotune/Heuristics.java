package dev.tessera.autotune;

import dev.tessera.runtime.Grid;
import dev.tessera.runtime.JitKernel;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.function.Function;

/**
 * Meta-parameters computed from the arguments instead of measured (Triton's {@code @heuristics}):
 * each named constexpr gets the value of a function of the {@link Args}. Heuristics are applied in
 * the order added and see the values computed before them, the caller's constexprs and, under an
 * {@link Autotuner}, the config being tried.
 *
 * <pre>{@code
 * Heuristics h = Heuristics.of(Softmax.KERNEL).set("BLOCK", a -> Heuristics.nextPowerOf2(a.intValue("n")));
 * h.launch(grid(rows), x, out, x.stride(0), n);         // BLOCK is filled in
 * }</pre>
 */
public final class Heuristics {

    private final JitKernel kernel;
    private final Map<String, Function<Args, Object>> rules;

    private Heuristics(JitKernel kernel, Map<String, Function<Args, Object>> rules) {
        this.kernel = kernel;
        this.rules = rules;
    }

    /** No heuristics yet, for {@code kernel} (may be null when only used inside an autotuner). */
    public static Heuristics of(JitKernel kernel) { return new Heuristics(kernel, new LinkedHashMap<>()); }

    /** Adds (or replaces) the rule for constexpr {@code name}; returns a new object. */
    public Heuristics set(String name, Function<Args, Object> rule) {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(rule, "rule");
        Map<String, Function<Args, Object>> m = new LinkedHashMap<>(rules);
        m.put(name, rule);
        return new Heuristics(kernel, m);
    }

    /** The names this sets. */
    public java.util.Set<String> names() { return rules.keySet(); }

    public boolean isEmpty() { return rules.isEmpty(); }

    /** The values of every rule for these arguments, in order, each seeing those before it. */
    public Map<String, Object> apply(Args args) {
        Map<String, Object> out = new LinkedHashMap<>();
        Args current = args;
        for (Map.Entry<String, Function<Args, Object>> e : rules.entrySet()) {
            Object v;
            try {
                v = e.getValue().apply(current);
            } catch (RuntimeException ex) {
                throw new IllegalArgumentException("heuristic for " + e.getKey() + " failed on " + args + ": " + ex.getMessage(), ex);
            }
            if (v == null) throw new IllegalArgumentException("heuristic for " + e.getKey() + " returned null on " + args);
            out.put(e.getKey(), v);
            current = current.with(Map.of(e.getKey(), v));
        }
        return out;
    }

    /** Launches the kernel with the runtime arguments in order and every constexpr from the heuristics. */
    public void launch(Grid grid, Object... runtimeArgs) {
        launch(grid, runtimeArgs, Map.of());
    }

    /** Launches with the caller's constexprs plus the heuristics' values. */
    public void launch(Grid grid, Object[] runtimeArgs, Map<String, Object> constexprs) {
        if (kernel == null) throw new IllegalStateException("these heuristics have no kernel; use Heuristics.of(kernel)");
        Args args = Autotuner.argsOf(kernel, runtimeArgs, constexprs);
        Map<String, Object> all = new LinkedHashMap<>(constexprs);
        all.putAll(apply(args));
        kernel.launch(grid, runtimeArgs, all);
    }

    // ------------------------------------------------------------------ helpers for rules

    /** The smallest power of two &ge; n (1 for n &le; 1). */
    public static int nextPowerOf2(long n) {
        if (n <= 1) return 1;
        long p = Long.highestOneBit(n - 1) << 1;
        return Math.toIntExact(p);
    }

    /** ceil(a / b). */
    public static long cdiv(long a, long b) { return (a + b - 1) / b; }

    /** Whether {@code n} is a multiple of {@code d} (Triton's EVEN_K-style flags). */
    public static boolean divisibleBy(long n, long d) { return n % d == 0; }

    /** {@code v} clamped to [lo, hi]. */
    public static int clamp(int v, int lo, int hi) { return Math.max(lo, Math.min(hi, v)); }
}
