package dev.tessera.runtime;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import org.junit.jupiter.api.Test;

/** TESSERA_DUMP says what it cannot show instead of showing nothing. */
class DumpTest {
    @Test
    void unknownKindsListTheKnownOnes() {
        assertNull(Dump.unknownKinds(Dump.parse("ir, PTX,all")));
        assertEquals("tessera: TESSERA_DUMP kind 'bogus' is not known; the kinds are ir, passes, fusion, gpu, ptx, cubin, resources, all",
                Dump.unknownKinds(Dump.parse("ir,bogus")));
    }

    @Test
    void kindsOfAnotherBackendSaySo() {
        assertEquals("tessera: TESSERA_DUMP=ptx: PTX exists only for CUDA devices, and this kernel runs on cpu",
                Dump.otherBackendKinds(Dump.parse("ir,ptx"), "cpu"));
        assertNull(Dump.otherBackendKinds(Dump.parse("ir,ptx,gpu"), "cuda"));
        assertNull(Dump.otherBackendKinds(Dump.parse("all,fusion"), "cpu"));
    }
}
