package dev.tessera.learn.advanced;

import static dev.tessera.lang.TL.*;
import static dev.tessera.runtime.Grid.grid;

import dev.tessera.bench.Bench;
import dev.tessera.bench.TextTable;
import dev.tessera.kernels.activation.Glu;
import dev.tessera.kernels.activation.Softmax;
import dev.tessera.kernels.elementwise.VectorAdd;
import dev.tessera.kernels.lora.Lora;
import dev.tessera.kernels.loss.CrossEntropy;
import dev.tessera.kernels.loss.FusedLinearCrossEntropy;
import dev.tessera.kernels.matmul.Matmul;
import dev.tessera.kernels.matmul.MatmulConfig;
import dev.tessera.kernels.norm.RmsNorm;
import dev.tessera.lang.Constexpr;
import dev.tessera.lang.Kernel;
import dev.tessera.lang.Tile;
import dev.tessera.learn.Timing;
import dev.tessera.runtime.Device;
import dev.tessera.runtime.Jit;
import dev.tessera.runtime.JitKernel;
import dev.tessera.runtime.Tensor;
import dev.tessera.types.DType;
import java.io.PrintStream;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

/**
 * Advanced chapter 2: fused training kernels. A training step is memory-bound outside its matmuls,
 * so what a fusion saves is bytes moved and memory held. Five cases, each run both ways on the same
 * inputs: cross-entropy over a large vocabulary (softmax, then the gradient from it, against the
 * library's one pass that writes the gradient over the logits), a residual add followed by RMSNorm
 * (two kernels against one that returns both), SwiGLU's forward and backward (autograd's way, which
 * keeps silu(gate), against one kernel each way that recomputes it and writes the gradients over its
 * inputs), the head's matmul and its cross-entropy (all the logits at once, against chunks of tokens)
 * and a LoRA layer (base, low-rank term and their sum as three tensors, against the matmul's epilogue).
 */
public final class Advanced02FusedTraining {
    private Advanced02FusedTraining() {}

    /** The unfused backward of a mean cross-entropy: grad = (p − onehot) / rows from stored probabilities p; loss[row] = −log p_y / rows. */
    @Kernel
    static void gradFromProbs(Tile probs, Tile labels, Tile grad, Tile loss, Tile n, Tile invRows, @Constexpr int BLOCK) {
        Tile row = programId(0).to(I64);
        Tile y = load(labels.add(row));
        for (Tile j0 : range(0, n, BLOCK)) {
            Tile j = arange(0, BLOCK).add(j0);
            Tile mask = j.lt(n);
            Tile p = load(probs.add(row.mul(n)).add(j), mask, 0.0).to(F32);
            store(grad.add(row.mul(n)).add(j), where(j.eq(y), p.sub(1.0), p).mul(invRows), mask);
        }
        store(loss.add(row), log(load(probs.add(row.mul(n)).add(y)).to(F32)).neg().mul(invRows));
    }

    static final JitKernel GRAD_FROM_PROBS = Jit.kernel(Advanced02FusedTraining.class, "gradFromProbs");

    // The unfused SwiGLU and LoRA sum: one elementwise kernel per operation, as an eager framework runs them.

    /** out = silu(x) = x·σ(x). */
    @Kernel
    static void silu(Tile x, Tile out, Tile n, @Constexpr int BLOCK) {
        Tile offs = programId(0).to(I64).mul(BLOCK).add(arange(0, BLOCK));
        Tile mask = offs.lt(n);
        Tile v = load(x.add(offs), mask, 0.0).to(F32);
        store(out.add(offs), v.mul(sigmoid(v)), mask);
    }

    /** out = a·b, elementwise. */
    @Kernel
    static void multiply(Tile a, Tile b, Tile out, Tile n, @Constexpr int BLOCK) {
        Tile offs = programId(0).to(I64).mul(BLOCK).add(arange(0, BLOCK));
        Tile mask = offs.lt(n);
        store(out.add(offs), load(a.add(offs), mask, 0.0).to(F32).mul(load(b.add(offs), mask, 0.0).to(F32)), mask);
    }

    /** out = d·silu'(x) = d·σ(x)·(1 + x·(1 − σ(x))): silu's backward from its saved input. */
    @Kernel
    static void siluBackward(Tile d, Tile x, Tile out, Tile n, @Constexpr int BLOCK) {
        Tile offs = programId(0).to(I64).mul(BLOCK).add(arange(0, BLOCK));
        Tile mask = offs.lt(n);
        Tile v = load(x.add(offs), mask, 0.0).to(F32), sg = sigmoid(v);
        Tile slope = sg.mul(v.mul(scalar(1.0).to(F32).sub(sg)).add(1.0));
        store(out.add(offs), load(d.add(offs), mask, 0.0).to(F32).mul(slope), mask);
    }

    /** out = x + α·y. */
    @Kernel
    static void addScaled(Tile x, Tile y, Tile out, Tile alpha, Tile n, @Constexpr int BLOCK) {
        Tile offs = programId(0).to(I64).mul(BLOCK).add(arange(0, BLOCK));
        Tile mask = offs.lt(n);
        store(out.add(offs), load(x.add(offs), mask, 0.0).to(F32).add(load(y.add(offs), mask, 0.0).to(F32).mul(alpha)), mask);
    }

    static final JitKernel SILU = Jit.kernel(Advanced02FusedTraining.class, "silu");
    static final JitKernel MULTIPLY = Jit.kernel(Advanced02FusedTraining.class, "multiply");
    static final JitKernel SILU_BACKWARD = Jit.kernel(Advanced02FusedTraining.class, "siluBackward");
    static final JitKernel ADD_SCALED = Jit.kernel(Advanced02FusedTraining.class, "addScaled");
    static final int BLOCK = 1024;

    private static int[] programs(Tensor t) { return new int[] {Math.toIntExact(Math.ceilDiv(t.numel(), (long) BLOCK))}; }

    /** One way of doing a step: the bytes it must move at the least, the extra device memory it held, its time, its result. */
    public record Way(String name, double bytes, long extraBytes, double ms, double loss, double[] result) {}

    public record Result(Way unfusedLoss, Way fusedLoss, Way unfusedNorm, Way fusedNorm, Way unfusedGlu, Way fusedGlu,
                         Way unfusedLinearLoss, Way fusedLinearLoss, Way unfusedLora, Way fusedLora) {
        List<Way> all() {
            return List.of(unfusedLoss, fusedLoss, unfusedNorm, fusedNorm, unfusedGlu, fusedGlu, unfusedLinearLoss, fusedLinearLoss, unfusedLora, fusedLora);
        }
    }

    /** Sizes of the matmul cases, small enough for the CPU backend: the head's width, its vocabulary, its chunk; LoRA's width and rank. */
    record MatmulSizes(int hidden, int vocab, int chunk, int width, int rank) {
        static MatmulSizes of(int rows, int vocab, int width, boolean quick) {
            return new MatmulSizes(quick ? 64 : 128, vocab / 4, Math.max(1, rows / 8), width / 4, 16);
        }
    }

    public static Result measure(Device device, int rows, int vocab, int width, boolean quick) {
        DType t = DType.BF16;
        double e = t.byteSize();
        SplittableRandom rnd = new SplittableRandom(5);
        int[] y = new int[rows];
        for (int i = 0; i < rows; i++) y[i] = rnd.nextInt(vocab);
        List<Way> ways = new ArrayList<>();
        try (Tensor source = Tensor.randn(t, 6, device, rows, vocab); Tensor labels = Tensor.of(y, device, rows)) {
            // unfused: probabilities [rows, vocab], then a gradient [rows, vocab] from them: four passes over the logits' size
            try (Tensor logits = source.copy()) {
                long before = Tensor.liveBytes(device);
                try (Tensor probs = Tensor.empty(t, device, rows, vocab); Tensor grad = Tensor.empty(t, device, rows, vocab);
                     Tensor loss = Tensor.empty(DType.F32, device, rows)) {
                    long extra = Tensor.liveBytes(device) - before;
                    Runnable step = () -> {
                        Softmax.softmax(logits, probs);
                        GRAD_FROM_PROBS.launch(grid(rows), probs, labels, grad, loss, vocab, 1f / rows, 1024);
                    };
                    step.run();
                    double ms = Bench.doBench(step, Timing.options(device, quick)).medianMs();
                    ways.add(new Way("softmax, then the gradient", 4 * e * rows * vocab, extra, ms, sum(loss.toDoubleArray()), grad.toDoubleArray()));
                }
            }
            // fused: one pass that reads the logits and writes the gradient over them (timed after, on that gradient: the same work)
            try (Tensor logits = source.copy()) {
                long before = Tensor.liveBytes(device);
                try (CrossEntropy.Workspace ws = CrossEntropy.Workspace.of(device, rows)) {
                    long extra = Tensor.liveBytes(device) - before;
                    CrossEntropy.Options o = CrossEntropy.Options.DEFAULT.checkLabels(false);
                    CrossEntropy.Config c = CrossEntropy.Config.defaultFor(logits);
                    double loss = CrossEntropy.forward(logits, labels, o, c, ws).loss().toDoubleArray()[0];
                    double[] grad = logits.toDoubleArray();
                    double ms = Bench.doBench(() -> CrossEntropy.forward(logits, labels, o, c, ws), Timing.options(device, quick)).medianMs();
                    ways.add(new Way("fused, gradient over the logits", 2 * e * rows * vocab, extra, ms, loss, grad));
                }
            }
        }
        try (Tensor x = Tensor.randn(t, 7, device, rows, width); Tensor r = Tensor.randn(t, 8, device, rows, width);
             Tensor w = Tensor.randn(t, 9, device, width)) {
            long before = Tensor.liveBytes(device);
            // unfused: h = x + r (reads 2, writes 1), then y = rmsnorm(h) (reads 1, writes 1)
            try (Tensor h = Tensor.empty(t, device, rows, width); Tensor yv = Tensor.empty(t, device, rows, width);
                 Tensor rstd = Tensor.empty(DType.F32, device, rows)) {
                long extra = Tensor.liveBytes(device) - before;
                Runnable step = () -> {
                    VectorAdd.add(x, r, h);
                    RmsNorm.forward(h, null, w, 1e-6f, RmsNorm.Convention.GEMMA, yv, null, rstd);
                };
                step.run();
                double ms = Bench.doBench(step, Timing.options(device, quick)).medianMs();
                ways.add(new Way("add, then RMSNorm", 5 * e * rows * width, extra, ms, 0, yv.toDoubleArray()));
            }
            try (Tensor h = Tensor.empty(t, device, rows, width); Tensor yv = Tensor.empty(t, device, rows, width);
                 Tensor rstd = Tensor.empty(DType.F32, device, rows)) {
                long extra = Tensor.liveBytes(device) - before;
                Runnable step = () -> RmsNorm.forward(x, r, w, 1e-6f, RmsNorm.Convention.GEMMA, yv, h, rstd);
                step.run();
                double ms = Bench.doBench(step, Timing.options(device, quick)).medianMs();
                ways.add(new Way("RMSNorm with the add fused", 4 * e * rows * width, extra, ms, 0, yv.toDoubleArray()));
            }
        }
        ways.addAll(glu(device, rows, width, quick));
        MatmulSizes m = MatmulSizes.of(rows, vocab, width, quick);
        ways.addAll(linearLoss(device, rows, m, quick));
        ways.addAll(lora(device, rows, m, quick));
        return new Result(ways.get(0), ways.get(1), ways.get(2), ways.get(3), ways.get(4), ways.get(5), ways.get(6), ways.get(7), ways.get(8), ways.get(9));
    }

    /**
     * SwiGLU h = silu(g)·u on [rows, width] and its backward pass for dh. Autograd's way: s = silu(g)
     * and h = s·u (5 passes), kept s for ds = dh·u, du = dh·s and dg = ds·silu'(g) (9 passes), and
     * s, ds, du and dg are four tensors of the activations' size. The library's: one kernel forward (3
     * passes), one backward that recomputes silu(g) and writes dg and du over g and u (5 passes).
     */
    static List<Way> glu(Device device, int rows, int width, boolean quick) {
        DType t = DType.BF16;
        double e = t.byteSize(), size = (double) rows * width;
        List<Way> ways = new ArrayList<>();
        try (Tensor g0 = Tensor.randn(t, 10, device, rows, width); Tensor u0 = Tensor.randn(t, 11, device, rows, width);
             Tensor dh = Tensor.randn(t, 12, device, rows, width); Tensor h = Tensor.empty(t, device, rows, width)) {
            long before = Tensor.liveBytes(device);
            try (Tensor s = Tensor.empty(t, device, rows, width); Tensor ds = Tensor.empty(t, device, rows, width);
                 Tensor du = Tensor.empty(t, device, rows, width); Tensor dg = Tensor.empty(t, device, rows, width)) {
                long extra = Tensor.liveBytes(device) - before;
                Runnable step = () -> {
                    SILU.launch(grid(programs(g0)), g0, s, g0.numel(), BLOCK);
                    MULTIPLY.launch(grid(programs(g0)), s, u0, h, g0.numel(), BLOCK);
                    MULTIPLY.launch(grid(programs(g0)), dh, u0, ds, g0.numel(), BLOCK);
                    MULTIPLY.launch(grid(programs(g0)), dh, s, du, g0.numel(), BLOCK);
                    SILU_BACKWARD.launch(grid(programs(g0)), ds, g0, dg, g0.numel(), BLOCK);
                };
                step.run();
                double ms = Bench.doBench(step, Timing.options(device, quick)).medianMs();
                ways.add(new Way("SwiGLU, autograd's way (keeps silu(g))", 14 * e * size, extra, ms, 0, concat(dg.toDoubleArray(), du.toDoubleArray())));
            }
            // in place: the gradients replace g and u, so each run starts from copies (the copies are the inputs, not extra)
            try (Tensor g = g0.copy(); Tensor u = u0.copy()) {
                long start = Tensor.liveBytes(device);
                Runnable step = () -> Glu.backward(Glu.forward(g, u, Glu.Activation.SILU, h).saved(), dh, g, u);
                step.run();
                long extra = Tensor.liveBytes(device) - start;
                double[] result = concat(g.toDoubleArray(), u.toDoubleArray());
                double ms = Bench.doBench(step, Timing.options(device, quick)).medianMs();
                ways.add(new Way("SwiGLU fused, recomputed, in place", 8 * e * size, extra, ms, 0, result));
            }
        }
        return ways;
    }

    /**
     * The head's logits H·Wᵀ [rows, V] and their cross-entropy, loss, dH and dW. All at once: the
     * logits tensor, cross-entropy's gradient written over it, then dH = G·W and dW = Gᵀ·H. By chunks
     * (Liger's fused linear cross-entropy): the same work, chunk rows at a time through one [chunk, V]
     * buffer. Both move the same bytes over the logits (written, read and written, read twice: 5
     * passes); the chunks save memory, [rows, V] → [chunk, V].
     */
    static List<Way> linearLoss(Device device, int rows, MatmulSizes m, boolean quick) {
        DType t = DType.BF16;
        double e = t.byteSize();
        SplittableRandom rnd = new SplittableRandom(13);
        int[] y = new int[rows];
        for (int i = 0; i < rows; i++) y[i] = rnd.nextInt(m.vocab());
        MatmulConfig mc = MatmulConfig.DEFAULT;
        CrossEntropy.Options o = CrossEntropy.Options.DEFAULT.checkLabels(false);
        List<Way> ways = new ArrayList<>();
        try (Tensor h = Tensor.randn(t, 14, device, rows, m.hidden()); Tensor w = scaled(Tensor.randn(t, 15, device, m.vocab(), m.hidden()), m.hidden());
             Tensor labels = Tensor.of(y, device, rows); Tensor dh = Tensor.empty(t, device, rows, m.hidden());
             Tensor dw = Tensor.empty(t, device, m.vocab(), m.hidden()); Tensor wT = w.transpose(0, 1); Tensor hT = h.transpose(0, 1)) {
            long before = Tensor.liveBytes(device);
            try (Tensor logits = Tensor.empty(t, device, rows, m.vocab()); CrossEntropy.Workspace ws = CrossEntropy.Workspace.of(device, rows);
                 Tensor gT = logits.transpose(0, 1)) {
                long extra = Tensor.liveBytes(device) - before;
                double[] loss = new double[1];
                Runnable step = () -> {
                    Matmul.matmul(h, wT, logits, mc, true);
                    loss[0] = CrossEntropy.forward(logits, labels, o, CrossEntropy.Config.defaultFor(logits), ws).loss().toDoubleArray()[0];
                    Matmul.matmul(logits, w, dh, mc, true);
                    Matmul.matmul(gT, h, dw, mc, true);
                };
                step.run();
                double[] result = dw.toDoubleArray();
                double ms = Bench.doBench(step, Timing.options(device, quick)).medianMs();
                ways.add(new Way("head + cross-entropy, all logits at once", 5 * e * rows * m.vocab(), extra, ms, loss[0], result));
            }
            try (FusedLinearCrossEntropy.Workspace ws = FusedLinearCrossEntropy.Workspace.of(device, t, rows, m.chunk(), m.vocab())) {
                long extra = Tensor.liveBytes(device) - before;
                FusedLinearCrossEntropy.Config cfg = new FusedLinearCrossEntropy.Config(m.chunk(), mc, CrossEntropy.Config.defaultFor(device, m.vocab()));
                FusedLinearCrossEntropy.Grads grads = new FusedLinearCrossEntropy.Grads(dh, dw, null);
                double[] loss = new double[1];
                Runnable step = () -> loss[0] = FusedLinearCrossEntropy.forward(h, w, null, labels, o, cfg, grads, ws).loss().toDoubleArray()[0];
                step.run();
                double[] result = dw.toDoubleArray();
                double ms = Bench.doBench(step, Timing.options(device, quick)).medianMs();
                ways.add(new Way("fused linear cross-entropy, " + m.chunk() + " tokens a chunk", 5 * e * rows * m.vocab(), extra, ms, loss[0], result));
            }
        }
        return ways;
    }

    /**
     * A LoRA layer out = X·Wᵀ + s·(X·Aᵀ)·Bᵀ, [rows, width] by [width, width] at rank r, s = 2. As three
     * tensors (PEFT's eager way): base X·Wᵀ and lo = (X·Aᵀ)·Bᵀ written, then read to write base + s·lo:
     * 5 passes over [rows, width] and two such tensors besides the output. In the matmul's epilogue:
     * the [BM, r] tile of X·Aᵀ goes into the accumulator after the K loop, and out is written once.
     * Both read X and W (counted once); both keep X·Aᵀ, r values a token, for the backward pass.
     */
    static List<Way> lora(Device device, int rows, MatmulSizes m, boolean quick) {
        DType t = DType.BF16;
        double e = t.byteSize();
        int n = m.width(), r = m.rank();
        double operands = e * ((double) rows * n + (double) n * n);
        MatmulConfig mc = MatmulConfig.DEFAULT;
        List<Way> ways = new ArrayList<>();
        try (Tensor x = Tensor.randn(t, 16, device, rows, n); Tensor w = scaled(Tensor.randn(t, 17, device, n, n), n);
             Tensor a = scaled(Tensor.randn(t, 18, device, r, n), n); Tensor b = Tensor.randn(t, 19, device, n, r); Tensor out = Tensor.empty(t, device, rows, n);
             Tensor wT = w.transpose(0, 1); Tensor aT = a.transpose(0, 1); Tensor bT = b.transpose(0, 1)) {
            long before = Tensor.liveBytes(device);
            try (Tensor base = Tensor.empty(t, device, rows, n); Tensor xa = Tensor.empty(t, device, rows, r); Tensor lo = Tensor.empty(t, device, rows, n)) {
                long extra = Tensor.liveBytes(device) - before;
                Runnable step = () -> {
                    Matmul.matmul(x, wT, base, mc, true);
                    Matmul.matmul(x, aT, xa, mc, true);
                    Matmul.matmul(xa, bT, lo, mc, true);
                    ADD_SCALED.launch(grid(programs(out)), base, lo, out, 2f, out.numel(), BLOCK);
                };
                step.run();
                double ms = Bench.doBench(step, Timing.options(device, quick)).medianMs();
                ways.add(new Way("LoRA, base + low-rank as three tensors", operands + 5 * e * rows * n, extra, ms, 0, out.toDoubleArray()));
            }
            Lora.Adapter adapter = new Lora.Adapter(w, a, b, 2);
            Lora.Config cfg = new Lora.Config(mc);
            try (Tensor xa = Tensor.empty(t, device, rows, r)) {
                long extra = Tensor.liveBytes(device) - before;
                Runnable step = () -> Lora.forward(x, adapter, cfg, out, xa);
                step.run();
                double ms = Bench.doBench(step, Timing.options(device, quick)).medianMs();
                ways.add(new Way("LoRA in the matmul's epilogue", operands + e * rows * n, extra, ms, 0, out.toDoubleArray()));
            }
        }
        return ways;
    }

    /** x / √n in place, so products over n terms stay of size about 1; returns x. */
    private static Tensor scaled(Tensor x, int n) {
        double[] v = x.toDoubleArray();
        for (int i = 0; i < v.length; i++) v[i] /= Math.sqrt(n);
        x.write(v);
        return x;
    }

    private static double[] concat(double[] a, double[] b) {
        double[] c = java.util.Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, c, a.length, b.length);
        return c;
    }

    private static double sum(double[] v) {
        double s = 0;
        for (double x : v) s += x;
        return s;
    }

    /** The largest difference between two results, relative to the largest magnitude of the first. */
    static double difference(double[] a, double[] b) {
        double d = 0, m = 0;
        for (int i = 0; i < a.length; i++) {
            d = Math.max(d, Math.abs(a[i] - b[i]));
            m = Math.max(m, Math.abs(a[i]));
        }
        return d / Math.max(m, Double.MIN_NORMAL);
    }

    public static void run(PrintStream out, Device device, boolean quick) {
        int rows = quick ? 16 : 256, vocab = quick ? 4000 : 32000, width = quick ? 1000 : 4096;
        out.println("Outside its matmuls a training step is memory-bound: a fusion pays for itself in the bytes it does not move");
        out.println("and the tensors it does not keep. Each case below runs both ways on the same bf16 inputs.\n");
        Result r = measure(device, rows, vocab, width, quick);
        MatmulSizes m = MatmulSizes.of(rows, vocab, width, quick);
        TextTable t = TextTable.of("step", "MB moved (floor)", "extra memory (MB)", "median (ms)");
        for (Way w : r.all()) {
            t.addRow(w.name(), String.format("%.2f", w.bytes() / 1e6), String.format("%.3f", w.extraBytes() / 1e6), String.format("%.3f", w.ms()));
        }
        t.print(out);
        out.printf("%nCross-entropy over %d x %d logits: the unfused way writes the probabilities and reads them back to make a%n", rows, vocab);
        out.println("gradient in a tensor of its own: 4 passes over the logits' size and two more such tensors. The fused kernel");
        out.println("reads each row (twice: a GPU's L2 keeps it for the second read) and writes the gradient over the logits once:");
        out.printf("%.1fx fewer bytes and %.0fx less extra memory (one f32 per row).%n", r.unfusedLoss().bytes() / r.fusedLoss().bytes(),
                (double) r.unfusedLoss().extraBytes() / Math.max(1, r.fusedLoss().extraBytes()));
        out.printf("RMSNorm after a residual add: 5 passes become 4 (%.2fx fewer bytes), and no kernel boundary between them.%n",
                r.unfusedNorm().bytes() / r.fusedNorm().bytes());
        out.printf("SwiGLU forward and backward: autograd keeps silu(g) for the backward pass and runs five kernels, 14 passes over%n");
        out.printf("the activations' size; recomputing silu(g) in a backward kernel that writes dg and du over g and u takes 8 passes%n");
        out.printf("(%.2fx fewer bytes) and no tensor of its own, against four (%.2f MB here).%n", r.unfusedGlu().bytes() / r.fusedGlu().bytes(),
                r.unfusedGlu().extraBytes() / 1e6);
        out.printf("The head and its loss (%d tokens, d %d, V %d): both ways move the same bytes over the logits (5 passes: written,%n",
                rows, m.hidden(), m.vocab());
        out.printf("read and written by the loss, read by dH and dW); chunks of %d tokens hold [%d, V] instead of [%d, V] (%.3f MB against%n",
                m.chunk(), m.chunk(), rows, r.fusedLinearLoss().extraBytes() / 1e6);
        out.printf("%.3f MB). At Llama 3's head (8192 tokens, d 4096, V 128256, bf16) the logits are %.2f GB; Liger's rule chunks them%n",
                r.unfusedLinearLoss().extraBytes() / 1e6, 2.0 * 8192 * 128256 / 1e9);
        out.printf("by %d tokens: %.1f MB.%n", FusedLinearCrossEntropy.chunkRows(8192, 128256, 4096),
                2.0 * FusedLinearCrossEntropy.chunkRows(8192, 128256, 4096) * 128256 / 1e6);
        out.printf("LoRA (%d tokens, %d by %d, rank %d): writing X·Wᵀ and (X·Aᵀ)·Bᵀ and summing them is 5 passes over the output;%n",
                rows, m.width(), m.width(), m.rank());
        out.printf("adding the low-rank term in the matmul's epilogue, 1 (%.2fx fewer bytes with the operands), and of the extra%n",
                r.unfusedLora().bytes() / r.fusedLora().bytes());
        out.printf("memory only X·Aᵀ stays, %d values a token (%.3f MB against %.3f MB). The backward pass does the same for%n", m.rank(),
                r.fusedLora().extraBytes() / 1e6, r.unfusedLora().extraBytes() / 1e6);
        out.println("dX = dOut·W + (s·dOut·B)·A (dev.tessera.kernels.lora).");
        double lossGap = Math.abs(r.unfusedLoss().loss() - r.fusedLoss().loss()) / Math.abs(r.unfusedLoss().loss());
        double gradGap = difference(r.unfusedLoss().result(), r.fusedLoss().result());
        double normGap = difference(r.unfusedNorm().result(), r.fusedNorm().result());
        double gluGap = difference(r.unfusedGlu().result(), r.fusedGlu().result());
        double headGap = Math.max(Math.abs(r.unfusedLinearLoss().loss() - r.fusedLinearLoss().loss()) / Math.abs(r.unfusedLinearLoss().loss()),
                difference(r.unfusedLinearLoss().result(), r.fusedLinearLoss().result()));
        double loraGap = difference(r.unfusedLora().result(), r.fusedLora().result());
        out.printf("Fused against unfused: loss %.1e, gradient %.1e, RMSNorm %.1e, SwiGLU %.1e, head %.1e, LoRA %.1e apart (relative).%n",
                lossGap, gradGap, normGap, gluGap, headGap, loraGap);
        out.println("\nOn an H200 (bench/NOTES.md, 2026-12-04): cross-entropy forward + backward over 8192 x 128256 bf16 logits runs at");
        out.println("3035 GB/s with 0.03 MiB extra; torch eager at 907 GB/s with 6012 MiB, torch.compile at 1621 GB/s with 2004 MiB,");
        out.println("a Liger-style Triton kernel at 2711 GB/s. The fused linear cross-entropy (d 4096, V 128256) kept 1.3-1.5 GiB");
        out.println("extra where torch took 6-24 GiB, at 0.96 (8k tokens) to 1.00 (32k) of the speed of torch's separate matmul");
        out.println("and loss; the LoRA MLP's step ran at 0.91-0.94 of torch eager with 0.6 times its extra memory.");
        if (device.backend().equals("cpu")) {
            out.println("On the CPU backend times follow the work per element more than the bytes; on a GPU they follow the bytes.");
        }
        // the probabilities (and silu(g), the logits, the low-rank term) the unfused ways store are bf16: theirs are the rounder results
        boolean agree = lossGap < 1e-2 && gradGap < 2e-2 && normGap < 2e-2 && gluGap < 2e-2 && headGap < 2e-2 && loraGap < 2e-2;
        out.println(agree ? "both ways agree" : "THE WAYS DISAGREE");
    }
}
