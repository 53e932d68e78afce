package dev.tessera.passes;

import static org.junit.jupiter.api.Assertions.*;

import dev.tessera.ir.KernelIR;
import dev.tessera.ir.Parser;
import dev.tessera.ir.Printer;
import dev.tessera.ir.Verifier;
import dev.tessera.runtime.Device;
import dev.tessera.runtime.Tensor;
import dev.tessera.testing.IrRunner;
import dev.tessera.testing.IrSamples;
import dev.tessera.testing.Seed;
import dev.tessera.testing.SeedExtension;
import dev.tessera.types.DType;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** Random kernels give bit-identical results on the CPU before and after the standard pipeline. */
@ExtendWith(SeedExtension.class)
class OptimizationKeepsResultsTest {

    @Test
    void randomKernels(@Seed long seed) {
        SplittableRandom seeds = new SplittableRandom(seed);
        int shrunk = 0;
        for (int i = 0; i < 60; i++) {
            long kernelSeed = seeds.nextLong();
            RandomKernels.Generated generated = RandomKernels.generate(kernelSeed);
            String text = generated.text();
            KernelIR before = Verifier.verify(Parser.parse(text));
            KernelIR after = Pipeline.standard().run(before);
            assertEquals(Printer.print(after, false), Printer.print(Pipeline.standard().run(after), false),
                    "the pipeline stops at a fixpoint (kernel seed " + kernelSeed + ")");
            if (ops(after) < ops(before)) shrunk++;
            compare(before, after, generated, kernelSeed);
        }
        assertTrue(shrunk > 50, "optimization should shrink nearly every random kernel, shrank " + shrunk);
    }

    private static void compare(KernelIR before, KernelIR after, RandomKernels.Generated generated, long kernelSeed) {
        double[] expectedF, actualF;
        long[] expectedI, actualI;
        int block = 2 * RandomKernels.B, fs = Math.max(1, generated.floatBlocks()) * block, is = Math.max(1, generated.intBlocks()) * block;
        try (Tensor x = Tensor.randn(DType.F32, kernelSeed, Device.cpu(), RandomKernels.INPUT);
             Tensor y = Tensor.randint(DType.I32, kernelSeed, -50, 50, Device.cpu(), RandomKernels.INPUT);
             Tensor f1 = Tensor.full(DType.F32, Double.NaN, Device.cpu(), fs); Tensor i1 = Tensor.zeros(DType.I32, Device.cpu(), is);
             Tensor f2 = Tensor.full(DType.F32, Double.NaN, Device.cpu(), fs); Tensor i2 = Tensor.zeros(DType.I32, Device.cpu(), is)) {
            IrRunner.run(before, new int[] {2}, x, y, f1, i1, 10);
            IrRunner.run(after, new int[] {2}, x, y, f2, i2, 10);
            expectedF = f1.toDoubleArray();
            actualF = f2.toDoubleArray();
            expectedI = i1.toLongArray();
            actualI = i2.toLongArray();
        }
        String context = "\n" + generated.text() + "\noptimized:\n" + Printer.print(after, false);
        for (int i = 0; i < fs; i++) {
            if (Double.compare(expectedF[i], actualF[i]) != 0) {
                fail("kernel seed " + kernelSeed + ", f32 output " + i + ": " + expectedF[i] + " became " + actualF[i] + context);
            }
        }
        for (int i = 0; i < is; i++) {
            if (expectedI[i] != actualI[i]) fail("kernel seed " + kernelSeed + ", i32 output " + i + ": " + expectedI[i] + " became " + actualI[i] + context);
        }
    }

    private static int ops(KernelIR k) { return Printer.print(k, false).split("\n").length; }

    @Test
    void sampleKernelsOptimizeToValidIr() {
        for (KernelIR k : IrSamples.all()) {
            KernelIR optimized = Verifier.verify(Pipeline.standard().run(k));
            assertTrue(ops(optimized) <= ops(k), k.name());
        }
    }
}
