package dev.tessera.cuda.driver;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class PtxTargetTest {

    @ParameterizedTest(name = "driver {0} -> PTX {1}")
    @CsvSource({
            "12000, 8.0", "12010, 8.1", "12020, 8.2", "12030, 8.3", "12040, 8.4", "12050, 8.5",
            "12060, 8.5", "12070, 8.6", "12080, 8.7", "12090, 8.8", "13000, 9.0", "13010, 9.1",
            // patch levels do not matter, and drivers newer than the table get its newest ISA
            "12085, 8.7", "13020, 9.1", "14000, 9.1", "99990, 9.1",
    })
    void isaIsTheNewestTheDriverLoads(int driverVersion, String isa) {
        assertEquals(isa, PtxTarget.of(8, 0, driverVersion).version());
    }

    @ParameterizedTest(name = "cc {0}.{1} -> {2}")
    @CsvSource({"8, 0, sm_80", "8, 6, sm_86", "8, 9, sm_89", "9, 0, sm_90a", "10, 0, sm_100", "12, 0, sm_120"})
    void targetFollowsTheComputeCapability(int major, int minor, String arch) {
        assertEquals(arch, PtxTarget.of(major, minor, 13000).arch());
    }

    @Test
    void headerStartsAModule() {
        assertEquals(".version 9.0\n.target sm_90a\n.address_size 64\n", PtxTarget.of(9, 0, 13000).header());
        assertEquals(".version 8.4\n.target sm_80\n.address_size 64\n", PtxTarget.of(8, 0, 12040).header());
    }

    @Test
    void driversBeforeCuda12AreRefusedWithTheReason() {
        var e = assertThrows(IllegalArgumentException.class, () -> PtxTarget.of(8, 0, 11080));
        assertTrue(e.getMessage().contains("11.8") && e.getMessage().contains("12.0"), e.getMessage());
    }

    @Test
    void forDeviceUsesTheDevicesCapability() {
        var h100 = new CudaDevice(0, "NVIDIA H100 80GB HBM3", 9, 0, 132, 32, 1024, 65536, 65536,
                49152, 232448, 233472, 52428800, 85_000_000_000L, 1980000, 2619000, 5120);
        assertEquals(new PtxTarget(8, 8, "sm_90a"), PtxTarget.forDevice(h100, 12090));
        assertEquals(90, h100.computeCapability());
        assertTrue(h100.summary().startsWith("cuda:0 NVIDIA H100 80GB HBM3 (cc 9.0, 132 SMs,"), h100.summary());
    }
}
