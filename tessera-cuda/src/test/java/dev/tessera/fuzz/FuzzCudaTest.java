package dev.tessera.fuzz;

import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tessera.runtime.Device;
import dev.tessera.testing.Seed;
import dev.tessera.testing.SeedExtension;
import dev.tessera.testing.TestDevices;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The differential fuzzer between the CPU and the first GPU: random well-typed tile programs
 * (elementwise chains, broadcasts, reductions, scans, masked loads, loops with carried values,
 * atomics, branches, dots alone and in loops) must agree within a tolerance that only approximate
 * math and the order of float additions can use up. The number of programs is
 * {@code tessera.fuzz.count} (1000 for the GPU report, fewer by default); mismatches are
 * minimized and written, with their replay lines, to {@code $TESSERA_OUT/fuzz.txt} when
 * TESSERA_OUT is set. Skips where there is no GPU.
 */
@ExtendWith(SeedExtension.class)
class FuzzCudaTest {
    /** Relative tolerance for outputs of approximate math (see FuzzHarness.compare). */
    static final double TOLERANCE = 2e-3;

    @Test
    void cpuAndGpuAgreeOnRandomPrograms(@Seed long seed) throws IOException {
        Device gpu = TestDevices.require(new Device("cuda", 0));
        int count = Integer.getInteger("tessera.fuzz.count", 200);
        long start = System.nanoTime();
        List<FuzzHarness.Mismatch> found = FuzzHarness.campaign(seed, count, FuzzHarness.on(Device.cpu()), FuzzHarness.on(gpu), TOLERANCE);
        String report = "fuzz: " + count + " programs from seed " + seed + ", " + found.size() + " mismatches, "
                + (System.nanoTime() - start) / 1_000_000_000 + " s\n"
                + String.join("\n", found.stream().map(FuzzHarness.Mismatch::toString).toList()) + "\n";
        String out = System.getenv("TESSERA_OUT");
        if (out != null) Files.writeString(Path.of(out, "fuzz.txt"), report);
        System.out.print(report);
        assertTrue(found.isEmpty(), report);
    }
}
