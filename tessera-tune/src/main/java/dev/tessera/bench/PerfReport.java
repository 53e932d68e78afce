package dev.tessera.bench;

import java.io.PrintStream;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.function.LongFunction;
import java.util.function.LongToDoubleFunction;

/**
 * Triton's {@code perf_report} for Java: a sweep of one x variable (e.g. {@code N = 256 … 16384})
 * over several providers, each timed at every x and converted to a metric (GB/s, TFLOP/s, ms …).
 * {@link #run()} shows progress on the error stream, prints the table to the output stream and
 * returns a {@link SweepResult}, which writes Markdown, CSV, JSON lines and PNG/SVG charts.
 *
 * <pre>{@code
 * PerfReport report = PerfReport.builder("softmax")
 *         .x("N", PerfReport.powersOfTwo(256, 16384)).shape(n -> "4096x" + n).dtype("f32")
 *         .metric(Metric.gbps(n -> 2.0 * 4096 * n * 4)).logX(true)
 *         .provider("tessera", n -> Bench.doBench(() -> softmax(n)))
 *         .provider("java", n -> Bench.doBench(() -> reference(n)))
 *         .build();
 * report.run().save(Path.of("bench/out"));
 * }</pre>
 */
public final class PerfReport {

    private final String name, title, kernel, dtype, xName, xLabel, yLabel, device;
    private final long[] xValues;
    private final LongFunction<String> shape;
    private final Metric metric;
    private final List<Provider> providers;
    private final boolean logX, logY, printTable, failFast, shapeColumn;
    private final int width, height;
    private final Progress.Mode progress;
    private final PrintStream out, err;
    private final LocalDate date;

    private PerfReport(Builder b) {
        name = b.name;
        title = b.title != null ? b.title : b.name;
        kernel = b.kernel != null ? b.kernel : b.name;
        dtype = b.dtype;
        xName = b.xName;
        xValues = b.xValues.clone();
        xLabel = b.xLabel != null ? b.xLabel : b.xName;
        yLabel = b.yLabel != null ? b.yLabel : b.metric.unit();
        shape = b.shape != null ? b.shape : x -> b.xName + "=" + x;
        metric = b.metric;
        providers = List.copyOf(b.providers);
        logX = b.logX;
        logY = b.logY;
        printTable = b.printTable;
        failFast = b.failFast;
        shapeColumn = b.shapeColumn;
        width = b.width;
        height = b.height;
        progress = b.progress;
        out = b.out;
        err = b.err;
        device = b.device;
        date = b.date;
    }

    /** A new report definition; {@code name} names its output files and, by default, the kernel and title. */
    public static Builder builder(String name) {
        return new Builder(name);
    }

    /** The powers of two from {@code from} to {@code to} inclusive, e.g. 256, 512, … 16384. */
    public static long[] powersOfTwo(long from, long to) {
        if (from <= 0 || Long.bitCount(from) != 1 || to < from) {
            throw new IllegalArgumentException("powersOfTwo needs a power of two from > 0 and to >= from, got " + from + ", " + to);
        }
        List<Long> xs = new ArrayList<>();
        for (long x = from; x <= to && x > 0; x <<= 1) xs.add(x);
        return xs.stream().mapToLong(Long::longValue).toArray();
    }

    /**
     * Measures every provider at every x, in x order (all providers at one x before the next x, so
     * drift over the run affects providers alike). A provider that throws gets an empty cell and
     * its error is reported on the error stream, unless {@code failFast} is set.
     */
    public SweepResult run() {
        int total = xValues.length * providers.size();
        SweepResult.Cell[][] cells = new SweepResult.Cell[xValues.length][providers.size()];
        List<String> errors = new ArrayList<>();
        try (Progress bar = Progress.create(progress, name, total, err)) {
            // Each provider's first measurement is taken twice and the first result dropped: a GPU
            // that sat idle comes back to full clocks, and the JVM compiles the launch path, during
            // it (on an H200 the first size of a sweep otherwise measured up to 3.5 times slow).
            if (xValues.length > 0) for (Provider provider : providers) measure(provider, xValues[0], new ArrayList<>());
            for (int i = 0; i < xValues.length; i++) {
                long x = xValues[i];
                for (int p = 0; p < providers.size(); p++) {
                    Provider provider = providers.get(p);
                    cells[i][p] = measure(provider, x, errors);
                    SweepResult.Cell c = cells[i][p];
                    bar.step(xName + "=" + x + " " + provider.name() + ": "
                            + (c.ok() ? Fmt.number(c.result().medianMs()) + " ms, " + Fmt.number(c.metric()) + " " + metric.unit()
                                      : "failed"));
                }
            }
        }
        for (String e : errors) err.println(name + ": " + e);
        err.flush();
        SweepResult result = new SweepResult(this, cells, errors, device != null ? device : firstDevice(cells),
                date != null ? date : LocalDate.now());
        if (printTable) {
            out.println(result.heading());
            result.table().print(out);
        }
        return result;
    }

    private SweepResult.Cell measure(Provider provider, long x, List<String> errors) {
        try {
            BenchResult r = Objects.requireNonNull(provider.measure().apply(x),
                    () -> "provider " + provider.name() + " returned no result");
            Metric m = provider.metric() != null ? provider.metric() : metric;
            return new SweepResult.Cell(r, m.apply(x, r.medianMs()), null);
        } catch (RuntimeException e) {
            if (failFast) throw e;
            String msg = xName + "=" + x + " " + provider.name() + " failed: " + e;
            errors.add(msg);
            return new SweepResult.Cell(null, Double.NaN, e.toString());
        }
    }

    private static String firstDevice(SweepResult.Cell[][] cells) {
        for (SweepResult.Cell[] row : cells) {
            for (SweepResult.Cell c : row) if (c.ok() && c.result().device() != null) return c.result().device();
        }
        return "unknown";
    }

    public String name() { return name; }
    public String title() { return title; }
    public String kernel() { return kernel; }
    public String dtype() { return dtype; }
    public String xName() { return xName; }
    public long[] xValues() { return xValues.clone(); }
    public String xLabel() { return xLabel; }
    public String yLabel() { return yLabel; }
    public String shape(long x) { return shape.apply(x); }
    public Metric metric() { return metric; }
    public List<Provider> providers() { return providers; }
    public boolean logX() { return logX; }
    public boolean logY() { return logY; }
    /** Whether tables show each x's shape beside it (when x only numbers the problems). */
    public boolean shapeColumn() { return shapeColumn; }
    public int chartWidth() { return width; }
    public int chartHeight() { return height; }

    /** Builds a {@link PerfReport}; {@code x}, at least one provider and (usually) a metric are required. */
    public static final class Builder {
        private final String name;
        private String title, kernel, dtype = "", xName, xLabel, yLabel, device;
        private long[] xValues;
        private LongFunction<String> shape;
        private Metric metric = Metric.ms();
        private final List<Provider> providers = new ArrayList<>();
        private boolean logX, logY, printTable = true, failFast, shapeColumn;
        private int width = 800, height = 600;
        private Progress.Mode progress = Progress.Mode.AUTO;
        private PrintStream out = System.out, err = System.err;
        private LocalDate date;

        private Builder(String name) {
            Objects.requireNonNull(name, "name");
            if (name.isBlank()) throw new IllegalArgumentException("a report needs a name");
            this.name = name;
        }

        /** The x variable: its name (table header, default axis label) and values in sweep order. */
        public Builder x(String xName, long... values) {
            Objects.requireNonNull(xName, "xName");
            if (values.length == 0) throw new IllegalArgumentException("x '" + xName + "' needs at least one value");
            this.xName = xName;
            this.xValues = values.clone();
            return this;
        }

        /** The x variable's values as a list. */
        public Builder x(String xName, List<? extends Number> values) {
            return x(xName, values.stream().mapToLong(Number::longValue).toArray());
        }

        /** Chart title (default: the name). */
        public Builder title(String t) { title = t; return this; }

        /** Kernel name in results logs (default: the name). */
        public Builder kernel(String k) { kernel = k; return this; }

        /** Data type in results logs, e.g. {@code "bf16"}. */
        public Builder dtype(String d) { dtype = Objects.requireNonNull(d); return this; }

        /** The shape measured at each x, e.g. {@code n -> "4096x" + n} (default {@code "N=<x>"}). */
        public Builder shape(LongFunction<String> s) { shape = Objects.requireNonNull(s); return this; }

        /** The metric reported and plotted (default: milliseconds). */
        public Builder metric(Metric m) { metric = Objects.requireNonNull(m); return this; }

        /** X axis label (default: the x name). */
        public Builder xLabel(String l) { xLabel = l; return this; }

        /** Y axis label (default: the metric's unit, e.g. {@code "GB/s"}). */
        public Builder yLabel(String l) { yLabel = l; return this; }

        /** Tables show each x's shape in a column after x (for sweeps whose x only numbers the problems). */
        public Builder shapeColumn(boolean b) { shapeColumn = b; return this; }

        /** Logarithmic x axis on the chart. */
        public Builder logX(boolean b) { logX = b; return this; }

        /** Logarithmic y axis on the chart. */
        public Builder logY(boolean b) { logY = b; return this; }

        /** Adds a provider. */
        public Builder provider(Provider p) { providers.add(Objects.requireNonNull(p)); return this; }

        /** Adds a provider measured by {@code measure}. */
        public Builder provider(String providerName, LongFunction<BenchResult> measure) {
            return provider(Provider.of(providerName, measure));
        }

        /** Adds a provider whose function returns milliseconds. */
        public Builder providerMs(String providerName, LongToDoubleFunction msOfX) {
            return provider(Provider.ofMs(providerName, msOfX));
        }

        /** The device name for results (default: the device the first result was timed on). */
        public Builder device(String d) { device = d; return this; }

        /** The date for results (default: the day {@link #run()} finishes). */
        public Builder date(LocalDate d) { date = d; return this; }

        /** Chart size in pixels (default 800×600). */
        public Builder chartSize(int w, int h) {
            if (w < 100 || h < 100) throw new IllegalArgumentException("chart size must be at least 100x100, got " + w + "x" + h);
            width = w;
            height = h;
            return this;
        }

        /** How progress is shown (default {@link Progress.Mode#AUTO}). */
        public Builder progress(Progress.Mode m) { progress = Objects.requireNonNull(m); return this; }

        /** Whether {@link #run()} prints the table to the output stream (default true). */
        public Builder printTable(boolean b) { printTable = b; return this; }

        /** Whether a failing provider aborts the sweep (default false: its cell stays empty). */
        public Builder failFast(boolean b) { failFast = b; return this; }

        /** Where the table goes (default {@code System.out}). */
        public Builder out(PrintStream o) { out = Objects.requireNonNull(o); return this; }

        /** Where progress and errors go (default {@code System.err}). */
        public Builder err(PrintStream e) { err = Objects.requireNonNull(e); return this; }

        public PerfReport build() {
            if (xName == null) throw new IllegalStateException("report '" + name + "' has no x values: call x(name, values)");
            if (providers.isEmpty()) throw new IllegalStateException("report '" + name + "' has no providers: call provider(name, fn)");
            Set<String> names = new LinkedHashSet<>();
            for (Provider p : providers) {
                if (!names.add(p.name())) throw new IllegalStateException("report '" + name + "' has two providers named '" + p.name() + "'");
                if (p.metric() != null && !p.metric().unit().equals(metric.unit())) {
                    throw new IllegalStateException("provider '" + p.name() + "' reports " + p.metric().unit()
                            + " but the report plots " + metric.unit() + "; give both the same unit");
                }
            }
            return new PerfReport(this);
        }
    }
}
