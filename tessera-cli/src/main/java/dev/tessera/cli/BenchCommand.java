package dev.tessera.cli;

import dev.tessera.autotune.Autotuner;
import dev.tessera.bench.BenchOptions;
import dev.tessera.bench.ResultRecord;
import dev.tessera.bench.ResultsLog;
import dev.tessera.bench.SweepResult;
import dev.tessera.kernels.bench.BenchProvider;
import dev.tessera.kernels.bench.BenchProviders;
import dev.tessera.kernels.bench.BenchSettings;
import dev.tessera.kernels.bench.BenchSuite;
import dev.tessera.kernels.bench.KernelBench;
import dev.tessera.kernels.bench.Problem;
import dev.tessera.runtime.Device;
import dev.tessera.runtime.IoErrors;
import dev.tessera.types.DType;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** Sweeps a library kernel over sizes for several providers and prints (and plots) the throughput. */
@Command(name = "bench", sortOptions = false, mixinStandardHelpOptions = true,
        description = {
                "Benchmark a library kernel over a range of sizes against other providers.",
                "",
                "Times each provider (tessera, java, and those a backend module registers,",
                "e.g. torch or cublas on a GPU) and prints a table of GB/s or FLOP/s. Results",
                "are also appended as JSON lines to <date>-<device>.jsonl in the results",
                "directory: --results DIR, else $XDG_DATA_HOME/tessera/results, else",
                "~/.local/share/tessera/results. Timing follows Triton's do_bench: warm-up,",
                "caches flushed before each repetition, median of the repetitions.",
                ""},
        footer = {"",
                "Kernels: vector-add (N elements), softmax, layer-norm and rms-norm (rows of",
                "length N, 4096 rows), matmul (M = N = K). tessera bench --list shows them all.",
                "",
                "Examples:",
                "  tessera bench softmax",
                "  tessera bench softmax --plot       (writes softmax-f32-cpu.* in the results directory)",
                "  tessera bench softmax --plot out/softmax.png   (+ .svg .md .csv)",
                "  tessera bench matmul --sizes 128..512 --tune",
                "  tessera bench vector-add --sizes 2^24 --providers tessera,java",
                "  tessera bench softmax --dtype bf16 --device cuda:0 --sizes 1k..16k"})
final class BenchCommand implements Callable<Integer> {

    @Parameters(index = "0", arity = "0..1", paramLabel = "<kernel>", completionCandidates = KernelNames.class,
            description = "one of: ${COMPLETION-CANDIDATES}")
    String kernel;

    /** The kernel benchmarks' names, for the help (so a new kernel is listed there without editing it). */
    static final class KernelNames implements Iterable<String> {
        @Override
        public java.util.Iterator<String> iterator() { return KernelBench.ALL.stream().map(KernelBench::name).iterator(); }
    }

    @Option(names = "--sizes", paramLabel = "<sizes>",
            description = "sizes to sweep: a list (1024,4096), a doubling range (256..16384), 2^24, 64k; default depends on kernel and device")
    String sizes;

    @Option(names = "--dtype", paramLabel = "<dtype>", description = "element type: f32 (default), f16, bf16")
    String dtype = "f32";

    @Option(names = "--device", paramLabel = "<device>", description = "cpu, cuda or cuda:N (default: the best device present)")
    String device;

    @Option(names = "--providers", split = ",", paramLabel = "<name>",
            description = "providers to time, comma-separated (default: every provider that supports the kernel, dtype and device)")
    List<String> providers;

    @Option(names = "--plot", paramLabel = "<file.png>", arity = "0..1", fallbackValue = "",
            description = "write the chart as PNG and SVG, and the table as .md and .csv, beside it"
                    + " (without a file: <kernel>-<dtype>-<device>.png in the results directory)")
    String plotOption;

    Path plot;

    @Option(names = "--tune", description = "autotune Tessera's kernel for each size before timing it (softmax, matmul)")
    boolean tune;

    @Option(names = "--retune", description = "with --tune: ignore saved tuning results, tune again and overwrite them")
    boolean retune;

    @Option(names = "--verbose-tuning", description = "with --tune: print every config's time and the winner")
    boolean verboseTuning;

    @Option(names = "--rows", paramLabel = "<n>", description = "rows of softmax and layer-norm (default: ${DEFAULT-VALUE})")
    long rows = 4096;

    @Option(names = "--tf32", description = "matmul: f32 inputs rounded to tf32 (default: full f32 precision)")
    boolean tf32;

    @Option(names = "--rep-ms", paramLabel = "<ms>", description = "timed budget per measurement (default: ${DEFAULT-VALUE})")
    double repMs = 100;

    @Option(names = "--warmup-ms", paramLabel = "<ms>",
            description = "warm-up budget per measurement (default: 25, or 500 on the CPU, where the JVM is still compiling)")
    Double warmupMs;

    @Option(names = "--seed", paramLabel = "<n>", description = "seed of the random inputs (default: ${DEFAULT-VALUE})")
    long seed = 42;

    @Option(names = "--no-jvm-warmup", description = "on the CPU, skip the untimed second of work before the sweep")
    boolean noJvmWarmup;

    @Option(names = "--no-log", description = "do not append results to the results directory")
    boolean noLog;

    @Option(names = "--results", paramLabel = "<dir>",
            description = "the results directory (default: $XDG_DATA_HOME/tessera/results, else ~/.local/share/tessera/results)")
    Path results;

    @Option(names = "--list", description = "list the kernels and providers, then exit")
    boolean list;

    @Override
    public Integer call() throws Exception {
        if (list || kernel == null) {
            printList();
            if (kernel == null && !list) {
                System.err.println("tessera bench: name a kernel (see above), e.g. tessera bench softmax");
                return 2;
            }
            return 0;
        }
        KernelBench kb = KernelBench.named(kernel);
        Device d = device == null ? Device.defaultDevice() : Device.parse(device).require();
        positive("--rows", rows);
        positive("--rep-ms", repMs);
        BenchSettings settings = BenchSettings.of(DType.parse(dtype), d).withSeed(seed).withRows(rows).withTune(tune).withIeee(!tf32)
                .withTuners(t -> verboseTuning || retune
                        ? t.toBuilder().verbose(verboseTuning).cache(retune ? t.cache().refreshing() : t.cache()).build() : t);
        if (tune && kb.tuner().isEmpty()) System.err.println("tessera bench: " + kb.name() + " has no autotuner; --tune has no effect");
        long[] xs = sizes != null ? Sizes.parse(sizes) : kb.defaultSizes(d);
        if (plotOption != null) {
            plot = plotOption.isBlank()
                    ? resultsDir().resolve(kb.name() + "-" + settings.dtype() + "-" + d.toString().replace(':', '-') + ".png")
                    : Path.of(plotOption);
            checkWritable(plot);
        }
        List<BenchProvider> chosen = chooseProviders(kb, settings, xs[0]);
        BenchOptions options = BenchOptions.defaults().withRepMs(repMs)
                .withWarmupMs(warmupMs != null ? warmupMs : d.backend().equals("cpu") ? 500 : 25);
        BenchSuite suite = new BenchSuite(kb, settings, options);

        if (d.backend().equals("cpu") && !noJvmWarmup) {
            System.err.println("warming up the JVM at " + kb.xName() + "=" + xs[0] + " (--no-jvm-warmup to skip)...");
            suite.warmUp(chosen, xs[0], 1000);
        }
        SweepResult r = suite.report(xs, chosen).build().run();
        printNotes(suite.notes());
        if (!noLog) {
            ResultsLog log = ResultsLog.forDevice(resultsDir(), r.device(), java.time.LocalDate.now());
            log.append(withNotes(r.records(), suite, kb, settings, xs));
            System.err.println("appended " + r.records().size() + " results to " + log.file());
        }
        if (plot != null) writeFiles(r, suite);
        return r.errors().isEmpty() ? 0 : 1;
    }

    private Path resultsDir() { return results != null ? results : ResultsLog.defaultDir(); }

    static void positive(String option, double value) {
        if (!(value > 0)) throw new IllegalArgumentException(option + " must be positive, got " + value);
    }

    /** Fails before the sweep, not after it, when the chart cannot be written where it was asked for. */
    private static void checkWritable(Path file) {
        Path dir = file.toAbsolutePath().getParent();
        try {
            Files.createDirectories(dir);
            Files.delete(Files.createTempFile(dir, ".tessera-plot-", ".tmp"));
        } catch (java.io.IOException e) {
            throw new IllegalArgumentException("cannot write --plot " + file + ": " + IoErrors.describe(e));
        }
        if (Files.isDirectory(file)) throw new IllegalArgumentException("cannot write --plot " + file + ": it is a directory");
    }

    /** The records with the provider's note (the config it ran: fixed, or the tuned one) as field "config". */
    private static List<ResultRecord> withNotes(List<ResultRecord> records, BenchSuite suite, KernelBench kb, BenchSettings s, long[] xs) {
        List<ResultRecord> out = new ArrayList<>();
        for (ResultRecord rec : records) {
            String note = null;
            Map<Long, String> byX = suite.notes().get(rec.provider());
            if (byX != null) {
                for (long x : xs) if (kb.shape(x, s).equals(rec.shape()) && byX.containsKey(x)) note = byX.get(x);
            }
            if (note == null) {
                out.add(rec);
                continue;
            }
            Map<String, Object> extra = new java.util.LinkedHashMap<>(rec.extra());
            extra.put("config", note.replace(" (from the tuning cache)", ""));
            out.add(new ResultRecord(rec.kernel(), rec.shape(), rec.dtype(), rec.provider(), rec.ms(), rec.metricKey(), rec.metricValue(),
                    rec.device(), rec.date(), extra));
        }
        return out;
    }

    private List<BenchProvider> chooseProviders(KernelBench kb, BenchSettings settings, long x) {
        Problem probe = new Problem(kb, x, settings);
        List<BenchProvider> out = new ArrayList<>();
        if (providers == null) {
            for (BenchProvider p : BenchProviders.all()) {
                String why = p.unsupported(probe);
                if (why == null) out.add(p);
                else System.err.println("tessera bench: leaving out provider " + p.name() + ": " + why);
            }
            if (out.isEmpty()) throw new IllegalArgumentException("no provider supports " + kb.name() + " " + settings.dtype() + " on " + settings.device());
            return out;
        }
        for (String n : providers) out.add(BenchProviders.named(n));
        return out;
    }

    private static void printNotes(Map<String, Map<Long, String>> notes) {
        notes.forEach((provider, byX) -> byX.forEach((x, note) -> System.out.println("  " + provider + " at " + x + ": " + note)));
    }

    private void writeFiles(SweepResult r, BenchSuite suite) throws Exception {
        String file = plot.getFileName().toString();
        String base = file.toLowerCase().endsWith(".png") ? file.substring(0, file.length() - 4) : file;
        Path dir = plot.toAbsolutePath().getParent();
        Files.createDirectories(dir);
        Path png = dir.resolve(base + ".png"), svg = dir.resolve(base + ".svg"), md = dir.resolve(base + ".md"), csv = dir.resolve(base + ".csv");
        r.writePng(png);
        r.writeSvg(svg);
        StringBuilder markdown = new StringBuilder(r.toMarkdown());
        if (!suite.notes().isEmpty()) {
            markdown.append("\nNotes:\n\n");
            suite.notes().forEach((provider, byX) -> byX.forEach((x, note) ->
                    markdown.append("- ").append(provider).append(" at ").append(x).append(": ").append(note).append('\n')));
        }
        markdown.append("\nCommand: `tessera bench ").append(String.join(" ", commandLine())).append("`\n");
        Files.writeString(md, markdown, StandardCharsets.UTF_8);
        Files.writeString(csv, r.toCsv(), StandardCharsets.UTF_8);
        System.err.println("wrote " + png + ", " + svg.getFileName() + ", " + md.getFileName() + ", " + csv.getFileName());
    }

    private List<String> commandLine() {
        List<String> a = new ArrayList<>(List.of(kernel));
        if (sizes != null) a.addAll(List.of("--sizes", sizes));
        if (!dtype.equals("f32")) a.addAll(List.of("--dtype", dtype));
        if (device != null) a.addAll(List.of("--device", device));
        if (providers != null) a.addAll(List.of("--providers", String.join(",", providers)));
        if (tune) a.add("--tune");
        if (rows != 4096) a.addAll(List.of("--rows", Long.toString(rows)));
        if (tf32) a.add("--tf32");
        if (repMs != 100) a.addAll(List.of("--rep-ms", Double.toString(repMs)));
        if (retune) a.add("--retune");
        if (warmupMs != null) a.addAll(List.of("--warmup-ms", Double.toString(warmupMs)));
        if (plotOption != null) a.addAll(plotOption.isBlank() ? List.of("--plot") : List.of("--plot", plotOption));
        if (results != null) a.addAll(List.of("--results", results.toString()));
        return a;
    }

    static void printList() {
        System.out.println("Kernels:");
        for (KernelBench k : KernelBench.ALL) {
            System.out.printf("  %-11s %s%s%n", k.name(), k.description(), k.tuner().isPresent() ? " [autotuned]" : "");
        }
        System.out.println("Providers:");
        for (BenchProvider p : BenchProviders.all()) System.out.printf("  %-11s %s%n", p.name(), p.description());
    }

    /** For {@link TuneCommand}: the tuners of the kernels that have one. */
    static Autotuner tunerOf(KernelBench kb) {
        return kb.tuner().orElseThrow(() -> new IllegalArgumentException(kb.name() + " has no autotuner (its launch parameters are fixed); "
                + "tunable kernels: " + KernelBench.ALL.stream().filter(k -> k.tuner().isPresent()).map(KernelBench::name).toList()));
    }
}
