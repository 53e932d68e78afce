package dev.tessera.autotune;

import static dev.tessera.runtime.Grid.grid;

import dev.tessera.bench.Progress;
import dev.tessera.runtime.Device;
import dev.tessera.runtime.Tensor;
import dev.tessera.types.DType;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/** Run in a separate JVM by {@link PersistenceTest}: tunes the planted kernel and prints what happened. */
public final class TuneChild {
    private TuneChild() {}

    static final List<Config> CONFIGS = List.of(Config.of("COST", 30), Config.of("COST", 4), Config.of("COST", 12));

    static Autotuner tuner(Path cacheDir, TestKernels.PlantedBenchmarker bench) {
        return Autotuner.builder(TestKernels.PLANTED).configs(CONFIGS).heuristic("BLOCK", a -> 16).benchmarker(bench)
                .cache(TuningCache.at(cacheDir)).progress(Progress.Mode.NONE).rounds(1).build();
    }

    public static void main(String[] args) {
        try (Tensor cost = Tensor.zeros(DType.I32, Device.cpu(), 1)) {
            var bench = new TestKernels.PlantedBenchmarker(cost);
            TuningResult r = tuner(Path.of(args[0]), bench).tune(grid(1), new Object[] {cost}, Map.of());
            System.out.println("fromCache=" + r.fromCache() + " timed=" + bench.calls.get() + " best=" + r.best() + " file=" + r.file());
        }
    }
}
