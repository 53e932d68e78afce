package dev.tessera.autotune;

import java.util.List;

/** Tuning found no config that compiles, fits the device and runs; the message lists each config and why. */
public final class AutotuneException extends RuntimeException {
    private final transient List<TuningResult.Trial> trials;

    AutotuneException(String kernel, String key, List<TuningResult.Trial> trials) {
        super(message(kernel, key, trials));
        this.trials = List.copyOf(trials);
    }

    /** Every config with the reason it was skipped. */
    public List<TuningResult.Trial> trials() { return trials; }

    private static String message(String kernel, String key, List<TuningResult.Trial> trials) {
        StringBuilder sb = new StringBuilder("autotune " + kernel + " [" + key + "]: no config could run ("
                + trials.size() + " tried):");
        for (TuningResult.Trial t : trials) sb.append("\n  ").append(t.config()).append(": ").append(t.skipped());
        return sb.toString();
    }
}
