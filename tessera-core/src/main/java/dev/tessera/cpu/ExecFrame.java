package dev.tessera.cpu;

import dev.tessera.backend.KernelFault;

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
    /** The launch this frame works for: its interrupt stops it (see {@link #stopIfInterrupted}). */
    CpuLauncher.Launch launch;
    /** Set while a launch is recorded: the recorder, and whether it records the current program. */
    AccessRecorder recorder;
    boolean recording;
    private int[] scratch = new int[0];
    private final float[][] floatScratch = new float[2][0];
    private long[] chunkOffsets = new long[0];
    private java.lang.foreign.MemorySegment[] segments = new java.lang.foreign.MemorySegment[0];

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

    /** A reusable long array of at least n elements, for a fused step's chunk addresses. */
    long[] chunkOffsets(int n) {
        if (chunkOffsets.length < n) chunkOffsets = new long[n];
        return chunkOffsets;
    }

    /** A reusable array of at least n segments, for a fused step's accesses. */
    java.lang.foreign.MemorySegment[] segments(int n) {
        if (segments.length < n) segments = new java.lang.foreign.MemorySegment[n];
        return segments;
    }

    /**
     * Ends the launch if the thread that launched it has been interrupted; checked between programs
     * and in every trip of a run-time loop, so a loop that never ends can be stopped.
     */
    void stopIfInterrupted(Object loc) {
        if (launch.interrupted()) {
            throw new KernelFault((loc != null ? loc + ": " : "") + where() + ": the launch was interrupted (Thread.interrupt) and stopped");
        }
    }

    /** "add (program 3, 0, 0)", for fault messages. */
    String where() { return kernel.name() + " (program " + pid[0] + ", " + pid[1] + ", " + pid[2] + ")"; }
}
