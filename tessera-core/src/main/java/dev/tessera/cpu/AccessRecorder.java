package dev.tessera.cpu;

import dev.tessera.ir.Loc;

/**
 * Watches the memory accesses of a CPU launch, lane by lane: what the puzzles' visualizer draws.
 * Install one on the launching thread around the launches to watch:
 *
 * <pre>{@code
 * try (var scope = AccessRecorder.install(access -> accesses.add(access))) {
 *     kernel.launch(grid(4), x, y, out, n, 16);
 * }
 * }</pre>
 *
 * While a recorder is installed, launches from this thread run their programs one after another on
 * this thread (so the recorder need not be thread-safe), and in the programs it {@linkplain
 * #records selects} every lane of every load, store and atomic is reported, masked-off lanes
 * included. An out-of-bounds lane is reported instead of failing the launch: a load gives its
 * {@code other} value (or 0) there, a store or atomic skips it. Programs it does not select run as
 * usual (an out-of-bounds access there still fails). With no recorder installed, launches pay
 * nothing for this.
 */
@FunctionalInterface
public interface AccessRecorder {

    enum Kind { LOAD, STORE, ATOMIC }

    /**
     * One lane of one memory access.
     *
     * @param bufferAddress the device address of byte 0 of the buffer the lane's address points
     *                      into ({@code Buffer.address()} of a tensor's storage); an address outside
     *                      every buffer still names the buffer it strayed from
     * @param byteOffset    the lane's offset from {@code bufferAddress}, in bytes (negative or past
     *                      the end when out of bounds)
     * @param masked        the lane's mask was false: nothing was read or written
     * @param outOfBounds   the lane was active but its address lies outside the buffer (or the buffer
     *                      is not live, or the address is misaligned)
     * @param lane          the lane's index in the (flattened) pointer tile
     * @param loc           the source line of the load, store or atomic
     */
    record Access(Kind kind, int pidX, int pidY, int pidZ, long bufferAddress, long byteOffset, int elementBytes,
                  boolean masked, boolean outOfBounds, int lane, Loc loc) {

        /** The element index within the buffer (floor of byteOffset / elementBytes). */
        public long element() { return Math.floorDiv(byteOffset, elementBytes); }
    }

    /** Whether to record the program with this id; the default records every program. */
    default boolean records(int pidX, int pidY, int pidZ) { return true; }

    /** Called once per lane, in program order. */
    void record(Access access);

    /**
     * Installs {@code recorder} for CPU launches made from this thread until the returned scope is
     * closed (scopes nest; closing restores the previous recorder).
     */
    static Scope install(AccessRecorder recorder) {
        AccessRecorder previous = RecordingRules.INSTALLED.get();
        RecordingRules.INSTALLED.set(recorder);
        return () -> {
            if (previous == null) RecordingRules.INSTALLED.remove();
            else RecordingRules.INSTALLED.set(previous);
        };
    }

    /** The recorder installed on this thread, or null. */
    static AccessRecorder current() { return RecordingRules.INSTALLED.get(); }

    /** Closing uninstalls the recorder. */
    interface Scope extends AutoCloseable {
        @Override
        void close();
    }
}
