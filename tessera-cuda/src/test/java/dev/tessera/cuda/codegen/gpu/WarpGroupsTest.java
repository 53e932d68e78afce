package dev.tessera.cuda.codegen.gpu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import dev.tessera.cuda.codegen.gpu.TensorCores.WarpGroups;
import dev.tessera.cuda.codegen.layout.DistributedLayout;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** The wgmma accumulator layout, element for element, against the D fragment of PTX's wgmma figure for m64nNk*. */
class WarpGroupsTest {

    @ParameterizedTest(name = "{0}x{1} on {2} warps")
    @CsvSource({"64, 8, 4", "64, 64, 4", "128, 128, 8", "128, 256, 8", "256, 128, 8", "128, 256, 16", "64, 256, 8", "64, 512, 4",
            "256, 256, 4", "128, 32, 16"})
    void accumulatorIsPtxsFragment(int m, int n, int warps) {
        WarpGroups g = WarpGroups.of(m, n, warps);
        DistributedLayout l = g.accumulator();
        int per = g.regsPerInstruction();
        assertEquals(m * n / (warps * 32), l.numRegs());
        for (int t = 0; t < warps * 32; t++) {
            int warp = t / 32, lane = t % 32, group = warp / 4, inGroup = warp % 4;
            int gn = group % g.gn(), gm = group / g.gn();
            for (int r = 0; r < l.numRegs(); r++) {
                int q = r / per, rr = r % per, ni = q % g.repN(), mi = q / g.repN();
                // PTX ISA, "Register fragment layout for accumulator matrix D" of wgmma .m64nNk16
                int row = 16 * inGroup + lane / 4 + 8 * (rr / 2 % 2), col = 8 * (rr / 4) + 2 * (lane % 4) + rr % 2;
                row += gm * g.groupRows() + mi * 64;
                col += gn * g.groupCols() + ni * g.instrN();
                assertEquals(row * n + col, element(l, r, lane, warp), "thread " + t + " register " + r + " of " + g);
            }
        }
    }

    @Test
    void shapesThatAreNotWholeWarpgroupsOf64RowsHaveNone() {
        assertNull(WarpGroups.of(32, 64, 4), "32 rows");
        assertNull(WarpGroups.of(128, 64, 2), "2 warps");
        assertNull(WarpGroups.of(128, 64, 6), "6 warps");
        assertNull(WarpGroups.of(64, 16, 16), "4 groups over 16 columns: 4 each");
        assertEquals(256, WarpGroups.of(64, 512, 4).instrN(), "at most 256 columns an instruction");
    }

    private static int element(DistributedLayout l, int reg, int lane, int warp) {
        int e = l.regPart(reg);
        for (int i = 0; i < 5; i++) if ((lane >> i & 1) != 0) e ^= l.laneBasis(i);
        for (int i = 0; i < l.warpBits(); i++) if ((warp >> i & 1) != 0) e ^= l.warpBasis(i);
        return e;
    }
}
