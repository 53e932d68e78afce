package dev.tessera.runtime;

import java.lang.invoke.MethodHandleInfo;
import java.lang.invoke.SerializedLambda;
import java.lang.reflect.Method;

/** Entry point: {@code static final JitKernel ADD = Jit.kernel(VectorAdd::add);} (or {@code Jit.kernel(VectorAdd.class, "add")}). */
public final class Jit {
    private Jit() {}

    /** The {@code @Kernel} method {@code name} of {@code owner}, ready to launch. */
    public static JitKernel kernel(Class<?> owner, String name) { return JitKernel.of(owner, name); }

    /**
     * The {@code @Kernel} method a method reference names, ready to launch:
     * {@code Jit.kernel(VectorAdd::add)} (checked by the compiler, and kept right by renames).
     */
    public static <A> JitKernel kernel(KernelRef.Of1<A> kernel) { return resolve(kernel); }

    public static <A, B> JitKernel kernel(KernelRef.Of2<A, B> kernel) { return resolve(kernel); }

    public static <A, B, C> JitKernel kernel(KernelRef.Of3<A, B, C> kernel) { return resolve(kernel); }

    public static <A, B, C, D> JitKernel kernel(KernelRef.Of4<A, B, C, D> kernel) { return resolve(kernel); }

    public static <A, B, C, D, E> JitKernel kernel(KernelRef.Of5<A, B, C, D, E> kernel) { return resolve(kernel); }

    public static <A, B, C, D, E, F> JitKernel kernel(KernelRef.Of6<A, B, C, D, E, F> kernel) { return resolve(kernel); }

    public static <A, B, C, D, E, F, G> JitKernel kernel(KernelRef.Of7<A, B, C, D, E, F, G> kernel) { return resolve(kernel); }

    public static <A, B, C, D, E, F, G, H> JitKernel kernel(KernelRef.Of8<A, B, C, D, E, F, G, H> kernel) { return resolve(kernel); }

    public static <A, B, C, D, E, F, G, H, I> JitKernel kernel(KernelRef.Of9<A, B, C, D, E, F, G, H, I> kernel) { return resolve(kernel); }

    public static <A, B, C, D, E, F, G, H, I, J> JitKernel kernel(KernelRef.Of10<A, B, C, D, E, F, G, H, I, J> kernel) { return resolve(kernel); }

    public static <A, B, C, D, E, F, G, H, I, J, K> JitKernel kernel(KernelRef.Of11<A, B, C, D, E, F, G, H, I, J, K> kernel) { return resolve(kernel); }

    public static <A, B, C, D, E, F, G, H, I, J, K, L> JitKernel kernel(KernelRef.Of12<A, B, C, D, E, F, G, H, I, J, K, L> kernel) { return resolve(kernel); }

    public static <A, B, C, D, E, F, G, H, I, J, K, L, M> JitKernel kernel(KernelRef.Of13<A, B, C, D, E, F, G, H, I, J, K, L, M> kernel) { return resolve(kernel); }

    public static <A, B, C, D, E, F, G, H, I, J, K, L, M, N> JitKernel kernel(KernelRef.Of14<A, B, C, D, E, F, G, H, I, J, K, L, M, N> kernel) { return resolve(kernel); }

    public static <A, B, C, D, E, F, G, H, I, J, K, L, M, N, O> JitKernel kernel(KernelRef.Of15<A, B, C, D, E, F, G, H, I, J, K, L, M, N, O> kernel) { return resolve(kernel); }

    public static <A, B, C, D, E, F, G, H, I, J, K, L, M, N, O, P> JitKernel kernel(KernelRef.Of16<A, B, C, D, E, F, G, H, I, J, K, L, M, N, O, P> kernel) { return resolve(kernel); }

    public static <A, B, C, D, E, F, G, H, I, J, K, L, M, N, O, P, Q> JitKernel kernel(KernelRef.Of17<A, B, C, D, E, F, G, H, I, J, K, L, M, N, O, P, Q> kernel) { return resolve(kernel); }

    public static <A, B, C, D, E, F, G, H, I, J, K, L, M, N, O, P, Q, R> JitKernel kernel(KernelRef.Of18<A, B, C, D, E, F, G, H, I, J, K, L, M, N, O, P, Q, R> kernel) { return resolve(kernel); }

    public static <A, B, C, D, E, F, G, H, I, J, K, L, M, N, O, P, Q, R, S> JitKernel kernel(KernelRef.Of19<A, B, C, D, E, F, G, H, I, J, K, L, M, N, O, P, Q, R, S> kernel) { return resolve(kernel); }

    public static <A, B, C, D, E, F, G, H, I, J, K, L, M, N, O, P, Q, R, S, T> JitKernel kernel(KernelRef.Of20<A, B, C, D, E, F, G, H, I, J, K, L, M, N, O, P, Q, R, S, T> kernel) { return resolve(kernel); }

    /** The kernel a method reference names: the class and method its {@link SerializedLambda} records. */
    private static JitKernel resolve(KernelRef ref) {
        SerializedLambda lambda;
        try {
            Method writeReplace = ref.getClass().getDeclaredMethod("writeReplace");
            writeReplace.setAccessible(true);
            lambda = (SerializedLambda) writeReplace.invoke(ref);
        } catch (ReflectiveOperationException | RuntimeException e) {
            throw new IllegalArgumentException("Jit.kernel could not read which method " + ref + " refers to (" + e + "); use Jit.kernel(Owner.class, \"name\")", e);
        }
        String name = lambda.getImplMethodName();
        if (lambda.getImplMethodKind() != MethodHandleInfo.REF_invokeStatic || name.startsWith("lambda$")) {
            throw new IllegalArgumentException("Jit.kernel takes a method reference to a static @Kernel method (MyKernels::add), not a lambda or an instance method");
        }
        try {
            Class<?> owner = Class.forName(lambda.getImplClass().replace('/', '.'), false, ref.getClass().getClassLoader());
            return JitKernel.of(owner, name);
        } catch (ClassNotFoundException e) {
            throw new IllegalArgumentException("Jit.kernel: the class of " + lambda.getImplClass() + "::" + name + " is not visible here", e);
        }
    }
}
