package dev.tessera.cuda.codegen.gpu;

/**
 * Words of shared memory holding mbarriers, the objects Hopper's copy unit reports a finished
 * transfer to ({@code complete_tx}) and threads wait on: {@code count} of them, 8 bytes each,
 * placed by {@link AllocateShared}: a single load's at the start of shared memory for the whole
 * kernel (initialized once in the prologue, so that its phases run on across loop trips), a
 * pipelined loop's beside its buffers while the loop runs.
 *
 * <p>They live in the one dynamic array, not in a {@code .shared} variable of their own: static
 * shared memory comes first in the window and pushes the dynamic array off the window's
 * alignment, and PTX's {@code .align} on an {@code .extern .shared} array is not honoured beyond
 * 16 bytes (a TMA box needs 128, wgmma's 128-byte swizzle 1024). A static barrier made every
 * TMA kernel fault with a misaligned shared address on the H200.
 *
 * @param name  what they serve, for printing
 * @param count how many words (one per pipeline slot, or one for a single load site)
 */
public record MBarriers(String name, int count) {
    public static final int BYTES = 8;

    public int bytes() { return count * BYTES; }

    @Override
    public String toString() { return "%mbarrier_" + name + "<" + count + ">"; }
}
