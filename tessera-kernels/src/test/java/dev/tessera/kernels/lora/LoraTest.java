package dev.tessera.kernels.lora;

import static org.junit.jupiter.api.Assertions.*;

import dev.tessera.kernels.lora.Lora.Adapter;
import dev.tessera.kernels.lora.Lora.Config;
import dev.tessera.kernels.matmul.MatmulConfig;
import dev.tessera.runtime.Device;
import dev.tessera.runtime.Tensor;
import dev.tessera.testing.Seed;
import dev.tessera.testing.SeedExtension;
import dev.tessera.testing.TestDevices;
import dev.tessera.types.DType;
import dev.tessera.types.Numerics;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The LoRA layer, MLP and QKV against float64 references ({@link Ref}) computed from the stored
 * inputs: values and every gradient, in f32 and bf16, with token counts and widths that are not
 * multiples of the blocking, outputs poisoned with NaN before each run; central differences of a
 * loss Σ out·G for a few elements of A, B and X; and the shape checks' messages.
 */
@ExtendWith(SeedExtension.class)
class LoraTest {
    /** 32×64×32 tiles: 37 tokens are two row tiles, the second partial; widths of 40, 72 and 33 cross the tiles' edges. */
    static final Config CONFIG = new Config(new MatmulConfig(32, 64, 32, 8, 4, 2));

    static Stream<Arguments> cases() {
        return TestDevices.all().flatMap(d -> Stream.of(DType.F32, DType.F16, DType.BF16).map(t -> Arguments.of(d, t)));
    }

    /** Gaussian values of the given spread, rounded to the dtype. */
    static Tensor input(List<Tensor> owned, DType t, long seed, Device d, double spread, long... shape) {
        SplittableRandom rnd = new SplittableRandom(seed);
        double[] x = new double[Math.toIntExact(shape[0] * shape[1])];
        for (int i = 0; i < x.length; i++) x[i] = spread * rnd.nextGaussian();
        Tensor tensor = Tensor.from(x, t, d, shape);
        owned.add(tensor);
        return tensor;
    }

    static Adapter adapter(List<Tensor> owned, DType t, long seed, Device d, int in, int out, int r, double scale) {
        return new Adapter(input(owned, t, seed, d, 1 / Math.sqrt(in), out, in), input(owned, t, seed + 1, d, 1 / Math.sqrt(in), r, in),
                input(owned, t, seed + 2, d, 0.5, out, r), scale);
    }

    static Tensor poisoned(List<Tensor> owned, DType t, Device d, long... shape) {
        Tensor x = Tensor.full(t, Double.NaN, d, shape);
        owned.add(x);
        return x;
    }

    @ParameterizedTest
    @MethodSource("cases")
    void oneLayerValuesAndGradients(Device device, DType dtype, @Seed long seed) {
        Device d = TestDevices.require(device);
        int tokens = 37, in = 40, out = 33, r = 12;
        double s = 0.75;   // not a power of 2: s·(X·Aᵀ) is rounded to the dtype
        List<Tensor> owned = new ArrayList<>();
        long live = Tensor.liveBytes(d);
        try {
            Tensor x = input(owned, dtype, seed, d, 1, tokens, in), g = input(owned, dtype, seed + 10, d, 1, tokens, out);
            Adapter ad = adapter(owned, dtype, seed + 1, d, in, out, r, s);
            Tensor y = poisoned(owned, dtype, d, tokens, out), xa = poisoned(owned, dtype, d, tokens, r);
            Lora.Output o = Lora.forward(x, ad, CONFIG, y, xa);
            Ref rx = Ref.of(x), rw = Ref.of(ad.weight()), ra = Ref.of(ad.a()), rb = Ref.of(ad.b()), rg = Ref.of(g);
            String what = dtype + " seed " + seed;
            Ref.lora(rx, rw, ra, rb, s).check(o.out(), dtype, what + " out");
            Lora.Grads grads = new Lora.Grads(poisoned(owned, dtype, d, tokens, in), poisoned(owned, dtype, d, r, in), poisoned(owned, dtype, d, out, r));
            assertSame(grads, Lora.backward(o.saved(), g, CONFIG, grads));
            Ref[] ref = Ref.loraBackward(rx, rw, ra, rb, s, rg);
            ref[0].check(grads.dx(), dtype, what + " dX");
            ref[1].check(grads.da(), dtype, what + " dA");
            ref[2].check(grads.db(), dtype, what + " dB");
        } finally {
            owned.forEach(Tensor::close);
        }
        assertEquals(live, Tensor.liveBytes(d), "the layer keeps no tensor of its own");
    }

    @ParameterizedTest
    @MethodSource("cases")
    void mlpValuesAndGradients(Device device, DType dtype, @Seed long seed) {
        Device d = TestDevices.require(device);
        int tokens = 37, hidden = 40, inner = 72;
        List<Tensor> owned = new ArrayList<>();
        long live = Tensor.liveBytes(d);
        try {
            Tensor x = input(owned, dtype, seed, d, 1, tokens, hidden), g = input(owned, dtype, seed + 10, d, 1, tokens, hidden);
            LoraMlp.Weights w = new LoraMlp.Weights(adapter(owned, dtype, seed + 1, d, hidden, inner, 8, 2),
                    adapter(owned, dtype, seed + 4, d, hidden, inner, 16, 0.5), adapter(owned, dtype, seed + 7, d, inner, hidden, 5, 1.25));
            // every buffer the step is given starts as NaN: whatever it reads before writing shows
            LoraMlp.Saved saved = LoraMlp.Saved.of(x, w);
            LoraMlp.Scratch scratch = LoraMlp.Scratch.of(d, dtype, tokens, w);
            List<Tensor> buffers = List.of(saved.gate(), saved.up(), saved.xaGate(), saved.xaUp(), saved.haDown(), scratch.h(), scratch.dxa());
            owned.addAll(buffers);
            for (Tensor b : buffers) b.fill(Double.NaN);
            LoraMlp.Output o = LoraMlp.forward(CONFIG, poisoned(owned, dtype, d, tokens, hidden), saved, scratch);
            Ref rx = Ref.of(x), rg = Ref.of(g);
            Ref[][] ads = new Ref[3][];
            Adapter[] as = {w.gate(), w.up(), w.down()};
            for (int i = 0; i < 3; i++) ads[i] = new Ref[] {Ref.of(as[i].weight()), Ref.of(as[i].a()), Ref.of(as[i].b())};
            Ref gate = Ref.lora(rx, ads[0][0], ads[0][1], ads[0][2], 2), up = Ref.lora(rx, ads[1][0], ads[1][1], ads[1][2], 0.5);
            Ref h = gate.silu().times(up);
            String what = dtype + " seed " + seed;
            Ref.lora(h, ads[2][0], ads[2][1], ads[2][2], 1.25).check(o.out(), dtype, what + " out");
            LoraMlp.Grads grads = new LoraMlp.Grads(poisoned(owned, dtype, d, tokens, hidden),
                    new Lora.AdapterGrads(poisoned(owned, dtype, d, 8, hidden), poisoned(owned, dtype, d, inner, 8)),
                    new Lora.AdapterGrads(poisoned(owned, dtype, d, 16, hidden), poisoned(owned, dtype, d, inner, 16)),
                    new Lora.AdapterGrads(poisoned(owned, dtype, d, 5, inner), poisoned(owned, dtype, d, hidden, 5)));
            scratch.h().fill(Double.NaN);
            assertSame(grads, LoraMlp.backward(o.saved(), g, CONFIG, grads, scratch));
            Ref[] down = Ref.loraBackward(h, ads[2][0], ads[2][1], ads[2][2], 1.25, rg);
            Ref dGate = down[0].times(up).times(gate.siluDerivative()), dUp = down[0].times(gate.silu());
            Ref[] gb = Ref.loraBackward(rx, ads[0][0], ads[0][1], ads[0][2], 2, dGate), ub = Ref.loraBackward(rx, ads[1][0], ads[1][1], ads[1][2], 0.5, dUp);
            gb[0].plus(ub[0]).check(grads.dx(), dtype, what + " dX");
            Lora.AdapterGrads[] got = {grads.gate(), grads.up(), grads.down()};
            Ref[][] refs = {gb, ub, down};
            String[] names = {"gate", "up", "down"};
            for (int i = 0; i < 3; i++) {
                refs[i][1].check(got[i].da(), dtype, what + " dA_" + names[i]);
                refs[i][2].check(got[i].db(), dtype, what + " dB_" + names[i]);
            }
        } finally {
            owned.forEach(Tensor::close);
        }
        assertEquals(live, Tensor.liveBytes(d), "the MLP keeps nothing of its own");
    }

    @ParameterizedTest
    @MethodSource("cases")
    void qkvValuesAndGradientsWithNarrowerKeysAndValues(Device device, DType dtype, @Seed long seed) {
        Device d = TestDevices.require(device);
        int tokens = 37, hidden = 40, q = 40, kv = 20, r = 4;
        List<Tensor> owned = new ArrayList<>();
        try {
            Tensor x = input(owned, dtype, seed, d, 1, tokens, hidden);
            Tensor[] g = {input(owned, dtype, seed + 10, d, 1, tokens, q), input(owned, dtype, seed + 11, d, 1, tokens, kv),
                    input(owned, dtype, seed + 12, d, 1, tokens, kv)};
            Adapter[] as = {adapter(owned, dtype, seed + 1, d, hidden, q, r, 2), adapter(owned, dtype, seed + 4, d, hidden, kv, r, 2),
                    adapter(owned, dtype, seed + 7, d, hidden, kv, r, 2)};
            LoraQkv.Output o = LoraQkv.forward(x, new LoraQkv.Weights(as[0], as[1], as[2]), CONFIG);
            owned.addAll(List.of(o.q(), o.k(), o.v()));
            Tensor[] outs = {o.q(), o.k(), o.v()};
            LoraQkv.Grads grads;
            try (LoraQkv.Saved saved = o.saved()) {
                Lora.AdapterGrads[] ag = new Lora.AdapterGrads[3];
                for (int i = 0; i < 3; i++) ag[i] = new Lora.AdapterGrads(poisoned(owned, dtype, d, r, hidden), poisoned(owned, dtype, d, as[i].out(), r));
                grads = LoraQkv.backward(saved, g[0], g[1], g[2], CONFIG, new LoraQkv.Grads(poisoned(owned, dtype, d, tokens, hidden), ag[0], ag[1], ag[2]));
            }
            Ref rx = Ref.of(x), dx = null;
            Lora.AdapterGrads[] got = {grads.q(), grads.k(), grads.v()};
            String what = dtype + " seed " + seed;
            for (int i = 0; i < 3; i++) {
                Ref w = Ref.of(as[i].weight()), a = Ref.of(as[i].a()), b = Ref.of(as[i].b());
                Ref.lora(rx, w, a, b, 2).check(outs[i], dtype, what + " output " + i);
                Ref[] ref = Ref.loraBackward(rx, w, a, b, 2, Ref.of(g[i]));
                dx = dx == null ? ref[0] : dx.plus(ref[0]);
                ref[1].check(got[i].da(), dtype, what + " dA " + i);
                ref[2].check(got[i].db(), dtype, what + " dB " + i);
            }
            dx.check(grads.dx(), dtype, what + " dX, the sum of three projections'");
        } finally {
            owned.forEach(Tensor::close);
        }
    }

    /** dA and dB may be f32 beside a bf16 adapter (an optimizer's master gradients): the products are stored unrounded to bf16. */
    @Test
    void f32GradientsOfABf16Adapter(@Seed long seed) {
        Device d = Device.cpu();
        int tokens = 21, in = 40, out = 24, r = 8;
        List<Tensor> owned = new ArrayList<>();
        try {
            Tensor x = input(owned, DType.BF16, seed, d, 1, tokens, in), g = input(owned, DType.BF16, seed + 10, d, 1, tokens, out);
            Adapter ad = adapter(owned, DType.BF16, seed + 1, d, in, out, r, 2);
            Lora.Output o = Lora.forward(x, ad, CONFIG, poisoned(owned, DType.BF16, d, tokens, out), poisoned(owned, DType.BF16, d, tokens, r));
            Lora.Grads grads = new Lora.Grads(poisoned(owned, DType.BF16, d, tokens, in), poisoned(owned, DType.F32, d, r, in), poisoned(owned, DType.F32, d, out, r));
            Lora.backward(o.saved(), g, CONFIG, grads);
            Ref[] ref = Ref.loraBackward(Ref.of(x), Ref.of(ad.weight()), Ref.of(ad.a()), Ref.of(ad.b()), 2, Ref.of(g));
            // dB = 2·dOutᵀ·(X·Aᵀ) rounds only X·Aᵀ (to bf16) before its f32 sums; dA rounds dXA too
            ref[2].check(grads.db().toDoubleArray(), 4e-3, "f32 dB seed " + seed);
            ref[1].check(grads.da().toDoubleArray(), 4e-3, "f32 dA seed " + seed);
            assertTrue(java.util.Arrays.stream(grads.db().toDoubleArray()).anyMatch(v -> v != Numerics.round(v, DType.BF16)), "dB kept digits bf16 has not");
        } finally {
            owned.forEach(Tensor::close);
        }
    }

    /** Central differences of L = Σ out·G (f32) against the layer's dA, dB and dX, and the MLP's dA of gate and dX. */
    @Test
    void gradientsMatchFiniteDifferences(@Seed long seed) {
        Device d = Device.cpu();
        int tokens = 9, in = 12, out = 10, r = 3;
        SplittableRandom rnd = new SplittableRandom(seed);
        List<Tensor> owned = new ArrayList<>();
        try {
            Tensor x = input(owned, DType.F32, seed, d, 1, tokens, in), g = input(owned, DType.F32, seed + 10, d, 1, tokens, out);
            Adapter ad = adapter(owned, DType.F32, seed + 1, d, in, out, r, 1.5);
            Lora.Output o = Lora.forward(x, ad);
            owned.add(o.out());
            double[][] grads;
            try (Lora.Saved saved = o.saved(); Lora.Grads gr = Lora.backward(saved, g)) {
                grads = new double[][] {gr.dx().toDoubleArray(), gr.da().toDoubleArray(), gr.db().toDoubleArray()};
            }
            Tensor[] inputs = {x, ad.a(), ad.b()};
            for (int which = 0; which < 3; which++) {
                int i = rnd.nextInt(Math.toIntExact(inputs[which].numel()));
                double fd = centralDifference(inputs[which], i, () -> {
                    Lora.Output p = Lora.forward(x, ad);
                    try (Tensor y = p.out(); Lora.Saved s = p.saved()) {
                        return dot(y, g);
                    }
                });
                assertEquals(fd, grads[which][i], 2e-3 + 1e-2 * Math.abs(fd), "layer input " + which + " element " + i + ", seed " + seed);
            }
            LoraMlp.Weights w = new LoraMlp.Weights(adapter(owned, DType.F32, seed + 20, d, in, 14, 2, 2), adapter(owned, DType.F32, seed + 23, d, in, 14, 2, 2),
                    adapter(owned, DType.F32, seed + 26, d, 14, in, 2, 2));
            Tensor gm = input(owned, DType.F32, seed + 30, d, 1, tokens, in);
            LoraMlp.Output m = LoraMlp.forward(x, w);
            owned.add(m.out());
            double[][] mg;
            try (LoraMlp.Saved saved = m.saved(); LoraMlp.Grads gr = LoraMlp.backward(saved, gm)) {
                mg = new double[][] {gr.dx().toDoubleArray(), gr.gate().da().toDoubleArray()};
            }
            Tensor[] mlpInputs = {x, w.gate().a()};
            for (int which = 0; which < 2; which++) {
                int i = rnd.nextInt(Math.toIntExact(mlpInputs[which].numel()));
                double fd = centralDifference(mlpInputs[which], i, () -> {
                    LoraMlp.Output p = LoraMlp.forward(x, w);
                    try (Tensor y = p.out(); LoraMlp.Saved s = p.saved()) {
                        return dot(y, gm);
                    }
                });
                assertEquals(fd, mg[which][i], 2e-3 + 1e-2 * Math.abs(fd), "MLP input " + which + " element " + i + ", seed " + seed);
            }
        } finally {
            owned.forEach(Tensor::close);
        }
    }

    /** (L(t + h·e_i) − L(t − h·e_i)) / 2h, t restored after. */
    private static double centralDifference(Tensor t, int i, java.util.function.DoubleSupplier loss) {
        double[] v = t.toDoubleArray();
        double keep = v[i], step = 1e-2;
        v[i] = keep + step;
        t.write(v);
        double plus = loss.getAsDouble();
        v[i] = keep - step;
        t.write(v);
        double minus = loss.getAsDouble();
        v[i] = keep;
        t.write(v);
        return (plus - minus) / (2 * step);
    }

    private static double dot(Tensor a, Tensor b) {
        double[] x = a.toDoubleArray(), y = b.toDoubleArray();
        double s = 0;
        for (int i = 0; i < x.length; i++) s += x[i] * y[i];
        return s;
    }

    @Test
    void badShapesSayWhatIsWrong() {
        Device d = Device.cpu();
        try (Tensor w = Tensor.zeros(DType.F32, d, 6, 4); Tensor a = Tensor.zeros(DType.F32, d, 2, 4); Tensor b = Tensor.zeros(DType.F32, d, 6, 2);
             Tensor a5 = Tensor.zeros(DType.F32, d, 2, 5); Tensor b3 = Tensor.zeros(DType.F32, d, 6, 3); Tensor ah = Tensor.zeros(DType.BF16, d, 2, 4);
             Tensor big = Tensor.zeros(DType.F32, d, 129, 4); Tensor bigB = Tensor.zeros(DType.F32, d, 6, 129);
             Tensor x = Tensor.zeros(DType.F32, d, 3, 4); Tensor x5 = Tensor.zeros(DType.F32, d, 3, 5); Tensor g7 = Tensor.zeros(DType.F32, d, 3, 7)) {
            assertTrue(assertThrows(IllegalArgumentException.class, () -> new Adapter(w, a5, b, 1)).getMessage().contains("A must be [r, 4]"));
            assertTrue(assertThrows(IllegalArgumentException.class, () -> new Adapter(w, a, b3, 1)).getMessage().contains("B must be [6, 2]"));
            assertTrue(assertThrows(IllegalArgumentException.class, () -> new Adapter(w, ah, b, 1)).getMessage().contains("A and B must be f32"));
            assertTrue(assertThrows(IllegalArgumentException.class, () -> new Adapter(w, big, bigB, 1)).getMessage().contains("rank must be in [1, 128]"));
            Adapter ad = new Adapter(w, a, b, 1);
            assertTrue(assertThrows(IllegalArgumentException.class, () -> Lora.forward(x5, ad)).getMessage().contains("the input must be [tokens, 4]"));
            Lora.Output o = Lora.forward(x, ad);
            try (Tensor y = o.out(); Lora.Saved s = o.saved()) {
                assertTrue(assertThrows(IllegalArgumentException.class, () -> Lora.backward(s, g7)).getMessage().contains("dOut must be a f32 [3, 6]"));
            }
            assertTrue(assertThrows(IllegalArgumentException.class, () -> new LoraMlp.Weights(ad, ad, ad)).getMessage().contains("down must be [4, 6]"));
            try (Tensor w4 = Tensor.zeros(DType.F32, d, 4, 4); Tensor b4 = Tensor.zeros(DType.F32, d, 4, 2); Tensor xa = Tensor.zeros(DType.F32, d, 3, 2)) {
                Adapter square = new Adapter(w4, a, b4, 1);
                assertTrue(assertThrows(IllegalArgumentException.class, () -> Lora.forward(x, square, Config.defaultFor(x), x, xa)).getMessage()
                        .contains("may not be X"));
            }
        }
    }
}
