package dev.tessera.bench;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * The measurements of one {@link PerfReport} run — for each x and provider, the timing and the
 * metric — and its renderings: console and Markdown tables, CSV, JSON lines, PNG and SVG charts.
 */
public final class SweepResult {

    /** One measurement; {@code result} is null and {@code error} set when the provider failed. */
    public record Cell(BenchResult result, double metric, String error) {
        public boolean ok() { return result != null; }
        public double ms() { return ok() ? result.medianMs() : Double.NaN; }
    }

    private final PerfReport report;
    private final Cell[][] cells;
    private final List<String> errors;
    private final String device;
    private final LocalDate date;

    SweepResult(PerfReport report, Cell[][] cells, List<String> errors, String device, LocalDate date) {
        this.report = report;
        this.cells = cells;
        this.errors = List.copyOf(errors);
        this.device = device;
        this.date = date;
    }

    public PerfReport report() { return report; }

    /** The device the results are recorded for. */
    public String device() { return device; }

    public LocalDate date() { return date; }

    /** Messages of the providers that failed, empty when all succeeded. */
    public List<String> errors() { return errors; }

    /** Provider names in column order. */
    public List<String> providerNames() {
        return report.providers().stream().map(Provider::name).toList();
    }

    /** The measurement at x index {@code xi} for provider index {@code pi}. */
    public Cell cell(int xi, int pi) {
        return cells[xi][pi];
    }

    /** The timing of {@code provider} at {@code x}, empty when it failed. */
    public Optional<BenchResult> result(long x, String provider) {
        return Optional.ofNullable(cell(x, provider).result());
    }

    /** The metric of {@code provider} at {@code x}; NaN when it failed. */
    public double metric(long x, String provider) {
        return cell(x, provider).metric();
    }

    private Cell cell(long x, String provider) {
        long[] xs = report.xValues();
        int pi = providerNames().indexOf(provider);
        if (pi < 0) throw new IllegalArgumentException("no provider '" + provider + "' in " + providerNames());
        for (int i = 0; i < xs.length; i++) if (xs[i] == x) return cells[i][pi];
        throw new IllegalArgumentException("no x = " + x + " in the sweep");
    }

    /** One line describing the table: title, metric, dtype, device and date. */
    public String heading() {
        StringBuilder sb = new StringBuilder(report.title()).append(": ").append(report.metric().unit());
        if (!report.metric().isTime()) sb.append(" from the median time");
        else sb.append(" (median)");
        if (!report.dtype().isEmpty()) sb.append(", ").append(report.dtype());
        return sb.append(", ").append(device).append(", ").append(date).toString();
    }

    /** The table: x (and its shape, where the report asks for it), then the metric of each provider ({@code -} where it failed). */
    public TextTable table() {
        List<String> headers = new ArrayList<>();
        headers.add(report.xName());
        if (report.shapeColumn()) headers.add("shape");
        headers.addAll(providerNames());
        TextTable t = new TextTable(headers);
        long[] xs = report.xValues();
        for (int i = 0; i < xs.length; i++) {
            List<String> row = new ArrayList<>();
            row.add(Long.toString(xs[i]));
            if (report.shapeColumn()) row.add(report.shape(xs[i]));
            for (Cell c : cells[i]) row.add(Fmt.number(c.metric()));
            t.addRow(row);
        }
        return t;
    }

    /** A Markdown section: the heading, the kernel and shapes, and the table. */
    public String toMarkdown() {
        StringBuilder sb = new StringBuilder("### ").append(heading()).append("\n\n");
        long[] xs = report.xValues();
        sb.append("Kernel `").append(report.kernel()).append("`, shapes ").append(report.shape(xs[0]));
        if (xs.length > 1) sb.append(" … ").append(report.shape(xs[xs.length - 1]));
        sb.append(".\n\n").append(table().toMarkdown());
        if (!errors.isEmpty()) {
            sb.append("\nFailed:\n\n");
            for (String e : errors) sb.append("- ").append(e.replace("\n", " ")).append('\n');
        }
        return sb.toString();
    }

    /**
     * CSV: x, shape, the metric of each provider, then the median milliseconds of each provider
     * (metric columns are left out when the metric is the time). Full precision; empty where failed.
     */
    public String toCsv() {
        List<String> providers = providerNames();
        boolean time = report.metric().isTime();
        List<String> header = new ArrayList<>(List.of(report.xName(), "shape"));
        if (!time) for (String p : providers) header.add(p + " " + report.metric().unit());
        for (String p : providers) header.add(p + " ms");
        StringBuilder sb = new StringBuilder(Csv.line(header));
        long[] xs = report.xValues();
        for (int i = 0; i < xs.length; i++) {
            List<String> row = new ArrayList<>(List.of(Long.toString(xs[i]), report.shape(xs[i])));
            if (!time) for (Cell c : cells[i]) row.add(Csv.number(c.metric()));
            for (Cell c : cells[i]) row.add(Csv.number(c.ms()));
            sb.append(Csv.line(row));
        }
        return sb.toString();
    }

    /** One {@link ResultRecord} per successful measurement, in sweep order. */
    public List<ResultRecord> records() {
        List<ResultRecord> out = new ArrayList<>();
        long[] xs = report.xValues();
        Metric m = report.metric();
        for (int i = 0; i < xs.length; i++) {
            for (int p = 0; p < cells[i].length; p++) {
                Cell c = cells[i][p];
                if (!c.ok()) continue;
                out.add(ResultRecord.of(report.kernel(), report.shape(xs[i]), report.dtype(),
                        report.providers().get(p).name(), c.ms(), m.isTime() ? null : m.jsonKey(), c.metric(),
                        device, date));
            }
        }
        return out;
    }

    /** {@link #records()} as JSON lines. */
    public String toJsonLines() {
        StringBuilder sb = new StringBuilder();
        for (ResultRecord r : records()) sb.append(r.toJson()).append('\n');
        return sb.toString();
    }

    /** Appends {@link #records()} to a results log. */
    public void appendTo(ResultsLog log) {
        log.append(records());
    }

    /** Writes the chart as PNG at the report's chart size. */
    public void writePng(Path file) {
        ChartWriter.writePng(this, file);
    }

    /** Writes the chart as SVG. */
    public void writeSvg(Path file) {
        ChartWriter.writeSvg(this, file);
    }

    /**
     * Writes {@code <name>.md}, {@code .csv}, {@code .jsonl}, {@code .png} and {@code .svg} into
     * {@code dir} (created if needed), replacing earlier files of the same name; returns their paths.
     */
    public List<Path> save(Path dir) {
        String base = ResultsLog.slug(report.name());
        try {
            Files.createDirectories(dir);
            Path md = dir.resolve(base + ".md"), csv = dir.resolve(base + ".csv"), jsonl = dir.resolve(base + ".jsonl");
            Path png = dir.resolve(base + ".png"), svg = dir.resolve(base + ".svg");
            Files.writeString(md, toMarkdown(), StandardCharsets.UTF_8);
            Files.writeString(csv, toCsv(), StandardCharsets.UTF_8);
            Files.writeString(jsonl, toJsonLines(), StandardCharsets.UTF_8);
            writePng(png);
            writeSvg(svg);
            return List.of(md, csv, jsonl, png, svg);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write report files to " + dir, e);
        }
    }
}
