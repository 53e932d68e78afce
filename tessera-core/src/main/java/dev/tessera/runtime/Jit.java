package dev.tessera.runtime;

/** Entry point: {@code static final JitKernel ADD = Jit.kernel(VectorAdd.class, "add");}. */
public final class Jit {
    private Jit() {}

    /** The {@code @Kernel} method {@code name} of {@code owner}, ready to launch. */
    public static JitKernel kernel(Class<?> owner, String name) { return JitKernel.of(owner, name); }
}
