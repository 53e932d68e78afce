package dev.tessera.kernels.attention;

import static org.junit.jupiter.api.Assertions.*;

import dev.tessera.autotune.Autotuner;
import dev.tessera.autotune.TuningCache;
import dev.tessera.bench.BenchOptions;
import dev.tessera.bench.Benchmarker;
import dev.tessera.bench.Progress;
import dev.tessera.kernels.attention.FlashAttention.Config;
import dev.tessera.kernels.attention.FlashAttention.Options;
import dev.tessera.runtime.Device;
import dev.tessera.runtime.Tensor;
import dev.tessera.testing.Seed;
import dev.tessera.testing.SeedExtension;
import dev.tessera.testing.TestDevices;
import dev.tessera.types.DType;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Flash attention forward (output and log-sum-exp) and backward (dQ, dK, dV) against naive
 * attention computed here in float64 from the tensors' own rounded inputs, for every option: full
 * and causal (Nq = Nk, Nq < Nk, and Nq > Nk, where the first queries see no key), GQA and MQA, a
 * sliding window, both layouts, dQ by atomics and deterministically; on random seeded inputs whose lengths are not multiples of the
 * blocks, outputs poisoned. Small blocks keep the CPU time low and still give every mask several
 * blocks to cut.
 */
@ExtendWith(SeedExtension.class)
class FlashAttentionTest {

    /** One problem: q (B, Hq, Nq, D), k and v (B, Hkv, Nk, D), (B, N, H, D) in memory when {@code bnhd}. */
    record Case(String name, DType dtype, int b, int hq, int hkv, int nq, int nk, int d, boolean bnhd, Options options) {
        @Override
        public String toString() { return name + " " + dtype; }
    }

    static final Config FWD = new Config(32, 16, 4, 2), BWD = new Config(16, 32, 4, 2), DQ = new Config(32, 16, 4, 2);

    static Stream<Arguments> cases() {
        // dQ by atomics where not said otherwise: the default (deterministic) is in the last two variants and the defaults below
        Options full = Options.DEFAULT.withConfigs(FWD, BWD, DQ).withDeterministic(false), causal = full.withCausal(true);
        List<Case> variants = List.of(
                new Case("full, dQ by atomics", DType.F16, 2, 2, 2, 77, 77, 32, false, full),
                new Case("causal GQA 4:2 (B, N, H, D), dQ by atomics", DType.BF16, 2, 4, 2, 45, 83, 16, true, causal),
                new Case("causal MQA, Nq > Nk, deterministic dQ", DType.F16, 1, 3, 1, 70, 37, 32, false, causal.withDeterministic(true)),
                new Case("sliding window 20, deterministic dQ", DType.F16, 1, 2, 1, 90, 90, 16, true, causal.withWindow(20).withDeterministic(true)));
        // kernels the variants above already compile, or (the device's own blockings: BM 128 on a GPU) that
        // FlashAttentionPtxasTest assembles: the ptxcheck device, which runs ptxas on every compile, leaves them out
        List<Case> more = List.of(
                new Case("full, Nq != Nk, scale 0.3", DType.BF16, 1, 3, 3, 40, 71, 16, false, full.withScale(0.3)),
                new Case("causal D=64, default blocking", DType.F16, 1, 2, 2, 200, 200, 64, false, Options.CAUSAL),
                new Case("causal D=128, default blocking and dQ", DType.BF16, 1, 2, 1, 150, 190, 128, true, Options.CAUSAL));
        return TestDevices.all().flatMap(dev -> Stream.concat(variants.stream(), dev.backend().equals("ptxcheck") ? Stream.empty() : more.stream())
                .map(c -> Arguments.of(dev, c)));
    }

    /**
     * Both passes, with the blocks they walk through pointers and through tensor descriptors (TMA
     * into wgmma's slots on Hopper: the forward pass's k and v, the backward's q and dO, dQ's k and v).
     */
    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("cases")
    void forwardAndBackwardMatchFloat64(Device device, Case c, @Seed long seed) {
        Device dev = TestDevices.require(device);
        for (boolean descriptors : new boolean[] {false, true}) {
            String how = c + (descriptors ? " through descriptors" : "");
            try (Tensor q = input(c, dev, seed, c.hq(), c.nq()); Tensor k = input(c, dev, seed + 1, c.hkv(), c.nk());
                 Tensor v = input(c, dev, seed + 2, c.hkv(), c.nk()); Tensor dOut = input(c, dev, seed + 3, c.hq(), c.nq());
                 FlashAttention.Context ctx = new FlashAttention.Context(q, k, v, poisoned(q), Tensor.full(DType.F32, Double.NaN, dev, c.b(), c.hq(), c.nq()),
                         c.options());
                 FlashAttention.Gradients g = new FlashAttention.Gradients(poisoned(q), poisoned(k), poisoned(v));
                 FlashAttention.Workspace ws = FlashAttention.Workspace.of(ctx)) {
                if (descriptors) FlashAttention.forwardThroughDescriptors(q, k, v, ctx.out(), ctx.lse(), c.options());
                else FlashAttention.forwardThroughPointers(q, k, v, ctx.out(), ctx.lse(), c.options());
                Reference ref = new Reference(c, q.toDoubleArray(), k.toDoubleArray(), v.toDoubleArray(), dOut.toDoubleArray());
                double eps = c.dtype() == DType.BF16 ? 0x1p-8 : 0x1p-11;   // a rounding of P or dS to the inputs' dtype, and of the output
                close(ref.out, ref.outMag, ctx.out().toDoubleArray(), 4 * eps, how + " output");
                close(ref.lse, ref.lseMag, ctx.lse().toDoubleArray(), 1e-5, how + " log-sum-exp");
                if (descriptors) FlashAttention.backwardThroughDescriptors(ctx, dOut, g.dq(), g.dk(), g.dv(), ws);
                else FlashAttention.backwardThroughPointers(ctx, dOut, g.dq(), g.dk(), g.dv(), ws);
                close(ref.dq, ref.dqMag, g.dq().toDoubleArray(), 8 * eps, how + " dq");
                close(ref.dk, ref.dkMag, g.dk().toDoubleArray(), 8 * eps, how + " dk");
                close(ref.dv, ref.dvMag, g.dv().toDoubleArray(), 8 * eps, how + " dv");
            }
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("dev.tessera.testing.TestDevices#all")
    void theContextApiAllocatesInTheInputsLayout(Device device, @Seed long seed) {
        Device dev = TestDevices.require(device);
        Case c = new Case("api", DType.F16, 1, 2, 2, 33, 33, 32, true, Options.DEFAULT.withConfigs(FWD, BWD, DQ));
        try (Tensor q = input(c, dev, seed, 2, 33); Tensor k = input(c, dev, seed + 1, 2, 33); Tensor v = input(c, dev, seed + 2, 2, 33);
             FlashAttention.Context ctx = FlashAttention.forward(q, k, v, c.options())) {
            assertTrue(ctx.out().stride(1) < ctx.out().stride(2), "a (B, N, H, D) q gives a (B, N, H, D) output: " + java.util.Arrays.toString(ctx.out().strides()));
            try (Tensor dOut = input(c, dev, seed + 3, 2, 33); FlashAttention.Gradients g = FlashAttention.backward(ctx, dOut)) {
                for (Tensor[] pair : new Tensor[][] {{g.dq(), q}, {g.dk(), k}, {g.dv(), v}}) {
                    assertArrayEquals(pair[1].strides(), pair[0].strides(), "a gradient is laid out as its input");
                }
                Reference ref = new Reference(c, q.toDoubleArray(), k.toDoubleArray(), v.toDoubleArray(), dOut.toDoubleArray());
                close(ref.out, ref.outMag, ctx.out().toDoubleArray(), 4 * 0x1p-11, "api output");
                close(ref.dk, ref.dkMag, g.dk().toDoubleArray(), 8 * 0x1p-11, "api dk");
                close(ref.dq, ref.dqMag, g.dq().toDoubleArray(), 8 * 0x1p-11, "api dq");
                // a workspace reused: each pass leaves dQ's f32 sums zero for the next
                try (FlashAttention.Workspace ws = FlashAttention.Workspace.of(ctx)) {
                    for (int pass = 1; pass <= 2; pass++) {
                        try (Tensor dq = poisoned(q)) {
                            FlashAttention.backward(ctx, dOut, dq, g.dk(), g.dv(), ws);
                            close(ref.dq, ref.dqMag, dq.toDoubleArray(), 8 * 0x1p-11, "dq, pass " + pass + " with one workspace");
                        }
                    }
                }
            }
        }
    }

    /**
     * The forward pass in both orders, whichever the device would choose: FlashAttention-3's (each
     * block's softmax beside the previous block's P·V, P carried between steps) and 2's. Causal with a
     * sliding window and Nq > Nk, so that some query blocks see one key block (the first block's P
     * and the last block's P·V are the same block), some none, and the others cut blocks.
     */
    @ParameterizedTest(name = "{0}")
    @MethodSource("dev.tessera.testing.TestDevices#all")
    void bothOrdersOfTheForwardPassMatchFloat64(Device device, @Seed long seed) {
        Device dev = TestDevices.require(device);
        for (Options options : List.of(Options.CAUSAL.withConfigs(FWD, BWD, DQ), Options.CAUSAL.withWindow(24).withConfigs(FWD, BWD, DQ))) {
            Case c = new Case("orders", DType.BF16, 1, 2, 1, 75, 53, 16, false, options);
            try (Tensor q = input(c, dev, seed, 2, 75); Tensor k = input(c, dev, seed + 1, 1, 53); Tensor v = input(c, dev, seed + 2, 1, 53)) {
                Reference ref = new Reference(c, q.toDoubleArray(), k.toDoubleArray(), v.toDoubleArray(), new double[q.toDoubleArray().length]);
                for (boolean overlap : new boolean[] {false, true}) {
                    String how = (overlap ? "FlashAttention-3's order" : "FlashAttention-2's order") + (options.window() > 0 ? ", window" : "");
                    try (Tensor out = poisoned(q); Tensor lse = Tensor.full(DType.F32, Double.NaN, dev, 1, 2, 75)) {
                        FlashAttention.forward(q, k, v, out, lse, options, overlap);
                        close(ref.out, ref.outMag, out.toDoubleArray(), 4 * 0x1p-8, how + " output");
                        close(ref.lse, ref.lseMag, lse.toDoubleArray(), 1e-5, how + " log-sum-exp");
                    }
                }
            }
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("dev.tessera.testing.TestDevices#all")
    void theTunedForwardPassMatchesTheFixedOne(Device device, @Seed long seed) {
        Device dev = TestDevices.require(device);
        Case c = new Case("tuned", DType.F16, 1, 2, 1, 50, 70, 16, false, Options.CAUSAL);
        // two candidates, so the test compiles two specializations and times them briefly
        Autotuner tuner = FlashAttention.FORWARD_TUNER.toBuilder().replaceConfigs(List.of(FWD.toTuned(), new Config(16, 32, 2, 1).toTuned()))
                .cache(TuningCache.disabled()).progress(Progress.Mode.NONE)
                .benchmarker(Benchmarker.of(BenchOptions.defaults().withFlushCache(false).withFixedCounts(1, 2)))
                .build();
        try (Tensor q = input(c, dev, seed, 2, 50); Tensor k = input(c, dev, seed + 1, 1, 70); Tensor v = input(c, dev, seed + 2, 1, 70);
             Tensor out = poisoned(q); Tensor lse = Tensor.full(DType.F32, Double.NaN, dev, 1, 2, 50)) {
            FlashAttention.forwardTuned(tuner, q, k, v, out, lse, c.options());
            Reference ref = new Reference(c, q.toDoubleArray(), k.toDoubleArray(), v.toDoubleArray(), new double[q.toDoubleArray().length]);
            close(ref.out, ref.outMag, out.toDoubleArray(), 4 * 0x1p-11, "tuned output");
            close(ref.lse, ref.lseMag, lse.toDoubleArray(), 1e-5, "tuned log-sum-exp");
        }
    }

    @Test
    void badInputsAreNamed() {
        Device cpu = new Device("cpu", 0);
        try (Tensor q = Tensor.zeros(DType.F16, cpu, 1, 4, 8, 32); Tensor k3 = Tensor.zeros(DType.F16, cpu, 1, 3, 8, 32);
             Tensor f32 = Tensor.zeros(DType.F32, cpu, 1, 4, 8, 32); Tensor d48 = Tensor.zeros(DType.F16, cpu, 1, 4, 8, 48);
             Tensor rank3 = Tensor.zeros(DType.F16, cpu, 4, 8, 32)) {
            assertMessage("4 query heads cannot share 3", () -> FlashAttention.forward(q, k3, k3));
            assertMessage("f16 or bf16", () -> FlashAttention.forward(f32, f32, f32));
            assertMessage("head dimension 48", () -> FlashAttention.forward(d48, d48, d48));
            assertMessage("(B, H, N, D)", () -> FlashAttention.forward(rank3, rank3, rank3));
            try (Tensor strided = q.transpose(2, 3)) {
                assertMessage("contiguous last", () -> FlashAttention.forward(strided, strided, strided));
            }
        }
        assertMessage("sliding window of -1", () -> Options.DEFAULT.withWindow(-1));
        assertMessage("scale must be positive and finite (or NaN for 1/√D), not -0.125", () -> Options.DEFAULT.withScale(-0.125));
        assertMessage("not Infinity", () -> FlashDecoding.Options.DEFAULT.withScale(Double.POSITIVE_INFINITY));
        assertMessage("powers of 2", () -> new Config(48, 64, 4, 2));
    }

    static void assertMessage(String part, org.junit.jupiter.api.function.Executable e) {
        IllegalArgumentException x = assertThrows(IllegalArgumentException.class, e);
        assertTrue(x.getMessage().contains(part), () -> "expected '" + part + "' in: " + x.getMessage());
    }

    // ------------------------------------------------------------------ inputs and the reference

    /** Random normal (B, H, N, D) values, stored as (B, N, H, D) when the case says so. */
    static Tensor input(Case c, Device dev, long seed, int heads, int n) {
        if (!c.bnhd()) return Tensor.randn(c.dtype(), seed, dev, c.b(), heads, n, c.d());
        try (Tensor t = Tensor.randn(c.dtype(), seed, dev, c.b(), n, heads, c.d())) {
            return t.transpose(1, 2);
        }
    }

    /** A tensor like {@code like} (shape, dtype, layout) full of NaN. */
    static Tensor poisoned(Tensor like) {
        long[] s = like.shape();
        if (like.stride(1) > like.stride(2)) return Tensor.full(like.dtype(), Double.NaN, like.device(), s);
        try (Tensor bnhd = Tensor.full(like.dtype(), Double.NaN, like.device(), s[0], s[2], s[1], s[3])) {
            return bnhd.transpose(1, 2);
        }
    }

    /** |out − ref| ≤ tol · max(1, mag) elementwise, mag the sum of the magnitudes of the terms that make ref. */
    static void close(double[] ref, double[] mag, double[] out, double tol, String what) {
        assertEquals(ref.length, out.length, what);
        for (int i = 0; i < ref.length; i++) {
            double bound = tol * Math.max(1, mag[i]);
            boolean ok = Double.isInfinite(ref[i]) ? out[i] == ref[i] : Math.abs(out[i] - ref[i]) <= bound;
            if (!ok) fail(what + ": element " + i + " is " + out[i] + ", expected " + ref[i] + " ± " + bound);
        }
    }

    /** Naive attention in float64: S = scale·QKᵀ masked, P = softmax(S), O = PV; the gradients of O for dO. */
    static final class Reference {
        final double[] out, outMag, lse, lseMag, dq, dqMag, dk, dkMag, dv, dvMag;

        Reference(Case c, double[] q, double[] k, double[] v, double[] dO) {
            int b = c.b(), hq = c.hq(), nq = c.nq(), nk = c.nk(), d = c.d(), group = hq / c.hkv(), w = c.options().window();
            double scale = Double.isNaN(c.options().scale()) ? 1 / Math.sqrt(d) : c.options().scale();
            out = new double[b * hq * nq * d];
            outMag = new double[out.length];
            lse = new double[b * hq * nq];
            lseMag = new double[lse.length];
            dq = new double[out.length];
            dqMag = new double[out.length];
            dk = new double[b * c.hkv() * nk * d];
            dkMag = new double[dk.length];
            dv = new double[dk.length];
            dvMag = new double[dk.length];
            for (int bi = 0; bi < b; bi++) {
                for (int h = 0; h < hq; h++) {
                    int qo = (bi * hq + h) * nq * d, ko = (bi * c.hkv() + h / group) * nk * d, lo = (bi * hq + h) * nq;
                    for (int i = 0; i < nq; i++) {
                        double[] s = new double[nk], p = new double[nk], dp = new double[nk];
                        double max = Double.NEGATIVE_INFINITY;
                        for (int j = 0; j < nk; j++) {
                            boolean seen = !c.options().causal() || j <= i + nk - nq;
                            if (w > 0) seen &= j > i + nk - nq - w;
                            if (!seen) { s[j] = Double.NEGATIVE_INFINITY; continue; }
                            for (int x = 0; x < d; x++) s[j] += q[qo + i * d + x] * k[ko + j * d + x];
                            s[j] *= scale;
                            max = Math.max(max, s[j]);
                        }
                        lse[lo + i] = Double.NEGATIVE_INFINITY;
                        if (max == Double.NEGATIVE_INFINITY) continue;   // a query that sees no key: zeros, and no gradient
                        double den = 0;
                        for (int j = 0; j < nk; j++) den += Math.exp(s[j] - max);
                        lse[lo + i] = max + Math.log(den);
                        lseMag[lo + i] = Math.abs(lse[lo + i]);
                        double delta = 0, deltaMag = 0;
                        for (int j = 0; j < nk; j++) {
                            p[j] = Math.exp(s[j] - max) / den;
                            for (int x = 0; x < d; x++) {
                                out[qo + i * d + x] += p[j] * v[ko + j * d + x];
                                outMag[qo + i * d + x] += p[j] * Math.abs(v[ko + j * d + x]);
                                dp[j] += dO[qo + i * d + x] * v[ko + j * d + x];
                            }
                        }
                        for (int x = 0; x < d; x++) {
                            delta += dO[qo + i * d + x] * out[qo + i * d + x];
                            deltaMag += Math.abs(dO[qo + i * d + x] * out[qo + i * d + x]);
                        }
                        for (int j = 0; j < nk; j++) {
                            if (p[j] == 0) continue;
                            double ds = p[j] * (dp[j] - delta), dsMag = p[j] * (Math.abs(dp[j]) + deltaMag);
                            for (int x = 0; x < d; x++) {
                                dq[qo + i * d + x] += scale * ds * k[ko + j * d + x];
                                dqMag[qo + i * d + x] += scale * dsMag * Math.abs(k[ko + j * d + x]);
                                dk[ko + j * d + x] += scale * ds * q[qo + i * d + x];
                                dkMag[ko + j * d + x] += scale * dsMag * Math.abs(q[qo + i * d + x]);
                                dv[ko + j * d + x] += p[j] * dO[qo + i * d + x];
                                dvMag[ko + j * d + x] += p[j] * Math.abs(dO[qo + i * d + x]);
                            }
                        }
                    }
                }
            }
        }
    }
}
