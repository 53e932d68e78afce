package dev.tessera.cli;

import dev.tessera.autotune.Autotuner;
import dev.tessera.autotune.TuningCache;
import dev.tessera.autotune.TuningResult;
import dev.tessera.bench.BenchOptions;
import dev.tessera.bench.Benchmarker;
import dev.tessera.bench.DeviceTimers;
import dev.tessera.bench.TextTable;
import dev.tessera.kernels.bench.BenchSettings;
import dev.tessera.kernels.bench.KernelBench;
import dev.tessera.kernels.bench.Problem;
import dev.tessera.kernels.bench.TesseraProvider;
import dev.tessera.kernels.bench.Workload;
import dev.tessera.runtime.Device;
import dev.tessera.types.DType;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** Autotunes a library kernel for given sizes, printing every config's time and the winner. */
@Command(name = "tune", sortOptions = false, mixinStandardHelpOptions = true,
        description = {
                "Autotune a library kernel (softmax, matmul) and save the winning configs.",
                "",
                "For each size: time every config that survives pruning and the device's",
                "resource limits, and print each config's time (or why it was skipped) and",
                "the winner. Winners are saved in",
                "the tuning cache ($TESSERA_CACHE_DIR, else ~/.cache/tessera, under autotune/)",
                "and reused by later runs on the same device and compiler version.",
                ""},
        footer = {"",
                "Examples:",
                "  tessera tune softmax",
                "  tessera tune matmul --sizes 256,512",
                "  tessera tune softmax --sizes 1k..8k --force     (tune again, overwrite)",
                "  tessera tune matmul --dtype f16 --device cuda:0 --rep-ms 200"})
final class TuneCommand implements Callable<Integer> {

    @Parameters(index = "0", paramLabel = "<kernel>", description = "softmax or matmul")
    String kernel;

    @Option(names = "--sizes", paramLabel = "<sizes>", description = "sizes as for tessera bench (default: the kernel's default sizes)")
    String sizes;

    @Option(names = "--dtype", paramLabel = "<dtype>", description = "element type: f32 (default), f16, bf16")
    String dtype = "f32";

    @Option(names = "--device", paramLabel = "<device>", description = "cpu, cuda or cuda:N (default: the best device present)")
    String device;

    @Option(names = "--rows", paramLabel = "<n>", description = "rows of softmax (default: ${DEFAULT-VALUE})")
    long rows = 4096;

    @Option(names = "--tf32", description = "matmul: f32 inputs rounded to tf32 (default: full f32 precision)")
    boolean tf32;

    @Option(names = "--rep-ms", paramLabel = "<ms>", description = "timed budget per config (default: ${DEFAULT-VALUE})")
    double repMs = 100;

    @Option(names = "--warmup-ms", paramLabel = "<ms>", description = "warm-up budget per config (default: 25, or 100 on the CPU)")
    Double warmupMs;

    @Option(names = "--force", description = "ignore saved results: tune again and overwrite them")
    boolean force;

    @Option(names = "--no-cache", description = "neither read nor write saved results")
    boolean noCache;

    @Override
    public Integer call() {
        KernelBench kb = KernelBench.named(kernel);
        Autotuner library = BenchCommand.tunerOf(kb);
        Device d = device == null ? Device.defaultDevice() : Device.parse(device).require();
        BenchCommand.positive("--rows", rows);
        BenchCommand.positive("--rep-ms", repMs);
        Benchmarker bench = Benchmarker.of(BenchOptions.defaults().withRepMs(repMs)
                .withWarmupMs(warmupMs != null ? warmupMs : d.backend().equals("cpu") ? 100 : 25)
                .withTimer(DeviceTimers.forDevice(d.toString())));
        TuningCache cache = noCache ? TuningCache.disabled() : force ? library.cache().refreshing() : library.cache();
        Autotuner tuner = library.toBuilder().benchmarker(bench).cache(cache).verbose(false).build();
        BenchSettings settings = BenchSettings.of(DType.parse(dtype), d).withRows(rows).withTune(true).withIeee(!tf32)
                .withTuners(t -> tuner);
        long[] xs = sizes != null ? Sizes.parse(sizes) : kb.defaultSizes(d);
        TesseraProvider tessera = new TesseraProvider();
        TextTable summary = TextTable.of(kb.xName(), "shape", "best config", "ms", "source");
        System.out.println("Tuning " + kb.name() + " (" + dtype + ") on " + d + " (" + d.info().name() + "), "
                + tuner.configs().size() + " configs, cache " + (cache.enabled() ? cache.dir() : "off"));
        for (long x : xs) {
            Problem p = new Problem(kb, x, settings);
            String why = tessera.unsupported(p);
            if (why != null) throw new IllegalArgumentException(why);
            int before = tuner.results().size();
            try (Workload w = tessera.prepare(p)) {
                // preparing the workload tuned the kernel for this size
            }
            TuningResult r = tuner.lastResult().orElseThrow();
            if (tuner.results().size() == before) System.out.println("(same key as an earlier size)");
            System.out.println();
            System.out.println(kb.xName() + "=" + x + " (" + kb.shape(x, settings) + "), key [" + r.key() + "]:");
            r.table().print(System.out);
            System.out.println("winner: " + r.best() + String.format(Locale.ROOT, " at %.4f ms", r.bestMs())
                    + (r.fromCache() ? " (saved earlier; --force to tune again)" : ""));
            summary.addRow(Long.toString(x), kb.shape(x, settings), r.best().toString(), String.format(Locale.ROOT, "%.4f", r.bestMs()),
                    r.fromCache() ? "cache" : "tuned");
        }
        System.out.println();
        summary.print(System.out);
        return 0;
    }
}
