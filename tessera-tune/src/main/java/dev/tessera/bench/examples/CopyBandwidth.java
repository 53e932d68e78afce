package dev.tessera.bench.examples;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Path;

import dev.tessera.bench.Bench;
import dev.tessera.bench.BenchOptions;
import dev.tessera.bench.Metric;
import dev.tessera.bench.PerfReport;
import dev.tessera.bench.SweepResult;

/**
 * An example sweep: CPU copy bandwidth of f32 arrays of N elements, three ways. Writes the
 * report files into the directory given as the first argument (default {@code bench/examples}).
 *
 * <pre>java -cp … dev.tessera.bench.examples.CopyBandwidth bench/examples</pre>
 */
public final class CopyBandwidth {

    private CopyBandwidth() {}

    public static void main(String[] args) {
        Path out = Path.of(args.length > 0 ? args[0] : "bench/examples");
        BenchOptions options = BenchOptions.defaults(); // 25 ms warm-up, 100 ms of repetitions, caches flushed
        SweepResult result = PerfReport.builder("copy-bandwidth")
                .title("CPU copy bandwidth").kernel("copy").dtype("f32")
                .x("N", PerfReport.powersOfTwo(1 << 10, 1 << 24)).shape(n -> Long.toString(n))
                .metric(Metric.gbps(n -> 2.0 * Float.BYTES * n)) // read + write
                .logX(true)
                .provider("System.arraycopy", n -> {
                    float[] src = new float[(int) n], dst = new float[(int) n];
                    return Bench.doBench(() -> System.arraycopy(src, 0, dst, 0, src.length), options);
                })
                .provider("for loop", n -> {
                    float[] src = new float[(int) n], dst = new float[(int) n];
                    return Bench.doBench(() -> {
                        for (int i = 0; i < src.length; i++) dst[i] = src[i];
                    }, options);
                })
                .provider("MemorySegment.copy", n -> {
                    try (Arena arena = Arena.ofConfined()) {
                        MemorySegment src = arena.allocate(ValueLayout.JAVA_FLOAT, n), dst = arena.allocate(ValueLayout.JAVA_FLOAT, n);
                        return Bench.doBench(() -> MemorySegment.copy(src, 0, dst, 0, src.byteSize()), options);
                    }
                })
                .build().run();
        for (Path p : result.save(out)) System.out.println("wrote " + p);
    }
}
