package dev.tessera.runtime;

import dev.tessera.backend.KernelResources;
import dev.tessera.ir.KernelIR;
import java.util.Arrays;
import java.util.Locale;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * Shows what a kernel became, on request: {@code TESSERA_DUMP=ir,ptx} (or the system property
 * {@code tessera.dump}) prints the traced IR, the IR after each pass, and backend artifacts to
 * standard error; {@code TESSERA_DUMP=resources} prints one line per compiled kernel with the
 * registers, shared and local memory it takes ({@link #resourcesLine}).
 */
public final class Dump {
    private Dump() {}

    private static final Set<String> KINDS = Arrays.stream(
                    System.getProperty("tessera.dump", System.getenv().getOrDefault("TESSERA_DUMP", "")).split(","))
            .map(s -> s.trim().toLowerCase(Locale.ROOT)).filter(s -> !s.isEmpty()).collect(Collectors.toUnmodifiableSet());

    public static boolean wants(String kind) { return KINDS.contains(kind) || KINDS.contains("all"); }

    static void ir(String stage, KernelIR ir) {
        if (wants("ir")) System.err.println("// ---- " + ir.name() + ": " + stage + "\n" + ir);
    }

    static void artifact(String kind, String kernel, String text) {
        if (wants(kind)) System.err.println("// ---- " + kernel + ": " + kind + "\n" + text);
    }

    static void resources(String label, Device device, java.util.Optional<KernelResources> resources, boolean fromDiskCache) {
        if (wants("resources")) System.err.println(resourcesLine(label, device.toString(), resources.orElse(null), fromDiskCache));
    }

    /**
     * The {@code TESSERA_DUMP=resources} line of one compiled kernel, e.g.
     * {@code resources: matmul[BM=128, ..., stages=3, warps=8] on cuda:0: registers=168 shared=98304 (static=0, dynamic=98304) local=0 threads=256 maxThreads=384};
     * {@code resources} null for a backend that has none to report (the CPU).
     */
    public static String resourcesLine(String label, String device, KernelResources resources, boolean fromDiskCache) {
        String what = resources != null ? resources.describe()
                : "none reported (the " + device.replaceAll(":.*", "") + " backend has no registers, shared or local memory to count)";
        return "resources: " + label + " on " + device + ": " + what + (fromDiskCache ? " (loaded from the disk cache)" : "");
    }
}
