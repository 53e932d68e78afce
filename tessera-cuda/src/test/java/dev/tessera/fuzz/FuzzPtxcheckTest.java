package dev.tessera.fuzz;

import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tessera.runtime.Device;
import dev.tessera.testing.Seed;
import dev.tessera.testing.SeedExtension;
import dev.tessera.testing.TestDevices;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The fuzzer's programs through the PTX code generator without a GPU: on the ptxcheck device every
 * random program (dots and their loops included) must give PTX that ptxas accepts for sm_80 and
 * sm_90a (a rejection fails with ptxas's message; the seed replays it), then runs on the CPU, whose
 * outputs it must repeat. Skips where ptxas is missing or a GPU is present (FuzzCudaTest then runs
 * the programs for real).
 */
@ExtendWith(SeedExtension.class)
class FuzzPtxcheckTest {

    @Test
    void randomProgramsAssemble(@Seed long seed) {
        Device ptxcheck = TestDevices.require(new Device("ptxcheck", 0));
        List<FuzzHarness.Mismatch> found = FuzzHarness.campaign(seed, 20, FuzzHarness.on(Device.cpu()), FuzzHarness.on(ptxcheck), 0.0);
        assertTrue(found.isEmpty(), () -> found.size() + " programs misbehaved, first: " + found.getFirst());
    }
}
