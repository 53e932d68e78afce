package dev.tessera.autotune;

import dev.tessera.backend.Backend;
import dev.tessera.backend.Buffer;
import dev.tessera.backend.DeviceInfo;
import dev.tessera.backend.KernelResources;
import dev.tessera.backend.ResourceLimitException;
import dev.tessera.bench.BenchOptions;
import dev.tessera.bench.BenchResult;
import dev.tessera.bench.Benchmarker;
import dev.tessera.bench.DeviceTimers;
import dev.tessera.bench.Progress;
import dev.tessera.runtime.Device;
import dev.tessera.runtime.Grid;
import dev.tessera.runtime.JitKernel;
import dev.tessera.runtime.Tensor;
import dev.tessera.trace.KernelMethod;
import java.io.PrintStream;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Function;

/**
 * Picks a kernel's meta-parameters by measurement (Triton's {@code @autotune}). Built around a
 * {@link JitKernel} and a list of {@link Config}s; the first launch for each key times every
 * config that survives pruning and launches the fastest; later launches with the same key go
 * straight to the winner. Results persist in a {@link TuningCache} so other processes reuse them.
 *
 * <pre>{@code
 * static final Autotuner TUNED = Autotuner.builder(Softmax.KERNEL)
 *         .configs(Config.of("ROWS", 1).warps(4), Config.of("ROWS", 4).warps(8))
 *         .key("n")                                         // re-tune when n (or any dtype) changes
 *         .heuristic("BLOCK", a -> Heuristics.nextPowerOf2(a.intValue("n")))
 *         .build();
 * TUNED.launch(meta -> new int[] {cdiv(rows, (int) meta.get("ROWS"))}, x, out, x.stride(0), n);
 * }</pre>
 *
 * <h2>Tuning one key</h2>
 * <ol>
 *   <li>the prune hook ({@link Builder#prune}) may drop configs before anything is compiled;
 *       on a backend that ignores warps and stages (the CPU), configs differing only in them
 *       are timed once ({@link Builder#launchOptionsMatter});</li>
 *   <li>configs that exceed a device resource limit ({@link DeviceInfo#limits()}: threads per
 *       program from {@code numWarps}, and whatever {@link Builder#resources} estimates, e.g. shared
 *       memory) are skipped with the reason;</li>
 *   <li>with a performance model ({@link Builder#performanceModel}) only the {@code k} configs with
 *       the smallest estimates go on;</li>
 *   <li>each remaining config is compiled and run once (a failure skips it with the compiler's or
 *       the fault's message; a kernel the backend finds too large for the device once compiled, a
 *       {@link ResourceLimitException}, is skipped as exceeding a resource limit, with the message
 *       naming the config and the limit); then each is timed with the {@link Benchmarker}, in
 *       {@link Builder#rounds interleaved rounds} on the CPU (by default {@code doBench} with the device's timer);
 *       arguments named by {@link Builder#resetToZero} are zeroed before every call and those named
 *       by {@link Builder#restoreValue} are put back after each config, so user data is never
 *       corrupted; after tuning the first are zeroed and the second restored once more, so the real
 *       launch that follows sees exactly what the caller passed;</li>
 *   <li>the config with the smallest median time wins; if none could run, an
 *       {@link AutotuneException} lists every config and why.</li>
 * </ol>
 * Configs that fail to compile, to run or to fit the device are always reported on the log
 * stream with the reason (those dropped on purpose by pruning are not); {@link Builder#verbose} also prints every
 * config's time and the winner. A progress bar shows while tuning.
 *
 * <h2>The key</h2>
 * The values of the arguments named by {@link Builder#key} (integers as they are, tensors by dtype
 * and shape), the dtypes of every tensor argument, the constexprs the caller passes, and the device.
 */
public final class Autotuner {

    /** Drops configs before any is compiled (Triton's {@code prune_configs_by['early_config_prune']}). */
    @FunctionalInterface
    public interface Prune {
        List<Config> prune(List<Config> configs, Args args);
    }

    /**
     * The runtime arguments a launch takes, made from those the tuner was given and the launch's
     * constexprs (the config's and the fixed ones; Triton's {@code pre_hook} setting a host tensor
     * descriptor's block shape): a tensor passed as a descriptor in blocks of the config's tile,
     * say. Keys, pruning, resets and restores see the arguments as given.
     */
    @FunctionalInterface
    public interface Arguments {
        Object[] forLaunch(Object[] given, Map<String, Object> constexprs);
    }

    /** Estimated milliseconds of a config (Triton's {@code perf_model}); smaller is better. */
    @FunctionalInterface
    public interface PerformanceModel {
        double estimateMs(Config config, Args args);
    }

    /**
     * What a config needs of the device, by the names of {@link DeviceInfo#limits()} (e.g.
     * {@code "sharedMemoryPerBlock"} in bytes); a config needing more than a limit is skipped.
     */
    @FunctionalInterface
    public interface ResourceUsage {
        Map<String, Long> estimate(Config config, Args args);
    }

    private final JitKernel kernel;
    private final KernelMethod method;
    private final String name;
    private final List<Config> configs;
    private final List<String> key, resetToZero, restoreValue;
    private final Prune prune;
    private final Arguments arguments;
    private final PerformanceModel model;
    private final int topK;
    private final ResourceUsage resources;
    private final Map<String, Long> limitsOverride;
    private final Heuristics heuristics;
    private final Benchmarker benchmarker;
    private final TuningCache cache;
    private final boolean verbose;
    private final PrintStream log;
    private final Progress.Mode progress;
    private final java.util.function.Predicate<Device> launchOptionsMatter;
    private final int rounds;
    private final String configsDigest;
    private final Map<String, Integer> runtimeIndex = new LinkedHashMap<>();

    /** The tuned state of one key. */
    private record Tuned(Config best, JitKernel kernel, Map<String, Object> constexprs, TuningResult result) {}

    private final ConcurrentHashMap<String, Tuned> tuned = new ConcurrentHashMap<>();
    private final java.util.concurrent.CopyOnWriteArrayList<Map.Entry<String, TuningResult>> history =
            new java.util.concurrent.CopyOnWriteArrayList<>();
    private final Builder spec;

    private Autotuner(Builder b) {
        spec = b.copy();
        kernel = b.kernel;
        method = kernel.method();
        name = method.qualifiedName().substring(method.qualifiedName().lastIndexOf('.', method.qualifiedName().lastIndexOf('.') - 1) + 1);
        List<KernelMethod.Param> rt = method.runtimeParams();
        for (int i = 0; i < rt.size(); i++) runtimeIndex.put(rt.get(i).name(), i);
        configs = b.configs.stream().map(this::normalize).toList();
        key = List.copyOf(b.key);
        resetToZero = List.copyOf(b.resetToZero);
        restoreValue = List.copyOf(b.restoreValue);
        prune = b.prune;
        arguments = b.arguments;
        model = b.model;
        topK = b.topK;
        resources = b.resources;
        limitsOverride = b.limits == null ? null : Map.copyOf(b.limits);
        heuristics = b.heuristics;
        benchmarker = b.benchmarker;
        cache = b.cache != null ? b.cache : TuningCache.defaultCache();
        verbose = b.verbose;
        log = b.log;
        progress = b.progress;
        launchOptionsMatter = b.launchOptionsMatter;
        rounds = b.rounds;
        configsDigest = Fingerprints.sha256(String.join("\n", configs.stream().map(Config::toString).toList())
                + "\nheuristics=" + heuristics.names() + "\nkernel=" + Fingerprints.classHash(method.method().getDeclaringClass()))
                .substring(0, 16);
        validate(b);
    }

    public static Builder builder(JitKernel kernel) { return new Builder(kernel); }

    public JitKernel kernel() { return kernel; }

    /**
     * A builder holding this tuner's settings, to make a variant (say, verbose with a longer timing
     * budget): {@code Softmax.TUNER.toBuilder().verbose(true).build()}. The variant has its own
     * in-memory results and shares the disk cache.
     */
    public Builder toBuilder() { return spec.copy(); }

    public List<Config> configs() { return configs; }

    public List<String> key() { return key; }

    public TuningCache cache() { return cache; }

    // ------------------------------------------------------------------ launching

    /** Launches with the runtime arguments in order; tunes first if this key is new. */
    public void launch(Grid grid, Object... runtimeArgs) {
        launch(grid, runtimeArgs, Map.of());
    }

    /**
     * Launches with the runtime arguments in order and constexprs that are not tuned (e.g. a
     * precision flag) by name; tunes first if this key is new.
     */
    public void launch(Grid grid, Object[] runtimeArgs, Map<String, Object> constexprs) {
        Tuned t = tunedFor(grid, runtimeArgs, constexprs);
        Map<String, Object> cx = t.constexprs;
        if (!heuristics.isEmpty()) {
            cx = new LinkedHashMap<>(cx);
            cx.putAll(heuristics.apply(argsOf(kernel, runtimeArgs, cx)));
        }
        t.kernel.launch(grid, launchArgs(runtimeArgs, cx), cx);
    }

    /** The arguments a launch with constexprs {@code cx} takes (see {@link Arguments}). */
    private Object[] launchArgs(Object[] given, Map<String, Object> cx) { return arguments == null ? given : arguments.forLaunch(given, cx); }

    /**
     * Tunes for these arguments if their key is new (running trials of the kernel on them, with the
     * reset and restore rules above) and returns the result; does not launch the winner.
     */
    public TuningResult tune(Grid grid, Object[] runtimeArgs, Map<String, Object> constexprs) {
        return tunedFor(grid, runtimeArgs, constexprs).result;
    }

    /** The config chosen for these arguments, tuning first if their key is new. */
    public Config bestConfig(Grid grid, Object[] runtimeArgs, Map<String, Object> constexprs) {
        return tunedFor(grid, runtimeArgs, constexprs).best;
    }

    /** Results tuned or loaded by this process so far, by key, oldest first. */
    public Map<String, TuningResult> results() {
        Map<String, TuningResult> m = new LinkedHashMap<>();
        for (Map.Entry<String, TuningResult> e : history) m.put(e.getKey(), e.getValue());
        return m;
    }

    /** The result of the key tuned or loaded most recently, if any. */
    public java.util.Optional<TuningResult> lastResult() {
        return history.isEmpty() ? java.util.Optional.empty() : java.util.Optional.of(history.getLast().getValue());
    }

    /** Forgets what this process tuned (the disk cache is kept), e.g. to re-read it in a test. */
    public synchronized void clearMemory() {
        tuned.clear();
        history.clear();
    }

    private Tuned tunedFor(Grid grid, Object[] runtimeArgs, Map<String, Object> constexprs) {
        String k = keyOf(runtimeArgs, constexprs);
        Tuned t = tuned.get(k);
        if (t != null) return t;
        synchronized (this) {
            t = tuned.get(k);
            if (t == null) {
                t = tuneKey(k, grid, runtimeArgs, constexprs);
                tuned.put(k, t);
                history.add(Map.entry(k, t.result));
            }
            return t;
        }
    }

    // ------------------------------------------------------------------ the key

    /** The tuning key of these arguments (without the device, which the caller adds). */
    String keyOf(Object[] runtimeArgs, Map<String, Object> constexprs) {
        if (runtimeArgs.length != runtimeIndex.size()) {
            throw new IllegalArgumentException(name + " takes " + runtimeIndex.size() + " runtime arguments "
                    + runtimeIndex.keySet() + ", got " + runtimeArgs.length);
        }
        StringBuilder sb = new StringBuilder();
        Device device = null;
        for (String k : key) {
            Integer i = runtimeIndex.get(k);
            Object v = i != null ? runtimeArgs[i] : constexprs.get(k);
            if (i == null && v == null) throw new IllegalArgumentException("key argument " + k + " of " + name + " was not given");
            if (!sb.isEmpty()) sb.append(' ');
            sb.append(k).append('=').append(v instanceof Tensor t ? t.dtype() + java.util.Arrays.toString(t.shape()) : v);
        }
        sb.append(" |");
        int i = 0;
        for (String p : runtimeIndex.keySet()) {
            if (runtimeArgs[i] instanceof Tensor t) {
                sb.append(' ').append(p).append(':').append(t.dtype());
                if (device == null) device = t.device();
            }
            i++;
        }
        for (Map.Entry<String, Object> e : constexprs.entrySet()) {
            if (!key.contains(e.getKey())) sb.append(" | ").append(e.getKey()).append('=').append(e.getValue());
        }
        return (device != null ? device : Device.defaultDevice()) + ": " + sb;
    }

    /** The launch's arguments by name (runtime ones, then the given constexprs). */
    static Args argsOf(JitKernel kernel, Object[] runtimeArgs, Map<String, Object> constexprs) {
        Map<String, Object> m = new LinkedHashMap<>();
        List<KernelMethod.Param> rt = kernel.method().runtimeParams();
        if (runtimeArgs.length != rt.size()) {
            throw new IllegalArgumentException(kernel.name() + " takes " + rt.size() + " runtime arguments, got " + runtimeArgs.length);
        }
        Device device = null;
        for (int i = 0; i < rt.size(); i++) {
            m.put(rt.get(i).name(), runtimeArgs[i]);
            if (device == null && runtimeArgs[i] instanceof Tensor t) device = t.device();
        }
        m.putAll(constexprs);
        return new Args(m, device != null ? device : Device.defaultDevice());
    }

    // ------------------------------------------------------------------ tuning

    private Tuned tuneKey(String fullKey, Grid grid, Object[] runtimeArgs, Map<String, Object> fixed) {
        Args args = argsOf(kernel, runtimeArgs, fixed);
        Device device = args.device();
        String keyText = fullKey.substring(fullKey.indexOf(": ") + 2);
        TuningCache.Identity id = identity(device, keyText);

        TuningCache.Lookup lookup = cache.load(id);
        if (lookup.found()) {
            Config best = normalizeLoaded(lookup.entry().best());
            if (best != null && configs.contains(best)) {
                List<TuningResult.Trial> trials = new ArrayList<>();
                for (Config c : configs) {
                    Double ms = lookup.entry().timingsMs().get(c.toString());
                    trials.add(ms != null && !ms.isNaN() ? new TuningResult.Trial(c, BenchResult.ofMs(ms), null)
                            : new TuningResult.Trial(c, null, "skipped when tuned"));
                }
                TuningResult r = new TuningResult(method.qualifiedName(), keyText, id.device(), best, trials, true, lookup.file(), 0);
                if (verbose) log.println("autotune " + r.summary());
                return tunedOf(best, fixed, r);
            }
            warn("ignoring tuning results file " + lookup.file() + ": stale: its best config " + lookup.entry().best()
                    + " is not among the current configs; re-tuning");
        } else if (lookup.ignoredBecause() != null) {
            warn("ignoring tuning results file " + lookup.file() + ": " + lookup.ignoredBecause() + "; re-tuning");
        }

        long t0 = System.nanoTime();
        List<TuningResult.Trial> trials = new ArrayList<>();
        List<Config> candidates = new ArrayList<>(configs);
        Set<Config> quiet = new java.util.HashSet<>();

        if (prune != null) {
            List<Config> kept = prune.prune(List.copyOf(candidates), args);
            Set<Config> keptSet = new LinkedHashSet<>();
            for (Config c : kept) keptSet.add(normalize(c));
            for (Config c : candidates) {
                if (!keptSet.contains(c)) {
                    trials.add(new TuningResult.Trial(c, null, "pruned by the prune hook"));
                    quiet.add(c);
                }
            }
            candidates = new ArrayList<>(keptSet);
        }

        if (!launchOptionsMatter.test(device)) {
            Map<Map<String, Object>, Config> firstOfMeta = new LinkedHashMap<>();
            for (var it = candidates.iterator(); it.hasNext(); ) {
                Config c = it.next();
                Config first = firstOfMeta.putIfAbsent(c.meta(), c);
                if (first != null) {
                    trials.add(new TuningResult.Trial(c, null, "same code as " + first + " (" + device
                            + " ignores warps and stages)"));
                    quiet.add(c);
                    it.remove();
                }
            }
        }

        Map<String, Long> limits = limitsOverride != null ? limitsOverride : deviceLimits(device);
        for (var it = candidates.iterator(); it.hasNext(); ) {
            Config c = it.next();
            String why = exceedsLimits(c, args.with(c.meta()), limits);
            if (why != null) {
                trials.add(new TuningResult.Trial(c, null, why));
                it.remove();
            }
        }

        if (model != null && candidates.size() > topK) {
            Map<Config, Double> est = new LinkedHashMap<>();
            for (Config c : candidates) est.put(c, model.estimateMs(c, args.with(c.meta())));
            List<Config> sorted = candidates.stream().sorted(Comparator.comparingDouble(est::get)).toList();
            for (Config c : sorted.subList(topK, sorted.size())) {
                trials.add(new TuningResult.Trial(c, null, String.format(Locale.ROOT,
                        "performance model estimates %.4g ms, not among the %d best", est.get(c), topK)));
                quiet.add(c);
            }
            candidates = new ArrayList<>(sorted.subList(0, topK));
        }

        Benchmarker bench = benchmarker != null ? benchmarker : defaultBenchmarker(device);
        List<Tensor> zeroed = tensors(resetToZero, args);
        List<Snapshot> saved = new ArrayList<>();
        for (Tensor t : tensors(restoreValue, args)) saved.add(Snapshot.of(t));
        try {
            List<Prepared> ready = new ArrayList<>();
            for (Config c : candidates) {
                Prepared p = prepare(c, grid, runtimeArgs, fixed, args, zeroed, saved);
                if (p.failed() != null) trials.add(p.failed());
                else ready.add(p);
            }
            int n = rounds > 0 ? rounds : device.backend().equals("cpu") ? 3 : 1;
            Map<Config, TuningResult.Trial> best = new LinkedHashMap<>();
            try (Progress bar = Progress.create(progress, "tune " + name, ready.size() * n, log)) {
                for (int round = 0; round < n; round++) {
                    for (Prepared p : ready) {
                        TuningResult.Trial prior = best.get(p.config());
                        if (prior != null && !prior.timed()) continue;   // it failed in an earlier round
                        TuningResult.Trial trial = time(p, bench, saved);
                        if (prior == null || !trial.timed() || trial.ms() < prior.ms()) best.put(p.config(), trial);
                        bar.step(p.config() + (n > 1 ? " (round " + (round + 1) + ")" : "") + ": "
                                + (trial.timed() ? String.format(Locale.ROOT, "%.4f ms", trial.ms()) : "skipped"));
                    }
                }
            }
            trials.addAll(best.values());
        } finally {
            for (Snapshot s : saved) {
                s.restore();
                s.close();
            }
            for (Tensor t : zeroed) zero(t);
        }

        List<TuningResult.Trial> ordered = order(trials);
        for (TuningResult.Trial t : ordered) {
            // configs dropped on purpose (prune hook, model, duplicates) are no news; failures are
            if (!t.timed() && !quiet.contains(t.config())) warn("skipped config " + t.config() + ": " + t.skipped());
        }
        TuningResult.Trial winner = ordered.stream().filter(TuningResult.Trial::timed)
                .min(Comparator.comparingDouble(TuningResult.Trial::ms)).orElse(null);
        if (winner == null) throw new AutotuneException(method.qualifiedName(), keyText, ordered);

        Map<String, Double> timings = new LinkedHashMap<>();
        for (TuningResult.Trial t : ordered) timings.put(t.config().toString(), t.ms());
        java.nio.file.Path file = null;
        try {
            file = cache.store(id, winner.config(), timings);
        } catch (RuntimeException e) {
            warn("could not save tuning results: " + e.getMessage());
        }
        TuningResult r = new TuningResult(method.qualifiedName(), keyText, id.device(), winner.config(), ordered, false, file,
                (System.nanoTime() - t0) / 1e6);
        if (verbose) {
            log.println("autotune " + name + " [" + keyText + "] on " + id.device() + ":");
            r.table().print(log);
            log.println("autotune " + r.summary());
        }
        return tunedOf(winner.config(), fixed, r);
    }

    /** A config compiled and run once, ready to time; or the trial that says why it cannot be. */
    private record Prepared(Config config, Runnable call, TuningResult.Trial failed, KernelResources resources) {}

    /**
     * Compiles {@code c} and runs it once (untimed), so that compile errors and faults show before
     * any timing and, on a JIT-compiled host, every config is timed after the same warm-up.
     */
    private Prepared prepare(Config c, Grid grid, Object[] runtimeArgs, Map<String, Object> fixed, Args args,
                             List<Tensor> zeroed, List<Snapshot> saved) {
        JitKernel k = kernel.withOptions(c.options());
        Map<String, Object> cx;
        KernelResources resources;
        Object[] launched;
        try {
            cx = constexprsFor(c, fixed, args);
            launched = launchArgs(runtimeArgs, cx);
            resources = k.specialize(launched, cx).resources().orElse(null);
        } catch (RuntimeException | StackOverflowError e) {
            return new Prepared(c, null, new TuningResult.Trial(c, null, compileFailure(e)), null);
        }
        Map<String, Object> launchCx = cx;
        Runnable call = zeroed.isEmpty() ? () -> k.launch(grid, launched, launchCx) : () -> {
            for (Tensor t : zeroed) zero(t);
            k.launch(grid, launched, launchCx);
        };
        try {
            call.run();
            return new Prepared(c, call, null, resources);
        } catch (RuntimeException e) {
            return new Prepared(c, null, new TuningResult.Trial(c, null, "failed when run: " + oneLine(e), resources), null);
        } finally {
            for (Snapshot s : saved) s.restore();
        }
    }

    private static TuningResult.Trial time(Prepared p, Benchmarker bench, List<Snapshot> saved) {
        Config c = p.config();
        try {
            BenchResult r = bench.bench(p.call());
            if (!(r.medianMs() >= 0) || Double.isInfinite(r.medianMs())) {
                return new TuningResult.Trial(c, null, "timing failed (median " + r.medianMs() + " ms)", p.resources());
            }
            return new TuningResult.Trial(c, r, null, p.resources());
        } catch (RuntimeException e) {
            return new TuningResult.Trial(c, null, "failed when run: " + oneLine(e), p.resources());
        } finally {
            for (Snapshot s : saved) s.restore();
        }
    }

    /** The trials in the order of the config list. */
    private List<TuningResult.Trial> order(List<TuningResult.Trial> trials) {
        Map<Config, TuningResult.Trial> by = new LinkedHashMap<>();
        for (TuningResult.Trial t : trials) by.put(t.config(), t);
        List<TuningResult.Trial> out = new ArrayList<>();
        for (Config c : configs) if (by.containsKey(c)) out.add(by.remove(c));
        out.addAll(by.values()); // configs a prune hook invented
        return out;
    }

    private Tuned tunedOf(Config best, Map<String, Object> fixed, TuningResult r) {
        Map<String, Object> cx = new LinkedHashMap<>(fixed);
        cx.putAll(best.meta());
        return new Tuned(best, kernel.withOptions(best.options()), Map.copyOf(cx), r);
    }

    private Map<String, Object> constexprsFor(Config c, Map<String, Object> fixed, Args args) {
        Map<String, Object> cx = new LinkedHashMap<>(fixed);
        cx.putAll(c.meta());
        if (!heuristics.isEmpty()) cx.putAll(heuristics.apply(args.with(c.meta())));
        return cx;
    }

    /**
     * {@code doBench} with Triton's budgets and the device's timer; on the CPU with 100 ms of
     * warm-up instead of 25, since there the kernels run as Java that the JIT is still compiling.
     */
    static Benchmarker defaultBenchmarker(Device device) {
        BenchOptions o = BenchOptions.defaults().withTimer(DeviceTimers.forDevice(device.toString()));
        return Benchmarker.of(device.backend().equals("cpu") ? o.withWarmupMs(100) : o);
    }

    private TuningCache.Identity identity(Device device, String keyText) {
        String dev;
        String compiler;
        try {
            Backend b = device.backendImpl();
            dev = device + " " + device.info().name() + " " + b.target(device.index());
            compiler = Fingerprints.compilerVersion(b.getClass());
        } catch (RuntimeException e) {
            dev = device.toString();
            compiler = Fingerprints.compilerVersion(null);
        }
        return new TuningCache.Identity(method.qualifiedName(), keyText, dev, compiler, configsDigest);
    }

    private static Map<String, Long> deviceLimits(Device device) {
        try {
            Map<String, Long> l = device.info().limits();
            return l != null ? l : Map.of();
        } catch (RuntimeException e) {
            return Map.of();
        }
    }

    /** Why {@code c} does not fit the device, or null. */
    private String exceedsLimits(Config c, Args args, Map<String, Long> limits) {
        List<String> why = new ArrayList<>();
        Long maxThreads = limits.get("maxThreadsPerBlock");
        long warpSize = limits.getOrDefault("warpSize", 32L);
        if (maxThreads != null && c.numWarps() * warpSize > maxThreads) {
            why.add(c.numWarps() + " warps need " + c.numWarps() * warpSize + " threads per program, the device allows " + maxThreads);
        }
        if (resources != null) {
            Map<String, Long> need;
            try {
                need = resources.estimate(c, args);
            } catch (RuntimeException e) {
                return "resource estimate failed: " + oneLine(e);
            }
            for (Map.Entry<String, Long> e : need.entrySet()) {
                Long limit = limits.get(e.getKey());
                if (limit != null && e.getValue() > limit) {
                    why.add("needs " + e.getValue() + " " + e.getKey() + ", the device allows " + limit);
                }
            }
        }
        return why.isEmpty() ? null : "exceeds a resource limit: " + String.join("; ", why);
    }

    private List<Tensor> tensors(List<String> names, Args args) {
        List<Tensor> out = new ArrayList<>();
        for (String n : names) {
            Object v = args.get(n);
            if (v instanceof Tensor t) out.add(t);
            else throw new IllegalArgumentException(name + ": " + n + " is named to be reset or restored but is not a tensor: " + Args.describe(v));
        }
        return out;
    }

    private void warn(String message) {
        log.println("autotune " + name + ": " + message);
    }

    /**
     * Why a config did not compile. A kernel that compiled but needs more of the device than a block
     * may have (a {@link ResourceLimitException} anywhere in the causes, e.g. shared memory over the
     * opt-in limit) is reported like the estimated limits are, with the backend's message, which
     * names the config and the limit.
     */
    static String compileFailure(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof ResourceLimitException r) return "exceeds a resource limit: " + oneLine(r);
        }
        return "does not compile: " + oneLine(e);
    }

    private static String oneLine(Throwable e) {
        String m = e.getMessage() != null ? e.getMessage() : e.toString();
        m = m.strip().replace('\n', ' ');
        return m.length() > 300 ? m.substring(0, 297) + "..." : m;
    }

    // ------------------------------------------------------------------ user data

    /** Sets a contiguous tensor's elements to zero. */
    static void zero(Tensor t) {
        if (!t.isContiguous()) throw new IllegalArgumentException("resetToZero needs a contiguous tensor, got " + t);
        Buffer b = t.buffer();
        long offset = t.byteOffset();
        t.device().backendImpl().fill(b, offset, t.numel() * t.dtype().byteSize(), (byte) 0);
    }

    /** A copy, on the device, of the bytes a tensor spans, to put back after each trial. */
    private record Snapshot(Tensor tensor, Buffer copy, long offset, long bytes) implements AutoCloseable {
        static Snapshot of(Tensor t) {
            long span = 1;
            long[] shape = t.shape(), strides = t.strides();
            for (int i = 0; i < shape.length; i++) {
                if (shape[i] == 0) span = 0;
                if (strides[i] < 0) throw new IllegalArgumentException("restoreValue needs non-negative strides, got " + t);
            }
            if (span != 0) for (int i = 0; i < shape.length; i++) span += (shape[i] - 1) * strides[i];
            long bytes = span * t.dtype().byteSize();
            Buffer b = t.buffer();
            long offset = t.byteOffset();
            Backend backend = t.device().backendImpl();
            Buffer copy = backend.allocate(t.device().index(), Math.max(1, bytes));
            if (bytes > 0) backend.copy(b, offset, copy, 0, bytes);
            return new Snapshot(t, copy, offset, bytes);
        }

        void restore() {
            if (bytes > 0) tensor.device().backendImpl().copy(copy, 0, tensor.buffer(), offset, bytes);
        }

        @Override
        public void close() { copy.close(); }
    }

    // ------------------------------------------------------------------ validation

    private Config normalize(Config c) {
        Map<String, Object> m = new LinkedHashMap<>();
        for (Map.Entry<String, Object> e : c.meta().entrySet()) {
            KernelMethod.Param p = constexpr(e.getKey());
            if (p == null) {
                throw new IllegalArgumentException("config " + c + " sets " + e.getKey() + " but " + method.qualifiedName()
                        + " has no constexpr of that name (constexprs: "
                        + method.constexprParams().stream().map(KernelMethod.Param::name).toList() + ")");
            }
            m.put(e.getKey(), coerce(p, e.getValue(), c));
        }
        return new Config(m, c.numWarps(), c.numStages());
    }

    /** A config read from disk, typed like the kernel's parameters; null if it does not fit them. */
    private Config normalizeLoaded(Config c) {
        try {
            return normalize(c);
        } catch (RuntimeException e) {
            return null;
        }
    }

    private KernelMethod.Param constexpr(String n) {
        for (KernelMethod.Param p : method.constexprParams()) if (p.name().equals(n)) return p;
        return null;
    }

    private static Object coerce(KernelMethod.Param p, Object v, Config c) {
        Class<?> t = p.javaType();
        if (t == int.class || t == Integer.class) {
            if (v instanceof Number n && n.doubleValue() == n.longValue()) return Math.toIntExact(n.longValue());
        } else if (t == long.class || t == Long.class) {
            if (v instanceof Number n && n.doubleValue() == n.longValue()) return n.longValue();
        } else if (t == float.class || t == Float.class) {
            if (v instanceof Number n) return n.floatValue();
        } else if (t == double.class || t == Double.class) {
            if (v instanceof Number n) return n.doubleValue();
        } else if (t == boolean.class || t == Boolean.class) {
            if (v instanceof Boolean) return v;
        } else if (t.isInstance(v)) {
            return v;
        }
        throw new IllegalArgumentException("config " + c + ": " + p.name() + " is declared " + t.getSimpleName() + " but the config gives "
                + v.getClass().getSimpleName() + " " + v);
    }

    private void validate(Builder b) {
        if (configs.isEmpty()) throw new IllegalArgumentException("autotuner for " + name + " needs at least one config");
        if (new LinkedHashSet<>(configs).size() != configs.size()) {
            throw new IllegalArgumentException("autotuner for " + name + " lists a config twice");
        }
        Set<String> all = new LinkedHashSet<>();
        for (KernelMethod.Param p : method.params()) all.add(p.name());
        for (String k : key) {
            if (!all.contains(k)) throw new IllegalArgumentException("key names " + k + ", which is not a parameter of " + name + " " + all);
        }
        for (String n : concat(resetToZero, restoreValue)) {
            if (!runtimeIndex.containsKey(n)) {
                throw new IllegalArgumentException(n + " is named to be reset or restored but is not a runtime parameter of " + name
                        + " " + runtimeIndex.keySet());
            }
        }
        for (String h : heuristics.names()) {
            if (constexpr(h) == null) throw new IllegalArgumentException("heuristic sets " + h + ", which is not a constexpr of " + name);
            for (Config c : configs) {
                if (c.meta().containsKey(h)) throw new IllegalArgumentException("config " + c + " sets " + h + ", which a heuristic computes");
            }
        }
        if (b.model != null && b.topK < 1) throw new IllegalArgumentException("performance model top-k must be >= 1, got " + b.topK);
    }

    private static List<String> concat(List<String> a, List<String> b) {
        List<String> out = new ArrayList<>(a);
        out.addAll(b);
        return out;
    }

    @Override
    public String toString() { return "Autotuner[" + name + ", " + configs.size() + " configs, key " + key + "]"; }

    /** Builds an {@link Autotuner}; configs are required, everything else optional. */
    public static final class Builder {
        private final JitKernel kernel;
        private final List<Config> configs = new ArrayList<>();
        private final List<String> key = new ArrayList<>(), resetToZero = new ArrayList<>(), restoreValue = new ArrayList<>();
        private Prune prune;
        private Arguments arguments;
        private PerformanceModel model;
        private int topK = Integer.MAX_VALUE;
        private ResourceUsage resources;
        private Map<String, Long> limits;
        private Heuristics heuristics;
        private Benchmarker benchmarker;
        private TuningCache cache;
        private boolean verbose = Boolean.getBoolean("tessera.autotune.verbose") || "1".equals(System.getenv("TESSERA_PRINT_AUTOTUNING"));
        private PrintStream log = System.err;
        private Progress.Mode progress = Progress.Mode.AUTO;
        private java.util.function.Predicate<Device> launchOptionsMatter = d -> !d.backend().equals("cpu");
        private int rounds;

        private Builder(JitKernel kernel) {
            this.kernel = Objects.requireNonNull(kernel, "kernel");
            this.heuristics = Heuristics.of(kernel);
        }

        public Builder configs(Config... cs) { return configs(List.of(cs)); }

        public Builder configs(List<Config> cs) { configs.addAll(cs); return this; }

        /** Replaces the configs. */
        public Builder replaceConfigs(List<Config> cs) { configs.clear(); configs.addAll(cs); return this; }

        /** Argument names whose values (and every tensor's dtype) trigger re-tuning when they change. */
        public Builder key(String... names) { key.addAll(List.of(names)); return this; }

        /** Tensor arguments zeroed before each timed call (outputs that kernels accumulate into). */
        public Builder resetToZero(String... names) { resetToZero.addAll(List.of(names)); return this; }

        /** Tensor arguments copied before tuning and put back after each config (in-place updates). */
        public Builder restoreValue(String... names) { restoreValue.addAll(List.of(names)); return this; }

        /** Drops configs before compiling, from the arguments (e.g. blocks larger than the problem). */
        public Builder prune(Prune p) { prune = Objects.requireNonNull(p); return this; }

        /** The runtime arguments each config's launch takes, from those given (see {@link Arguments}). */
        public Builder arguments(Arguments a) { arguments = Objects.requireNonNull(a); return this; }

        /** Times only the {@code k} configs with the smallest estimate from {@code m}. */
        public Builder performanceModel(PerformanceModel m, int k) { model = Objects.requireNonNull(m); topK = k; return this; }

        /** What a config needs of the device, checked against {@link DeviceInfo#limits()}. */
        public Builder resources(ResourceUsage r) { resources = Objects.requireNonNull(r); return this; }

        /** Resource limits to check against instead of the device's (for tests and what-if runs). */
        public Builder limits(Map<String, Long> l) { limits = Objects.requireNonNull(l); return this; }

        /** A constexpr computed from the arguments (and the config being tried). */
        public Builder heuristic(String name, Function<Args, Object> rule) { heuristics = heuristics.set(name, rule); return this; }

        /**
         * How configs are timed (default: {@code doBench} with Triton's defaults and the device's
         * timer; 100 ms of warm-up on the CPU).
         */
        public Builder benchmarker(Benchmarker b) { benchmarker = Objects.requireNonNull(b); return this; }

        /** Where results persist (default {@link TuningCache#defaultCache()}; {@link TuningCache#disabled()} for none). */
        public Builder cache(TuningCache c) { cache = Objects.requireNonNull(c); return this; }

        /**
         * Print each config's time and the winner (default: off, unless the system property
         * {@code tessera.autotune.verbose} is true or {@code TESSERA_PRINT_AUTOTUNING=1}).
         */
        public Builder verbose(boolean v) { verbose = v; return this; }

        /** Where warnings, verbose output and the progress bar go (default {@code System.err}). */
        public Builder log(PrintStream p) { log = Objects.requireNonNull(p); return this; }

        /** How tuning progress is shown (default {@link Progress.Mode#AUTO}). */
        public Builder progress(Progress.Mode m) { progress = Objects.requireNonNull(m); return this; }

        /**
         * Whether warps and stages change the compiled code on a device (default: on every backend
         * but the CPU's). Where they do not, configs that differ only in them are timed once.
         */
        public Builder launchOptionsMatter(java.util.function.Predicate<Device> p) { launchOptionsMatter = Objects.requireNonNull(p); return this; }

        /**
         * Times every config this many times, interleaved (all configs once, then all again ...),
         * keeping each config's best median, so that drift during tuning (a JIT warming up or
         * deoptimizing, a clock changing) affects all configs alike. Default: 3 on the CPU, whose
         * kernels run as JIT-compiled Java, and 1 elsewhere.
         */
        public Builder rounds(int n) {
            if (n < 1) throw new IllegalArgumentException("rounds must be >= 1, got " + n);
            rounds = n;
            return this;
        }

        public Autotuner build() { return new Autotuner(this); }

        Builder copy() {
            Builder c = new Builder(kernel);
            c.configs.addAll(configs);
            c.key.addAll(key);
            c.resetToZero.addAll(resetToZero);
            c.restoreValue.addAll(restoreValue);
            c.prune = prune;
            c.arguments = arguments;
            c.model = model;
            c.topK = topK;
            c.resources = resources;
            c.limits = limits;
            c.heuristics = heuristics;
            c.benchmarker = benchmarker;
            c.cache = cache;
            c.verbose = verbose;
            c.log = log;
            c.progress = progress;
            c.launchOptionsMatter = launchOptionsMatter;
            c.rounds = rounds;
            return c;
        }
    }
}
