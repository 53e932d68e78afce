package dev.tessera.runtime;

import dev.tessera.ir.KernelIR;
import java.util.Arrays;
import java.util.Locale;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * Shows what a kernel became, on request: {@code TESSERA_DUMP=ir,ptx} (or the system property
 * {@code tessera.dump}) prints the traced IR, the IR after each pass, and backend artifacts to
 * standard error.
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
}
