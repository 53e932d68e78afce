package dev.tessera.autotune;

import dev.tessera.backend.KernelResources;
import dev.tessera.bench.BenchResult;
import dev.tessera.bench.TextTable;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;

/**
 * The outcome of tuning one key: every candidate config with its timing or the reason it was
 * skipped, and the winner. A result read back from the tuning cache has {@code fromCache} set and
 * the stored median times (its trials have {@link BenchResult#ofMs} results).
 *
 * @param kernel   the kernel's qualified name
 * @param key      the tuning key, e.g. {@code "n=4096 | x:f32 out:f32"}
 * @param device   the device id and name
 * @param best     the fastest config
 * @param trials   every config in the order considered
 * @param fromCache whether the result was read from disk instead of measured
 * @param file     the tuning cache file (null when persistence is off)
 * @param tuningMs wall time spent tuning (0 when read from the cache)
 */
public record TuningResult(String kernel, String key, String device, Config best, List<Trial> trials, boolean fromCache,
                           Path file, double tuningMs) {

    /**
     * One config: timed ({@code result} set) or skipped ({@code skipped} says why); {@code resources}
     * is what its compiled kernel takes of the device (null where it did not compile, on the CPU, or
     * for a result read from the tuning cache).
     */
    public record Trial(Config config, BenchResult result, String skipped, KernelResources resources) {
        public Trial(Config config, BenchResult result, String skipped) { this(config, result, skipped, null); }

        public boolean timed() { return result != null; }

        /** The median milliseconds, NaN when skipped. */
        public double ms() { return result != null ? result.medianMs() : Double.NaN; }
    }

    public TuningResult {
        trials = List.copyOf(trials);
    }

    /** The trials that were timed. */
    public List<Trial> timed() { return trials.stream().filter(Trial::timed).toList(); }

    /** The trials that were skipped, with reasons. */
    public List<Trial> skipped() { return trials.stream().filter(t -> !t.timed()).toList(); }

    /** The winner's median milliseconds. */
    public double bestMs() {
        return trials.stream().filter(t -> t.config().equals(best) && t.timed()).mapToDouble(Trial::ms).findFirst().orElse(Double.NaN);
    }

    /**
     * A table of configs, their times (or why skipped), and a mark on the winner; with a column of
     * registers, shared and local memory where the backend reports them (a GPU).
     */
    public TextTable table() {
        boolean withResources = trials.stream().anyMatch(t -> t.resources() != null);
        TextTable t = withResources ? TextTable.of("config", "ms", "resources", "") : TextTable.of("config", "ms", "");
        for (Trial trial : trials) {
            boolean win = trial.config().equals(best);
            String ms = trial.timed() ? String.format(Locale.ROOT, "%.4f", trial.ms()) : "-";
            String mark = win ? "<- best" : trial.timed() ? "" : "skipped: " + trial.skipped();
            if (withResources) t.addRow(trial.config().toString(), ms, trial.resources() != null ? trial.resources().brief() : "-", mark);
            else t.addRow(trial.config().toString(), ms, mark);
        }
        return t;
    }

    /** One line: kernel, key, winner, time. */
    public String summary() {
        return kernel + " [" + key + "] on " + device + ": best " + best + String.format(Locale.ROOT, " (%.4f ms)", bestMs())
                + (fromCache ? ", from the tuning cache" : String.format(Locale.ROOT, ", %d of %d configs timed in %.1f s",
                timed().size(), trials.size(), tuningMs / 1000));
    }
}
