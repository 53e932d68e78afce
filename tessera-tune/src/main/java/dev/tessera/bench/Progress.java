package dev.tessera.bench;

import java.io.PrintStream;
import java.util.Locale;

/**
 * Progress of a sweep, shown on the error stream so that results on standard output stay clean.
 * {@link Mode#AUTO} draws a redrawing progress bar (the progressbar library) only when the console
 * is an interactive terminal; otherwise it prints one plain line per step, so logs and pipes never
 * see carriage returns or escape codes. The environment variable {@code TESSERA_PROGRESS}
 * ({@code bar}, {@code lines}, {@code none}) overrides {@code AUTO}.
 */
public interface Progress extends AutoCloseable {

    /** How progress is shown. */
    enum Mode { AUTO, BAR, LINES, NONE }

    /** Marks one step done; {@code message} says what it was (e.g. {@code "N=1024 tessera"}). */
    void step(String message);

    /** Finishes the display (a bar ends its line). */
    @Override
    void close();

    /** A progress display for {@code total} steps of {@code task} in the given mode, on {@code err}. */
    static Progress create(Mode mode, String task, int total, PrintStream err) {
        return switch (resolve(mode)) {
            case NONE -> none();
            case LINES -> new LineProgress(task, total, err);
            case BAR -> new BarProgress(task, total, err);
            case AUTO -> throw new AssertionError();
        };
    }

    /** A display that shows nothing. */
    static Progress none() {
        return new Progress() {
            @Override public void step(String message) {}
            @Override public void close() {}
        };
    }

    /** {@code AUTO} resolved against {@code TESSERA_PROGRESS} and whether the console is a terminal. */
    static Mode resolve(Mode mode) {
        if (mode != Mode.AUTO) return mode;
        String env = System.getenv("TESSERA_PROGRESS");
        if (env != null && !env.isBlank()) {
            try {
                Mode m = Mode.valueOf(env.strip().toUpperCase(Locale.ROOT));
                if (m != Mode.AUTO) return m;
            } catch (IllegalArgumentException ignored) {
                // unknown value: decide as if unset
            }
        }
        java.io.Console console = System.console();
        return console != null && console.isTerminal() ? Mode.BAR : Mode.LINES;
    }
}
