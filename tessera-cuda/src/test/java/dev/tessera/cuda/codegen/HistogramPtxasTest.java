package dev.tessera.cuda.codegen;

import static dev.tessera.cuda.codegen.Kernels.*;
import static dev.tessera.lang.TL.*;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.tessera.lang.Constexpr;
import dev.tessera.lang.Kernel;
import dev.tessera.lang.Tile;
import dev.tessera.types.DType;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The size of a histogram's code (issue 14): composed as an [n, bins] compare-and-sum, one over
 * 4096 values came to 920 KB of PTX and 25 s of ptxas per architecture; as shared-memory counters
 * it is a few instructions per element a thread holds, whatever the number of bins (10 KB and
 * about 12 ms here). The bounds leave room for a busy machine and stay far from the composed form's.
 */
class HistogramPtxasTest {
    static final int MAX_PTX_CHARS = 64 * 1024;
    static final double MAX_PTXAS_MILLIS = 500;

    @Kernel
    static void histogramOf(Tile x, Tile out, Tile n, @Constexpr int BLOCK, @Constexpr int BINS) {
        Tile offs = arange(0, BLOCK);
        store(out.add(arange(0, BINS)), histogram(load(x.add(offs), offs.lt(n), -1L), BINS));
    }

    @ParameterizedTest(name = "{0} values, {1} bins, {2} warps, sm_{3}0")
    @CsvSource({"4096, 256, 4, 8", "4096, 256, 4, 9", "4096, 1024, 8, 9", "4096, 1, 4, 9", "64, 1024, 4, 8"})
    void staysSmall(int block, int bins, int warps, int major) throws Exception {
        assumeTrue(Ptxas.path().isPresent(), Ptxas.missingReason());
        Target target = Ptxas.target(major, 0);
        PtxModule m = ptx(ir(HistogramPtxasTest.class, "histogramOf", args(ptr(DType.I32), ptr(DType.I32), i32()), "BLOCK", block, "BINS", bins),
                warps, target);
        long start = System.nanoTime();
        Ptxas.Report r = Ptxas.assemble(m.ptx(), target.ptx().arch());
        long wallMillis = (System.nanoTime() - start) / 1_000_000;
        Dumps.write("histogram_" + block + "_" + bins + "_w" + warps + "_sm" + major + "0", m.ptx(), r.output());
        assertTrue(r.ok(), r::output);
        assertTrue(m.ptx().length() < MAX_PTX_CHARS, () -> m.ptx().length() + " characters of PTX, over " + MAX_PTX_CHARS);
        // ptxas's own figure leaves out starting the process (and holds where an earlier test assembled the same text)
        Matcher reported = Pattern.compile("Compile time = ([0-9.]+) ms").matcher(r.output());
        double millis = reported.find() ? Double.parseDouble(reported.group(1)) : wallMillis;
        assertTrue(millis < MAX_PTXAS_MILLIS, () -> "ptxas took " + millis + " ms:\n" + r.output());
        assertEquals(0, r.stackFrame(), r::output);
    }
}
