package dev.tessera.bench;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * A results log: a JSON-lines file of {@link ResultRecord}s that every Tessera benchmark appends
 * to, by default {@code <date>-<device>.jsonl} in {@link #defaultDir()}, the user's data directory
 * rather than the working one (a checkout would collect untracked files). Appends write whole lines in one call, so lines from
 * successive runs never interleave mid-line.
 */
public final class ResultsLog {

    /** The system property naming the results directory. */
    public static final String DIR_PROPERTY = "tessera.results.dir";

    private final Path file;

    private ResultsLog(Path file) {
        this.file = file;
    }

    /** The log in {@code file}. */
    public static ResultsLog at(Path file) {
        return new ResultsLog(file);
    }

    /**
     * The results directory: the system property {@code tessera.results.dir}, else
     * {@code $XDG_DATA_HOME/tessera/results}, else {@code ~/.local/share/tessera/results}.
     */
    public static Path defaultDir() { return defaultDir(System.getProperties(), System.getenv()); }

    static Path defaultDir(java.util.Map<?, ?> properties, java.util.Map<String, String> env) {
        Object dir = properties.get(DIR_PROPERTY);
        if (dir != null && !dir.toString().isBlank()) return Path.of(dir.toString());
        String data = env.get("XDG_DATA_HOME");
        if (data != null && !data.isBlank()) return Path.of(data, "tessera", "results");
        return Path.of(String.valueOf(properties.get("user.home")), ".local", "share", "tessera", "results");
    }

    /** Today's log for {@code device} in the default directory. */
    public static ResultsLog forDevice(String device) {
        return forDevice(defaultDir(), device, LocalDate.now());
    }

    /** The log {@code <dir>/<date>-<device slug>.jsonl}. */
    public static ResultsLog forDevice(Path dir, String device, LocalDate date) {
        return new ResultsLog(dir.resolve(date + "-" + slug(device) + ".jsonl"));
    }

    /**
     * A file-name-safe form of a device name: lower case ASCII letters, digits and single hyphens,
     * at most 64 characters, e.g. {@code "NVIDIA H200"} → {@code "nvidia-h200"}.
     */
    public static String slug(String device) {
        String s = device.toLowerCase(Locale.ROOT).replaceAll("[^a-z0-9]+", "-").replaceAll("^-+|-+$", "");
        if (s.length() > 64) s = s.substring(0, 64).replaceAll("-+$", "");
        return s.isEmpty() ? "device" : s;
    }

    /** The file this log writes. */
    public Path file() {
        return file;
    }

    /** Appends one record. */
    public void append(ResultRecord record) {
        append(List.of(record));
    }

    /** Appends records, one line each, creating the file and its directories if needed. */
    public void append(List<ResultRecord> records) {
        if (records.isEmpty()) return;
        StringBuilder sb = new StringBuilder();
        for (ResultRecord r : records) sb.append(r.toJson()).append('\n');
        try {
            Path parent = file.toAbsolutePath().getParent();
            if (parent != null) Files.createDirectories(parent);
            Files.writeString(file, sb, StandardCharsets.UTF_8, StandardOpenOption.CREATE,
                    StandardOpenOption.WRITE, StandardOpenOption.APPEND);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot append to results log " + file, e);
        }
    }

    /** Every record in the log (empty when the file does not exist); blank lines are skipped. */
    public List<ResultRecord> read() {
        if (!Files.exists(file)) return List.of();
        List<ResultRecord> out = new ArrayList<>();
        try {
            int n = 0;
            for (String line : Files.readAllLines(file, StandardCharsets.UTF_8)) {
                n++;
                if (line.isBlank()) continue;
                try {
                    out.add(ResultRecord.fromJson(line));
                } catch (RuntimeException e) {
                    throw new IllegalArgumentException(file + ":" + n + ": " + e.getMessage(), e);
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read results log " + file, e);
        }
        return out;
    }
}
