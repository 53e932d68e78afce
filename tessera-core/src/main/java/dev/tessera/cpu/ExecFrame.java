package dev.tessera.cpu;

/**
 * The state of one worker running programs of a kernel: one array per IR value (reused from program
 * to program and launch to launch), the current program id and the grid.
 */
final class ExecFrame {
    final Object[] slots;
    final CpuKernel kernel;
    final int[] pid = new int[3];
    final int[] grid = new int[3];
    long[] args;
    /** Set while a launch is recorded: the recorder, and whether it records the current program. */
    AccessRecorder recorder;
    boolean recording;
    private int[] scratch = new int[0];
    private final float[][] floatScratch = new float[2][0];

    ExecFrame(CpuKernel kernel, Object[] slots) {
        this.kernel = kernel;
        this.slots = slots;
    }

    int[] ints(int slot) { return (int[]) slots[slot]; }

    long[] longs(int slot) { return (long[]) slots[slot]; }

    float[] floats(int slot) { return (float[]) slots[slot]; }

    double[] doubles(int slot) { return (double[]) slots[slot]; }

    boolean[] bools(int slot) { return (boolean[]) slots[slot]; }

    /** A reusable int array of at least n elements (for bookkeeping inside one step). */
    int[] scratch(int n) {
        if (scratch.length < n) scratch = new int[n];
        return scratch;
    }

    /** Reusable float arrays (two, by index) of at least n elements. */
    float[] floatScratch(int index, int n) {
        if (floatScratch[index].length < n) floatScratch[index] = new float[n];
        return floatScratch[index];
    }

    /** "add (program 3, 0, 0)", for fault messages. */
    String where() { return kernel.name() + " (program " + pid[0] + ", " + pid[1] + ", " + pid[2] + ")"; }
}
