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
 * The fuzzer on the CPU alone: every random program traces, verifies, optimizes and runs, running
 * it twice gives identical results (atomics and parallel programs included), and fused loops give
 * what unfused steps give. The GPU suite compares the same programs between the CPU and a GPU.
 */
@ExtendWith(SeedExtension.class)
class FuzzCpuTest {

    @Test
    void randomProgramsRunAndAreDeterministic(@Seed long seed) {
        FuzzHarness.Executor cpu = FuzzHarness.on(Device.cpu());
        List<FuzzHarness.Mismatch> mismatches = FuzzHarness.campaign(seed, 150, cpu, cpu, 0.0);
        assertTrue(mismatches.isEmpty(), () -> mismatches.size() + " programs misbehaved, first: " + mismatches.getFirst());
    }

    /** Fused loops against the ops' own steps: the same bits (NaNs aside, as FuzzHarness.compare allows) on every program. */
    @Test
    void fusedAndUnfusedStepsAgree(@Seed long seed) {
        List<FuzzHarness.Mismatch> mismatches = FuzzHarness.campaign(seed, 200, FuzzHarness.onCpu(true), FuzzHarness.onCpu(false), 0.0);
        assertTrue(mismatches.isEmpty(), () -> mismatches.size() + " programs differ fused and unfused, first: " + mismatches.getFirst());
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
