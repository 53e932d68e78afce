package dev.tessera.cpu;

import dev.tessera.backend.CompiledKernel;
import dev.tessera.ir.KernelIR;
import dev.tessera.ir.Printer;
import java.util.Map;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.function.Supplier;

/**
 * A kernel compiled for the CPU: steps that run once per launch on each worker (values that do not
 * depend on the program id), steps that run per program, and a pool of frames to run them in.
 */
final class CpuKernel implements CompiledKernel {
    private final KernelIR ir;
    final int[] paramSlots;
    final Storage[] paramStorage;
    final Step[] prologue;
    final Step[] body;
    private final Supplier<Object[]> slotFactory;
    private final String fusion;
    private final ConcurrentLinkedQueue<ExecFrame> frames = new ConcurrentLinkedQueue<>();

    CpuKernel(KernelIR ir, int[] paramSlots, Storage[] paramStorage, Step[] prologue, Step[] body, Supplier<Object[]> slotFactory,
              String fusion) {
        this.ir = ir;
        this.paramSlots = paramSlots;
        this.paramStorage = paramStorage;
        this.prologue = prologue;
        this.body = body;
        this.slotFactory = slotFactory;
        this.fusion = fusion;
    }

    String name() { return ir.name(); }

    @Override
    public KernelIR ir() { return ir; }

    @Override
    public Map<String, String> artifacts() {
        return fusion.isEmpty() ? Map.of("ir", Printer.print(ir)) : Map.of("ir", Printer.print(ir), "fusion", fusion);
    }

    ExecFrame takeFrame() {
        ExecFrame f = frames.poll();
        return f != null ? f : new ExecFrame(this, slotFactory.get());
    }

    void returnFrame(ExecFrame f) { frames.offer(f); }

    /** Decodes the raw argument bits into the parameters' arrays and runs the launch-invariant steps. */
    void begin(ExecFrame f, long[] args, int[] grid) {
        f.args = args;
        System.arraycopy(grid, 0, f.grid, 0, 3);
        for (int i = 0; i < paramSlots.length; i++) {
            Object a = f.slots[paramSlots[i]];
            long bits = args[i];
            switch (paramStorage[i]) {
                case LONG -> ((long[]) a)[0] = bits;
                case INT -> ((int[]) a)[0] = (int) bits;
                case FLOAT -> ((float[]) a)[0] = Float.intBitsToFloat((int) bits);
                case DOUBLE -> ((double[]) a)[0] = Double.longBitsToDouble(bits);
                case BOOL -> ((boolean[]) a)[0] = bits != 0;
            }
        }
        Lowering.runAll(prologue, f);
    }

    void runProgram(ExecFrame f, int x, int y, int z) {
        f.pid[0] = x;
        f.pid[1] = y;
        f.pid[2] = z;
        Lowering.runAll(body, f);
    }
}
