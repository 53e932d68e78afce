package dev.tessera.learn.advanced;

import static dev.tessera.lang.TL.*;
import static dev.tessera.runtime.Grid.grid;

import dev.tessera.bench.Bench;
import dev.tessera.bench.TextTable;
import dev.tessera.kernels.activation.Softmax;
import dev.tessera.kernels.elementwise.VectorAdd;
import dev.tessera.kernels.loss.CrossEntropy;
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
 * so what a fusion saves is bytes moved and memory held. Two cases, each run both ways on the same
 * inputs: cross-entropy over a large vocabulary (softmax, then the gradient from it, against the
 * library's one pass that writes the gradient over the logits) and a residual add followed by
 * RMSNorm (two kernels against one that returns both).
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

    /** One way of doing a step: the bytes it must move at the least, the extra device memory it held, its time, its result. */
    public record Way(String name, double bytes, long extraBytes, double ms, double loss, double[] result) {}

    public record Result(Way unfusedLoss, Way fusedLoss, Way unfusedNorm, Way fusedNorm) {}

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
        return new Result(ways.get(0), ways.get(1), ways.get(2), ways.get(3));
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
        TextTable t = TextTable.of("step", "MB moved (floor)", "extra memory (MB)", "median (ms)");
        for (Way w : List.of(r.unfusedLoss(), r.fusedLoss(), r.unfusedNorm(), r.fusedNorm())) {
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
        double lossGap = Math.abs(r.unfusedLoss().loss() - r.fusedLoss().loss()) / Math.abs(r.unfusedLoss().loss());
        double gradGap = difference(r.unfusedLoss().result(), r.fusedLoss().result());
        double normGap = difference(r.unfusedNorm().result(), r.fusedNorm().result());
        out.printf("Fused against unfused: loss %.1e, gradient %.1e, RMSNorm %.1e apart (relative).%n", lossGap, gradGap, normGap);
        if (device.backend().equals("cpu")) {
            out.println("On the CPU backend times follow the work per element more than the bytes; on a GPU they follow the bytes");
            out.println("(bench/NOTES.md has the H200 figures of the cross-entropy benchmark against torch and Triton).");
        }
        // the probabilities the unfused way stores are bf16, so its loss and gradient are the rounder ones
        out.println(lossGap < 1e-2 && gradGap < 2e-2 && normGap < 2e-2 ? "both ways agree" : "THE WAYS DISAGREE");
    }
}
