package dev.tessera.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;

/** What this module needs to know about the host CPU: a name for results, and the cache size. */
public final class CpuInfo {

    private static volatile String name;

    private CpuInfo() {}

    /**
     * The device name used for CPU results: the CPU model (from {@code /proc/cpuinfo} where there is
     * one, else the architecture) and the number of hardware threads the JVM may use, e.g.
     * {@code "AMD EPYC 7B13 64-Core Processor (2 threads)"}.
     */
    public static String name() {
        String n = name;
        if (n == null) {
            String model = modelName();
            int threads = Runtime.getRuntime().availableProcessors();
            name = n = model + " (" + threads + (threads == 1 ? " thread)" : " threads)");
        }
        return n;
    }

    private static String modelName() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/cpuinfo"))) {
                int colon = line.indexOf(':');
                if (colon < 0) continue;
                String key = line.substring(0, colon).strip();
                if (key.equals("model name") || key.equals("Model") || key.equals("cpu model")) {
                    String value = line.substring(colon + 1).strip().replaceAll("\\s+", " ");
                    if (!value.isEmpty()) return value;
                }
            }
        } catch (IOException | RuntimeException e) {
            // not Linux, or unreadable: fall through to the architecture
        }
        return "CPU " + System.getProperty("os.arch", "unknown");
    }

    /**
     * Size in bytes of the largest cache of CPU 0 as Linux reports it under
     * {@code /sys/devices/system/cpu/cpu0/cache}, or 0 when unknown.
     */
    public static long lastLevelCacheBytes() {
        Path dir = Path.of("/sys/devices/system/cpu/cpu0/cache");
        long best = 0;
        try (var entries = Files.list(dir)) {
            for (Path index : (Iterable<Path>) entries::iterator) {
                if (!index.getFileName().toString().startsWith("index")) continue;
                Path size = index.resolve("size");
                if (Files.isReadable(size)) best = Math.max(best, parseSize(Files.readString(size)));
            }
        } catch (IOException | RuntimeException e) {
            return 0;
        }
        return best;
    }

    /** Parses sysfs cache sizes such as {@code "32768K"}, {@code "32M"} or {@code "512"}; 0 if malformed. */
    static long parseSize(String text) {
        String s = text.strip().toUpperCase(Locale.ROOT);
        if (s.isEmpty()) return 0;
        long unit = switch (s.charAt(s.length() - 1)) {
            case 'K' -> 1L << 10;
            case 'M' -> 1L << 20;
            case 'G' -> 1L << 30;
            default -> 1;
        };
        String digits = unit == 1 ? s : s.substring(0, s.length() - 1);
        try {
            return Long.parseLong(digits.strip()) * unit;
        } catch (NumberFormatException e) {
            return 0;
        }
    }
}
