package dev.tessera.runtime;

import dev.tessera.backend.KernelResources;
import dev.tessera.ir.KernelIR;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/**
 * Shows what a kernel became, on request: {@code TESSERA_DUMP=ir,ptx} (or the system property
 * {@code tessera.dump}) prints the traced IR, the IR after each pass, and backend artifacts to
 * standard error; {@code TESSERA_DUMP=resources} prints one line per compiled kernel with the
 * registers, shared and local memory it takes ({@link #resourcesLine}). A kind it does not know, or
 * one the device in use does not make, is said once per process rather than ignored, so a typo
 * does not look like a kernel with nothing to show.
 */
public final class Dump {
    private Dump() {}

    /** A kind of dump, the backend that makes it (null: every backend) and what it is, in words. */
    record Kind(String name, String backend, String what) {}

    static final Map<String, Kind> KNOWN = Stream.of(new Kind("ir", null, "the traced IR"), new Kind("passes", null, "the IR after each pass"),
                    new Kind("fusion", "cpu", "the fused loops"), new Kind("gpu", "cuda", "the GPU IR"), new Kind("ptx", "cuda", "PTX"),
                    new Kind("cubin", "cuda", "the cubin"), new Kind("resources", "cuda", "register and memory use"),
                    new Kind("all", null, "everything"))
            .collect(Collectors.toMap(Kind::name, k -> k, (a, b) -> a, LinkedHashMap::new));

    private static final Set<String> KINDS = parse(System.getProperty("tessera.dump", System.getenv().getOrDefault("TESSERA_DUMP", "")));

    /** Warnings already printed, so each is said once. */
    private static final Set<String> WARNED = ConcurrentHashMap.newKeySet();

    static {
        String unknown = unknownKinds(KINDS);
        if (unknown != null) warnOnce(unknown);
    }

    static Set<String> parse(String spec) {
        return Arrays.stream(spec.split(",")).map(s -> s.trim().toLowerCase(Locale.ROOT)).filter(s -> !s.isEmpty())
                .collect(Collectors.toUnmodifiableSet());
    }

    /** The warning for kinds nobody makes, or null. */
    static String unknownKinds(Set<String> kinds) {
        var unknown = kinds.stream().filter(k -> !KNOWN.containsKey(k)).sorted().toList();
        if (unknown.isEmpty()) return null;
        return "tessera: TESSERA_DUMP " + (unknown.size() == 1 ? "kind '" + unknown.getFirst() + "' is" : "kinds " + unknown + " are")
                + " not known; the kinds are " + String.join(", ", KNOWN.keySet());
    }

    /** The warning for kinds asked for that only another backend than {@code backend} makes, or null. */
    static String otherBackendKinds(Set<String> kinds, String backend) {
        var missing = kinds.stream().map(KNOWN::get).filter(k -> k != null && k.backend() != null && !k.backend().equals(backend))
                .sorted(java.util.Comparator.comparing(Kind::name)).toList();
        if (missing.isEmpty()) return null;
        return missing.stream().map(k -> "TESSERA_DUMP=" + k.name() + ": " + k.what() + " exists only for "
                        + k.backend().toUpperCase(Locale.ROOT) + " devices")
                .collect(Collectors.joining("; ", "tessera: ", ", and this kernel runs on " + backend));
    }

    public static boolean wants(String kind) { return KINDS.contains(kind) || KINDS.contains("all"); }

    static void ir(String stage, KernelIR ir) {
        if (wants("ir")) System.err.println("// ---- " + ir.name() + ": " + stage + "\n" + ir);
    }

    /** Prints what was asked of a kernel compiled for {@code backend}, or says why it cannot. */
    static void artifacts(String backend, String kernel, Map<String, String> artifacts) {
        if (KINDS.isEmpty()) return;
        String other = otherBackendKinds(KINDS, backend);
        if (other != null) warnOnce(other);
        artifacts.forEach((kind, text) -> {
            if (!kind.equals("ir") && wants(kind)) System.err.println("// ---- " + kernel + ": " + kind + "\n" + text);
        });
    }

    private static void warnOnce(String message) {
        if (WARNED.add(message)) System.err.println(message);
    }

    static void resources(String label, Device device, java.util.Optional<KernelResources> resources, CompileTime time) {
        if (wants("resources")) System.err.println(resourcesLine(label, device.toString(), resources.orElse(null), time));
    }

    /**
     * How long one specialization took to become launchable, in nanoseconds: tracing, the passes
     * and the backend's compiler (on CUDA, code generation and the driver's JIT and load); passes
     * and backend are 0 with {@code fromDiskCache}, where loading the cached code is the backend's
     * share.
     */
    public record CompileTime(long traceNanos, long passesNanos, long backendNanos, boolean fromDiskCache) {
        String describe() {
            double total = (traceNanos + passesNanos + backendNanos) / 1e6;
            if (fromDiskCache) return String.format(Locale.ROOT, "loaded from the disk cache in %.1f ms (trace %.1f)", total, traceNanos / 1e6);
            return String.format(Locale.ROOT, "compiled in %.1f ms (trace %.1f, passes %.1f, backend %.1f)", total, traceNanos / 1e6,
                    passesNanos / 1e6, backendNanos / 1e6);
        }
    }

    /**
     * The {@code TESSERA_DUMP=resources} line of one compiled kernel, e.g.
     * {@code resources: matmul[BM=128, ..., stages=3, warps=8] on cuda:0: registers=168 shared=98304 (static=0, dynamic=98304) local=0
     * threads=256 maxThreads=384; compiled in 41.2 ms (trace 3.1, passes 1.0, backend 37.1)}, the compile time per config that
     * benchmark logs keep; {@code resources} null for a backend that has none to report (the CPU).
     */
    public static String resourcesLine(String label, String device, KernelResources resources, CompileTime time) {
        String what = resources != null ? resources.describe()
                : "none reported (the " + device.replaceAll(":.*", "") + " backend has no registers, shared or local memory to count)";
        return "resources: " + label + " on " + device + ": " + what + "; " + time.describe();
    }
}
