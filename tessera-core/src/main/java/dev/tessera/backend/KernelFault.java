package dev.tessera.backend;

/**
 * A kernel failed while running: an out-of-bounds access, a failed device assertion. The message
 * names the kernel, the program id, the source line and what went wrong.
 */
public final class KernelFault extends RuntimeException {
    public KernelFault(String message) { super(message); }
}
