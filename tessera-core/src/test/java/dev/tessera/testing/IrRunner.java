package dev.tessera.testing;

import dev.tessera.backend.Backend;
import dev.tessera.backend.CompiledKernel;
import dev.tessera.backend.LaunchOptions;
import dev.tessera.ir.KernelIR;
import dev.tessera.runtime.Backends;
import dev.tessera.runtime.Tensor;
import dev.tessera.runtime.TensorDescriptor;

/** Runs IR as it is (no passes) on the CPU backend, for comparing IR before and after optimization, or compiled two ways. */
public final class IrRunner {
    private IrRunner() {}

    /** One launch over {@code grid} programs; arguments are tensors or Java numbers, one per parameter. */
    public static void run(KernelIR ir, int[] grid, Object... args) {
        Backend cpu = Backends.get("cpu");
        run(cpu.compile(ir, LaunchOptions.DEFAULT, 0), grid, args);
    }

    /** One launch of a kernel compiled for the CPU. */
    public static void run(CompiledKernel kernel, int[] grid, Object... args) {
        Backend cpu = Backends.get("cpu");
        int words = 0;
        for (Object a : args) words += a instanceof TensorDescriptor d ? TensorDescriptor.argumentWords(d.blockShape().length) : 1;
        long[] bits = new long[words];
        for (int i = 0, at = 0; i < args.length; i++) {
            if (args[i] instanceof TensorDescriptor d) {
                at = d.pack(bits, at);
                continue;
            }
            bits[at++] = switch (args[i]) {
                case Tensor t -> t.dataPointer();
                case Integer v -> v;
                case Long v -> v;
                case Float v -> Float.floatToRawIntBits(v);
                case Double v -> Double.doubleToRawLongBits(v);
                case Boolean v -> v ? 1 : 0;
                default -> throw new IllegalArgumentException("not a kernel argument: " + args[i]);
            };
        }
        int[] g = {1, 1, 1};
        System.arraycopy(grid, 0, g, 0, grid.length);
        cpu.launch(kernel, g, bits, 0);
    }
}
