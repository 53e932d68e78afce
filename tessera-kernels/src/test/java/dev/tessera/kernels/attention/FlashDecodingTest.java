package dev.tessera.kernels.attention;

import static org.junit.jupiter.api.Assertions.*;

import dev.tessera.kernels.attention.FlashDecoding.Cache;
import dev.tessera.kernels.attention.FlashDecoding.Config;
import dev.tessera.kernels.attention.FlashDecoding.Options;
import dev.tessera.kernels.attention.FlashDecoding.Workspace;
import dev.tessera.runtime.Device;
import dev.tessera.runtime.Tensor;
import dev.tessera.testing.Seed;
import dev.tessera.testing.SeedExtension;
import dev.tessera.testing.TestDevices;
import dev.tessera.types.DType;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.SplittableRandom;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Flash-decoding (output and log-sum-exp) against naive attention computed here in float64 from
 * the tensors' own rounded inputs, for every option: contiguous caches in both layouts with and
 * without per-sequence lengths, paged caches with shuffled pages (a page holding whole blocks, and
 * blocks spanning pages), GQA with the group's rows unrolled and on {@code dot}, Nq = 1 and Nq > 1
 * causal (with a sequence shorter than Nq, whose first queries see no key), one run (the output
 * written directly) and many (some of them past a sequence's end, so empty); random seeded
 * inputs, lengths that are not multiples of the blocks, outputs poisoned. Five kernels of the
 * split kernel and three of the combine: the ptxcheck device assembles each.
 */
@ExtendWith(SeedExtension.class)
class FlashDecodingTest {

    /**
     * One problem: q (B, Hq, Nq, D); a cache of {@code capacity} positions a sequence (paged: in
     * pages of {@code page}, 0 for contiguous, (B, N, H, D) in memory when {@code bnhd}); the
     * sequences' lengths (null: all of the capacity); the options (splits and blocking given).
     */
    record Case(String name, DType dtype, int b, int hq, int hkv, int nq, int d, int capacity, int[] lengths, int page, boolean bnhd,
                Options options) {
        @Override
        public String toString() { return name + " " + dtype; }

        int length(int seq) { return lengths == null ? capacity : lengths[seq]; }
    }

    static Stream<Arguments> cases() {
        List<Case> cases = List.of(
                new Case("contiguous (B, N, H, D), GQA 4:1 rows unrolled, lengths, 5 runs", DType.F16, 3, 8, 2, 1, 64, 203, new int[] {203, 77, 1},
                        0, true, Options.DEFAULT.withSplits(5).withConfig(new Config(16, 4, 1, false))),
                new Case("contiguous, causal Nq=4 GQA 4:1 on dot, a sequence shorter than Nq, one run", DType.BF16, 2, 4, 1, 4, 32, 90, new int[] {90, 2},
                        0, false, Options.CAUSAL.withSplits(1).withConfig(new Config(16, 1, 2, true))),
                new Case("paged by 16, blocks of 32 across pages, causal Nq=3 GQA 2:1 rows unrolled, 4 runs", DType.F16, 3, 4, 2, 3, 32, 128,
                        new int[] {100, 37, 5}, 16, false, Options.CAUSAL.withSplits(4).withConfig(new Config(32, 4, 1, false))),
                new Case("paged by 32 holding blocks of 16, GQA 8:1 Nq=2 on dot, runs chosen, scale 0.2", DType.BF16, 2, 8, 1, 2, 64, 160,
                        new int[] {150, 64}, 32, false, Options.DEFAULT.withScale(0.2).withConfig(new Config(16, 1, 2, true))),
                new Case("contiguous, one head a group padded to 16 rows on dot, 3 runs", DType.F16, 1, 2, 2, 1, 16, 50, null,
                        0, false, Options.DEFAULT.withSplits(3).withConfig(new Config(16, 1, 1, true))));
        return TestDevices.all().flatMap(dev -> cases.stream().map(c -> Arguments.of(dev, c)));
    }

    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("cases")
    void matchesFloat64Attention(Device device, Case c, @Seed long seed) {
        Device dev = TestDevices.require(device);
        try (Inputs in = new Inputs(c, dev, seed); Workspace ws = Workspace.of(in.q, in.cache, c.options());
             Tensor out = Tensor.full(c.dtype(), Double.NaN, dev, c.b(), c.hq(), c.nq(), c.d())) {
            ws.lse().fill(Double.NaN);
            FlashDecoding.attend(in.q, in.cache, out, c.options(), ws);
            Reference ref = new Reference(c, in);
            double eps = c.dtype() == DType.BF16 ? 0x1p-8 : 0x1p-11;   // a rounding of P (on dot) and of the output
            close(ref.out, ref.outMag, out.toDoubleArray(), 4 * eps, c + " output, " + ws.splits() + " runs");
            close(ref.lse, ref.lseMag, ws.lse().toDoubleArray(), 1e-5, c + " log-sum-exp, " + ws.splits() + " runs");
        }
    }

    @Test
    void theShortFormChoosesRunsAndAWorkspaceIsReused(@Seed long seed) {
        Device cpu = Device.cpu();
        Case c = new Case("api", DType.F16, 2, 4, 2, 1, 32, 300, new int[] {300, 140}, 16, false, Options.DEFAULT);
        try (Inputs in = new Inputs(c, cpu, seed); Tensor out = FlashDecoding.attend(in.q, in.cache, c.options())) {
            Reference ref = new Reference(c, in);
            close(ref.out, ref.outMag, out.toDoubleArray(), 4 * 0x1p-11, "the short form");
            try (Workspace ws = Workspace.of(in.q, in.cache, c.options())) {
                // a paged cache holds whole pages: its table's entries times the page, not the 300 asked for
                int capacity = Math.toIntExact(in.cache.blockTable().shape(1)) * c.page();
                assertEquals(FlashDecoding.splitsFor(4, capacity, 32, FlashDecoding.multiprocessors(cpu)), ws.splits(), "runs chosen for the device");
                for (int step = 1; step <= 2; step++) {
                    try (Tensor again = Tensor.full(DType.F16, Double.NaN, cpu, 2, 4, 1, 32)) {
                        FlashDecoding.attend(in.q, in.cache, again, c.options(), ws);
                        close(ref.out, ref.outMag, again.toDoubleArray(), 4 * 0x1p-11, "step " + step + " with one workspace");
                    }
                }
            }
        }
    }

    @Test
    void runsFillTheMultiprocessorsAndKeepBlocksEach() {
        // H200 (132 multiprocessors), Hkv 8, blocks of 64 keys
        assertEquals(64, FlashDecoding.splitsFor(8, 16384, 64, 132), "batch 1: 8 programs a multiprocessor would take 132 runs, capped");
        assertEquals(32, FlashDecoding.splitsFor(8, 4096, 64, 132), "batch 1 at 4k: two blocks a run at least");
        assertEquals(5, FlashDecoding.splitsFor(8 * 32, 4096, 64, 132), "batch 32: 256 programs, five runs for 1056");
        assertEquals(2, FlashDecoding.splitsFor(8 * 128, 65536, 64, 132), "batch 128: 1024 programs, two runs for 1056");
        assertEquals(1, FlashDecoding.splitsFor(8 * 256, 65536, 64, 132), "the batch's heads fill the device by themselves");
        assertEquals(1, FlashDecoding.splitsFor(8, 100, 64, 132), "a cache of two blocks is not split");
    }

    @Test
    void badInputsAreNamed() {
        Device cpu = Device.cpu();
        try (Tensor q = Tensor.zeros(DType.F16, cpu, 2, 4, 1, 32); Tensor k = Tensor.zeros(DType.F16, cpu, 2, 3, 40, 32);
             Tensor kv = Tensor.zeros(DType.F16, cpu, 2, 2, 40, 32); Tensor f32 = Tensor.zeros(DType.F32, cpu, 2, 2, 40, 32);
             Tensor pages = Tensor.zeros(DType.F16, cpu, 10, 12, 2, 32); Tensor table = Tensor.zeros(DType.I32, cpu, 2, 4);
             Tensor lengths = Tensor.zeros(DType.I32, cpu, 2); Tensor longLengths = Tensor.zeros(DType.I64, cpu, 2);
             Tensor many = Tensor.zeros(DType.F16, cpu, 1, 64, 17, 32); Tensor kv1 = Tensor.zeros(DType.F16, cpu, 1, 2, 40, 32)) {
            assertMessage("4 query heads cannot share 3", () -> FlashDecoding.attend(q, Cache.of(k, k), Options.DEFAULT));
            assertMessage("q's dtype", () -> FlashDecoding.attend(q, Cache.of(f32, f32), Options.DEFAULT));
            assertMessage("power of 2 of positions", () -> FlashDecoding.attend(q, Cache.paged(pages, pages, table, lengths), Options.DEFAULT));
            assertMessage("lengths must be a contiguous int32 [2]", () -> FlashDecoding.attend(q, Cache.of(kv, kv, longLengths), Options.DEFAULT));
            assertMessage("FlashAttention.forward", () -> FlashDecoding.attend(many, Cache.of(kv1, kv1), Options.DEFAULT));
            assertMessage("block table and the sequences' lengths", () -> Cache.paged(pages, pages, table, null));
            try (Tensor out = Tensor.zeros(DType.BF16, cpu, 2, 4, 1, 32); Workspace ws = Workspace.of(q, Cache.of(kv, kv), Options.DEFAULT)) {
                assertMessage("out must be a f16 [2, 4, 1, 32]", () -> FlashDecoding.attend(q, Cache.of(kv, kv), out, Options.DEFAULT, ws));
            }
        }
        assertMessage("splits 65", () -> Options.DEFAULT.withSplits(65));
        assertMessage("power of 2 of at least 16", () -> new Config(24, 4, 1, false));
    }

    static void assertMessage(String part, org.junit.jupiter.api.function.Executable e) {
        IllegalArgumentException x = assertThrows(IllegalArgumentException.class, e);
        assertTrue(x.getMessage().contains(part), () -> "expected '" + part + "' in: " + x.getMessage());
    }

    // ------------------------------------------------------------------ inputs and the reference

    /** Random normal q and cache; a paged cache's pages shuffled, its table's unused entries pointing far outside the pages. */
    static final class Inputs implements AutoCloseable {
        final Tensor q, k, v, table, lengths;
        final Cache cache;
        final int[] tableValues;

        Inputs(Case c, Device dev, long seed) {
            q = Tensor.randn(c.dtype(), seed, dev, c.b(), c.hq(), c.nq(), c.d());
            lengths = c.lengths() == null ? null : Tensor.of(c.lengths(), dev, c.b());
            if (c.page() == 0) {
                k = cacheTensor(c, dev, seed + 1);
                v = cacheTensor(c, dev, seed + 2);
                table = null;
                tableValues = null;
                cache = Cache.of(k, v, lengths);
                return;
            }
            int blocks = c.capacity() / c.page(), used = 0;
            for (int s = 0; s < c.b(); s++) used += Math.ceilDiv(c.length(s), c.page());
            int numPages = used + 3;   // a few pages no sequence holds
            List<Integer> order = new ArrayList<>();
            for (int p = 0; p < numPages; p++) order.add(p);
            Collections.shuffle(order, new java.util.Random(seed));
            tableValues = new int[c.b() * blocks];
            java.util.Arrays.fill(tableValues, 1 << 28);   // read by mistake, an entry past a sequence's pages faults on the CPU
            int next = 0;
            for (int s = 0; s < c.b(); s++) {
                for (int j = 0; j < Math.ceilDiv(c.length(s), c.page()); j++) tableValues[s * blocks + j] = order.get(next++);
            }
            k = Tensor.randn(c.dtype(), seed + 1, dev, numPages, c.page(), c.hkv(), c.d());
            v = Tensor.randn(c.dtype(), seed + 2, dev, numPages, c.page(), c.hkv(), c.d());
            table = Tensor.of(tableValues, dev, c.b(), blocks);
            cache = Cache.paged(k, v, table, lengths);
        }

        private static Tensor cacheTensor(Case c, Device dev, long seed) {
            if (!c.bnhd()) return Tensor.randn(c.dtype(), seed, dev, c.b(), c.hkv(), c.capacity(), c.d());
            try (Tensor t = Tensor.randn(c.dtype(), seed, dev, c.b(), c.capacity(), c.hkv(), c.d())) {
                return t.transpose(1, 2);
            }
        }

        @Override
        public void close() {
            for (Tensor t : new Tensor[] {q, k, v, table, lengths}) if (t != null) t.close();
        }
    }

    /** |out − ref| ≤ tol · max(1, mag) elementwise, mag the sum of the magnitudes of the terms that make ref; -inf only where ref is. */
    static void close(double[] ref, double[] mag, double[] out, double tol, String what) {
        assertEquals(ref.length, out.length, what);
        for (int i = 0; i < ref.length; i++) {
            double bound = tol * Math.max(1, mag[i]);
            boolean ok = Double.isInfinite(ref[i]) ? out[i] == ref[i] : Math.abs(out[i] - ref[i]) <= bound;
            if (!ok) fail(what + ": element " + i + " is " + out[i] + ", expected " + ref[i] + " ± " + bound);
        }
    }

    /** Naive attention in float64 over each sequence's positions, read from the cache as its layout and table say. */
    static final class Reference {
        final double[] out, outMag, lse, lseMag;

        Reference(Case c, Inputs in) {
            int b = c.b(), hq = c.hq(), nq = c.nq(), d = c.d(), group = hq / c.hkv();
            double scale = Double.isNaN(c.options().scale()) ? 1 / Math.sqrt(d) : c.options().scale();
            double[] q = in.q.toDoubleArray(), k = in.k.toDoubleArray(), v = in.v.toDoubleArray();
            out = new double[b * hq * nq * d];
            outMag = new double[out.length];
            lse = new double[b * hq * nq];
            lseMag = new double[lse.length];
            for (int s = 0; s < b; s++) {
                int len = c.length(s);
                for (int h = 0; h < hq; h++) {
                    int kvh = h / group;
                    for (int i = 0; i < nq; i++) {
                        int row = (s * hq + h) * nq + i;
                        double[] score = new double[len];
                        double max = Double.NEGATIVE_INFINITY;
                        for (int j = 0; j < len; j++) {
                            score[j] = Double.NEGATIVE_INFINITY;
                            if (c.options().causal() && j > i + len - nq) continue;
                            int at = position(c, in, s, kvh, j);
                            double dotProduct = 0;
                            for (int x = 0; x < d; x++) dotProduct += q[row * d + x] * k[at + x];
                            score[j] = dotProduct * scale;
                            max = Math.max(max, score[j]);
                        }
                        lse[row] = Double.NEGATIVE_INFINITY;
                        if (max == Double.NEGATIVE_INFINITY) continue;   // a query that sees no key: zeros
                        double den = 0;
                        for (int j = 0; j < len; j++) den += Math.exp(score[j] - max);
                        lse[row] = max + Math.log(den);
                        lseMag[row] = Math.abs(lse[row]);
                        for (int j = 0; j < len; j++) {
                            double p = Math.exp(score[j] - max) / den;
                            if (p == 0) continue;
                            int at = position(c, in, s, kvh, j);
                            for (int x = 0; x < d; x++) {
                                out[row * d + x] += p * v[at + x];
                                outMag[row * d + x] += p * Math.abs(v[at + x]);
                            }
                        }
                    }
                }
            }
        }

        /** Where key/value head kvh of sequence s at position j starts in the arrays the cache tensors read back as (logical order). */
        private static int position(Case c, Inputs in, int s, int kvh, int j) {
            if (c.page() == 0) return ((s * c.hkv() + kvh) * c.capacity() + j) * c.d();
            int page = in.tableValues[s * (c.capacity() / c.page()) + j / c.page()];
            return ((page * c.page() + j % c.page()) * c.hkv() + kvh) * c.d();
        }
    }
}
