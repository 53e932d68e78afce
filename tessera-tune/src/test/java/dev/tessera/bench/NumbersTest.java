package dev.tessera.bench;

import static org.junit.jupiter.api.Assertions.*;

import java.util.List;

import org.junit.jupiter.api.Test;

class NumbersTest {

    @Test
    void throughput() {
        // 1 GiB copied (read + write = 2 GiB) in 0.5 ms
        assertEquals(4294.967296, Throughput.gbps(2.0 * (1L << 30), 0.5), 1e-9);
        assertEquals(0.8, Throughput.gbps(2048, 0.00256), 0);
        // matmul 4096³ in 0.2 ms
        assertEquals(687.194767, Throughput.tflops(Throughput.matmulFlops(4096, 4096, 4096), 0.2), 1e-6);
        assertEquals(687194.767, Throughput.gflops(Throughput.matmulFlops(4096, 4096, 4096), 0.2), 1e-3);
        assertEquals(0.5, Throughput.msAtGbps(2.0 * (1L << 30), 4294.967296), 1e-12);
        assertEquals(0.2, Throughput.msAtTflops(Throughput.matmulFlops(4096, 4096, 4096), 687.194767), 1e-9);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Throughput.gbps(1, 0));
        assertTrue(e.getMessage().contains("> 0"));
        assertThrows(IllegalArgumentException.class, () -> Throughput.tflops(1, Double.NaN));
    }

    @Test
    void metrics() {
        assertEquals(80, Metric.gbps(n -> 8e3 * n).apply(1024, 1024 / 1e4), 1e-9);
        assertEquals("GB/s", Metric.gbps(n -> n).unit());
        assertEquals("GBps", Metric.gbps(n -> n).jsonKey());
        assertEquals("TFLOPs", Metric.tflops(n -> n).jsonKey());
        assertEquals("GFLOP/s", Metric.gflops(n -> n).unit());
        assertTrue(Metric.ms().isTime());
        assertEquals(3.5, Metric.ms().apply(7, 3.5));
        assertThrows(IllegalArgumentException.class, () -> new Metric(" ", "k", (x, ms) -> ms));
    }

    @Test
    void formatting() {
        assertEquals("4096", Fmt.number(4096));
        assertEquals("3549.2", Fmt.number(3549.2345));
        assertEquals("12.35", Fmt.number(12.3456));
        assertEquals("1.235", Fmt.number(1.23456));
        assertEquals("0.5", Fmt.number(0.5));
        assertEquals("0.01234", Fmt.number(0.012344));
        assertEquals("0.0001", Fmt.number(0.0001));
        assertEquals("2.560e-05", Fmt.number(2.56e-5));
        assertEquals("-", Fmt.number(Double.NaN));
        assertEquals("inf", Fmt.number(Double.POSITIVE_INFINITY));
        assertEquals("-2.5", Fmt.number(-2.5));
        assertEquals("0", Fmt.number(-0.0));
    }

    @Test
    void quantilesInterpolateLikeNumpy() {
        double[] s = {1, 2, 3, 4, 5};
        assertEquals(1, Stats.quantile(s, 0));
        assertEquals(5, Stats.quantile(s, 1));
        assertEquals(3, Stats.quantile(s, 0.5));
        assertEquals(1.8, Stats.quantile(s, 0.2), 1e-12);
        assertEquals(2.5, Stats.quantile(new double[] {1, 2, 3, 4}, 0.5), 1e-12);
        assertEquals(7, Stats.quantile(new double[] {7}, 0.3));
        assertThrows(IllegalArgumentException.class, () -> Stats.quantile(new double[0], 0.5));
        assertThrows(IllegalArgumentException.class, () -> Stats.quantile(s, 1.5));
        assertEquals(0, Stats.stdev(new double[] {3}));
    }

    @Test
    void benchResults() {
        BenchResult r = BenchResult.ofMs(2.5);
        assertEquals(2.5, r.medianMs());
        assertEquals(1, r.samples());
        assertNull(r.device());
        assertThrows(IllegalArgumentException.class, () -> BenchResult.ofMs(-1));
        assertThrows(IllegalArgumentException.class, () -> BenchResult.ofMs(Double.NaN));
        assertThrows(IllegalArgumentException.class, () -> BenchResult.fromSamples(new double[0], new double[0], 0, "d"));
        BenchResult q = BenchResult.fromSamples(new double[] {3, 1, 2}, new double[] {0.2, 0.8}, 4, "cpu");
        assertEquals("median 2 ms (mean 2, min 1, max 3, p20 1.4, p80 2.6; 3 samples)", q.toString());
        assertEquals(q, BenchResult.fromSamples(new double[] {1, 2, 3}, new double[] {0.2, 0.8}, 4, "cpu"));
        assertEquals(List.of(1.0, 2.0, 3.0), java.util.Arrays.stream(q.sortedSamplesMs()).boxed().toList());
    }

    @Test
    void csvQuoting() {
        assertEquals("a,\"b,c\",\"say \"\"hi\"\"\",\" pad\",\n", Csv.line(List.of("a", "b,c", "say \"hi\"", " pad", "")));
        assertEquals("", Csv.number(Double.NaN));
        assertEquals("1024", Csv.number(1024));
        assertEquals("0.1", Csv.number(0.1));
    }
}
