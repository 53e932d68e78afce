package dev.tessera.fuzz;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tessera.runtime.Device;
import dev.tessera.testing.Seed;
import dev.tessera.testing.SeedExtension;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The fuzzer on the CPU alone: every random program traces, verifies, optimizes and runs, and
 * running it twice gives identical results (atomics and parallel programs included). The GPU suite
 * compares the same programs between the CPU and a GPU.
 */
@ExtendWith(SeedExtension.class)
class FuzzCpuTest {

    @Test
    void randomProgramsRunAndAreDeterministic(@Seed long seed) {
        FuzzHarness.Executor cpu = FuzzHarness.on(Device.cpu());
        List<FuzzHarness.Mismatch> mismatches = FuzzHarness.campaign(seed, 150, cpu, cpu, 0.0);
        assertTrue(mismatches.isEmpty(), () -> mismatches.size() + " programs misbehaved, first: " + mismatches.getFirst());
    }

    @Test
    void aPlantedDifferenceIsFoundAndMinimized(@Seed long seed) {
        FuzzHarness.Executor cpu = FuzzHarness.on(Device.cpu());
        FuzzHarness.Executor skewed = (p, n, s) -> {
            FuzzHarness.Outputs o = cpu.run(p, n, s);
            o.ints()[0] += 1;
            return o;
        };
        List<FuzzHarness.Mismatch> mismatches = FuzzHarness.campaign(seed, 3, cpu, skewed, 0.0);
        assertEquals(3, mismatches.size());
        FuzzHarness.Mismatch m = mismatches.getFirst();
        assertEquals(m.program().steps(), m.program().skipped().cardinality(), "every step is irrelevant to a planted difference");
    }
}
