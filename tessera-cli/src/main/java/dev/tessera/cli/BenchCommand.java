package dev.tessera.cli;

import dev.tessera.autotune.Autotuner;
import dev.tessera.bench.BenchOptions;
import dev.tessera.bench.Benchmarker;
import dev.tessera.bench.DeviceTimers;
import dev.tessera.bench.ResultRecord;
import dev.tessera.bench.ResultsLog;
import dev.tessera.bench.SweepResult;
import dev.tessera.kernels.bench.BenchProvider;
import dev.tessera.kernels.bench.BenchProviders;
import dev.tessera.kernels.bench.BenchSettings;
import dev.tessera.kernels.bench.BenchSuite;
import dev.tessera.kernels.bench.KernelBench;
import dev.tessera.kernels.bench.MatmulShape;
import dev.tessera.kernels.bench.Problem;
import dev.tessera.kernels.matmul.MatmulConfig;
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
                "Kernels: vector-add (N elements), softmax, layer-norm and rms-norm (rows of length N,",
                "4096 rows), matmul (M = N = K, or the MxNxK problems of --shapes or --sweep),",
                "attention and attention-backward (sequence length N, B·N = 16k, H·D = 2048),",
                "attention-decode (one query a sequence over a KV cache of N positions, B = --batch),",
                "fused-linear-cross-entropy and lora-mlp (a training step's forward and backward pass",
                "over T tokens; the note gives the peak memory beyond the inputs).",
                "tessera bench --list shows them all.",
                "",
                "Examples:",
                "  tessera bench softmax",
                "  tessera bench softmax --plot       (writes softmax-f32-cpu.* in the results directory)",
                "  tessera bench softmax --plot out/softmax.png   (+ .svg .md .csv)",
                "  tessera bench matmul --sizes 128..512 --tune",
                "  tessera bench matmul --dtype f16 --sweep llm --b-transposed --tune --device cuda:0",
                "  tessera bench matmul --dtype i8 --shapes 4096x4096x4096 --config BM=128,BN=128,BK=64,warps=4,stages=4",
                "  tessera bench vector-add --sizes 2^24 --providers tessera,java",
                "  tessera bench softmax --dtype bf16 --device cuda:0 --sizes 1k..16k",
                "  tessera bench attention --dtype f16 --head-dim 128 --causal --device cuda:0 --sizes 1k..16k",
                "  tessera bench attention-decode --dtype bf16 --batch 8 --device cuda:0 --sizes 4k,16k,64k"})
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

    @Option(names = "--dtype", paramLabel = "<dtype>",
            description = "element type: f32 (default), f16, bf16; matmul also tf32 (f32 inputs rounded to tf32) and i8 (i32 accumulator and output)")
    String dtype = "f32";

    @Option(names = "--shapes", paramLabel = "<MxNxK,...>", description = "matmul: the problems to time, e.g. 4096x4096x4096,64x11008x4096")
    String shapes;

    @Option(names = "--sweep", paramLabel = "<name>",
            description = "matmul: a named list of problems: square (1024^3, 4096^3, 8192^3) or llm (M in 64, 128, 512, 4096 by (N, K) in"
                    + " (4096, 4096), (11008, 4096), (4096, 11008), (128256, 4096))")
    String sweep;

    @Option(names = "--b-transposed", description = "matmul: B given as W.T of a row-major W [N, K] (strides (1, K)), as x @ W.T in a linear layer")
    boolean bTransposed;

    @Option(names = "--config", paramLabel = "<config>",
            description = "matmul without --tune: this blocking instead of the default, e.g. BM=128,BN=256,BK=64,GROUP=8,warps=8,stages=3")
    String config;

    @Option(names = "--head-dim", paramLabel = "<d>", description = "attention: the head dimension, 16 to 256, a power of 2 (default: ${DEFAULT-VALUE})")
    int headDim = 128;

    @Option(names = "--causal", description = "attention: causal (its FLOPs are counted halved)")
    boolean causal;

    @Option(names = "--atomic-dq", description = "attention-backward: dQ summed with f32 atomics instead of by programs of its own (the default)")
    boolean atomicDq;

    @Option(names = "--batch", paramLabel = "<b>", description = "attention-decode: the sequences decoded at once (default: ${DEFAULT-VALUE})")
    int batch = 1;

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

    @Option(names = "--tune", description = "autotune Tessera's kernel for each size before timing it (softmax, matmul, attention)")
    boolean tune;

    @Option(names = "--retune", description = "with --tune: ignore saved tuning results, tune again and overwrite them")
    boolean retune;

    @Option(names = "--verbose-tuning", description = "with --tune: print every config's time and the winner")
    boolean verboseTuning;

    @Option(names = "--tune-rep-ms", paramLabel = "<ms>", description = "with --tune: timed budget per config (default: the tuner's, 100)")
    Double tuneRepMs;

    @Option(names = "--tune-warmup-ms", paramLabel = "<ms>", description = "with --tune: warm-up budget per config (default: the tuner's, 25, or 100 on the CPU)")
    Double tuneWarmupMs;

    @Option(names = "--time-limit", paramLabel = "<s>",
            description = "start no measurement after this many seconds; those left are reported as not measured (the rest are kept)")
    Double timeLimit;

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
        Choices c;
        try {
            c = choices();
        } catch (IllegalArgumentException e) {
            System.err.println("tessera bench: " + e.getMessage());
            return 2;
        }
        KernelBench kb = c.kernel();
        Device d = device == null ? Device.defaultDevice() : Device.parse(device).require();
        positive("--rows", rows);
        positive("--rep-ms", repMs);
        BenchSettings settings = BenchSettings.of(c.dtype(), d).withSeed(seed).withRows(rows).withTune(tune).withIeee(c.ieee())
                .withShapes(c.shapes()).withBTransposed(bTransposed).withMatmulConfig(c.config())
                .withHeadDim(headDim).withCausal(causal).withDeterministic(!atomicDq).withBatch(batch)
                .withTuners(t -> deriveTuner(t, d));
        if (tune && kb.tuner().isEmpty()) System.err.println("tessera bench: " + kb.name() + " has no autotuner; --tune has no effect");
        long[] xs = kb.listedSizes(settings) != null ? kb.listedSizes(settings) : sizes != null ? Sizes.parse(sizes) : kb.defaultSizes(d);
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
        if (timeLimit != null) suite.stopAfter(timeLimit);

        if (d.backend().equals("cpu") && !noJvmWarmup) {
            System.err.println("warming up the JVM at " + kb.xName(settings) + "=" + xs[0] + " (--no-jvm-warmup to skip)...");
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

    /**
     * The records with the kernel's fields for the run (matmul: the layout) and the provider's note
     * (the config it ran: fixed, or the tuned one) as field "config".
     */
    private static List<ResultRecord> withNotes(List<ResultRecord> records, BenchSuite suite, KernelBench kb, BenchSettings s, long[] xs) {
        List<ResultRecord> out = new ArrayList<>();
        Map<String, Object> runFields = kb.recordFields(s);
        for (ResultRecord rec : records) {
            String note = null;
            Map<Long, String> byX = suite.notes().get(rec.provider());
            if (byX != null) {
                for (long x : xs) if (kb.shape(x, s).equals(rec.shape()) && byX.containsKey(x)) note = byX.get(x);
            }
            if (note == null && runFields.isEmpty()) {
                out.add(rec);
                continue;
            }
            Map<String, Object> extra = new java.util.LinkedHashMap<>(rec.extra());
            extra.putAll(runFields);
            if (note != null) extra.put("config", note.replace(" (from the tuning cache)", ""));
            out.add(new ResultRecord(rec.kernel(), rec.shape(), rec.dtype(), rec.provider(), rec.ms(), rec.metricKey(), rec.metricValue(),
                    rec.device(), rec.date(), extra));
        }
        return out;
    }

    /** What the options ask for, checked together; an IllegalArgumentException names the first bad option. */
    record Choices(KernelBench kernel, DType dtype, boolean ieee, List<MatmulShape> shapes, MatmulConfig config) {}

    Choices choices() {
        KernelBench kb = KernelBench.named(kernel);
        boolean matmul = kb == KernelBench.MATMUL;
        String dt = dtype.strip().toLowerCase(java.util.Locale.ROOT);
        boolean tf32Dtype = dt.equals("tf32");
        DType t = tf32Dtype ? DType.F32 : dt.equals("int8") ? DType.I8 : DType.parse(dt);
        if (!matmul && (tf32Dtype || t == DType.I8)) {
            throw new IllegalArgumentException("--dtype " + dtype + " is for matmul only; " + kb.name() + " takes f32, f16 or bf16");
        }
        if (tf32 && t != DType.F32) {
            throw new IllegalArgumentException("--tf32 rounds f32 matmul inputs to tf32; it does not apply to --dtype " + dtype);
        }
        if (tf32 && !matmul) throw new IllegalArgumentException("--tf32 is for matmul only");
        for (String[] o : new String[][] {{"--shapes", shapes}, {"--sweep", sweep}, {"--config", config}}) {
            if (o[1] != null && !kb.isGemm()) throw new IllegalArgumentException(o[0] + " is for matmul and the quantized GEMMs only");
        }
        if (bTransposed && !matmul && !kb.isMatmulThroughDescriptors()) {
            throw new IllegalArgumentException("--b-transposed is for matmul only" + (kb.isGemm() ? " (the quantized GEMMs always multiply by W.T)" : ""));
        }
        boolean attention = kb == KernelBench.ATTENTION || kb == KernelBench.ATTENTION_DESCRIPTORS || kb == KernelBench.ATTENTION_BACKWARD
                || kb == KernelBench.ATTENTION_BACKWARD_DESCRIPTORS || kb == KernelBench.ATTENTION_DECODE;
        if (!attention && (causal || headDim != 128)) throw new IllegalArgumentException((causal ? "--causal" : "--head-dim") + " is for attention only");
        if (causal && kb == KernelBench.ATTENTION_DECODE) {
            throw new IllegalArgumentException("--causal: attention-decode times one query a sequence, which sees the whole cache either way");
        }
        if (batch != 1 && kb != KernelBench.ATTENTION_DECODE) throw new IllegalArgumentException("--batch is for attention-decode only");
        if (batch < 1) throw new IllegalArgumentException("--batch takes at least 1 sequence, not " + batch);
        if (atomicDq && kb != KernelBench.ATTENTION_BACKWARD) throw new IllegalArgumentException("--atomic-dq is for attention-backward only");
        if (headDim < 16 || headDim > 256 || Integer.bitCount(headDim) != 1) {
            throw new IllegalArgumentException("--head-dim takes 16, 32, 64, 128 or 256, not " + headDim);
        }
        if (shapes != null && sweep != null) throw new IllegalArgumentException("give --shapes or --sweep, not both");
        if ((shapes != null || sweep != null) && sizes != null) {
            throw new IllegalArgumentException("--sizes gives square problems; leave it out with " + (shapes != null ? "--shapes" : "--sweep"));
        }
        if (config != null && tune) throw new IllegalArgumentException("--config fixes the blocking; leave out --tune (or --config)");
        if (timeLimit != null && !(timeLimit > 0)) throw new IllegalArgumentException("--time-limit takes a positive number of seconds, got " + timeLimit);
        if (tuneRepMs != null && !(tuneRepMs > 0)) throw new IllegalArgumentException("--tune-rep-ms takes a positive number of milliseconds, got " + tuneRepMs);
        if (tuneWarmupMs != null && !(tuneWarmupMs >= 0)) throw new IllegalArgumentException("--tune-warmup-ms takes milliseconds >= 0, got " + tuneWarmupMs);
        List<MatmulShape> listed = shapes != null ? MatmulShape.parseList(shapes) : sweep != null ? MatmulShape.sweep(sweep) : List.of();
        return new Choices(kb, t, !(tf32 || tf32Dtype), listed, config != null ? MatmulConfig.parse(config) : null);
    }

    /** The library's tuner with this run's verbosity, cache policy and timing budget. */
    private Autotuner deriveTuner(Autotuner t, Device d) {
        if (!verboseTuning && !retune && tuneRepMs == null && tuneWarmupMs == null) return t;
        Autotuner.Builder b = t.toBuilder().verbose(verboseTuning).cache(retune ? t.cache().refreshing() : t.cache());
        if (tuneRepMs != null || tuneWarmupMs != null) {
            BenchOptions o = BenchOptions.defaults().withTimer(DeviceTimers.forDevice(d.toString()));
            if (d.backend().equals("cpu")) o = o.withWarmupMs(100);
            if (tuneRepMs != null) o = o.withRepMs(tuneRepMs);
            if (tuneWarmupMs != null) o = o.withWarmupMs(tuneWarmupMs);
            b.benchmarker(Benchmarker.of(o));
        }
        return b.build();
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
        if (shapes != null) a.addAll(List.of("--shapes", shapes));
        if (sweep != null) a.addAll(List.of("--sweep", sweep));
        if (bTransposed) a.add("--b-transposed");
        if (config != null) a.addAll(List.of("--config", config));
        if (headDim != 128) a.addAll(List.of("--head-dim", Integer.toString(headDim)));
        if (causal) a.add("--causal");
        if (atomicDq) a.add("--atomic-dq");
        if (batch != 1) a.addAll(List.of("--batch", Integer.toString(batch)));
        if (tune) a.add("--tune");
        if (tuneRepMs != null) a.addAll(List.of("--tune-rep-ms", Double.toString(tuneRepMs)));
        if (tuneWarmupMs != null) a.addAll(List.of("--tune-warmup-ms", Double.toString(tuneWarmupMs)));
        if (timeLimit != null) a.addAll(List.of("--time-limit", Double.toString(timeLimit)));
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
            System.out.printf("  %-15s %s%s%n", k.name(), k.description(), k.tuner().isPresent() ? " [autotuned]" : "");
        }
        System.out.println("Providers:");
        for (BenchProvider p : BenchProviders.all()) System.out.printf("  %-15s %s%n", p.name(), p.description());
    }

    /** For {@link TuneCommand}: the tuners of the kernels that have one. */
    static Autotuner tunerOf(KernelBench kb) {
        return kb.tuner().orElseThrow(() -> new IllegalArgumentException(kb.name() + " has no autotuner (its launch parameters are fixed); "
                + "tunable kernels: " + KernelBench.ALL.stream().filter(k -> k.tuner().isPresent()).map(KernelBench::name).toList()));
    }
}
