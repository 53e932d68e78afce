package dev.tessera.runtime;

import java.io.Serializable;
import java.lang.invoke.SerializedLambda;

/**
 * A method reference to a {@code @Kernel} method, for {@code Jit.kernel(MyKernels::add)}: unlike a
 * name in a string, it is checked by the compiler and follows renames. One interface per number of
 * parameters (the reference's own types are inferred); being serializable, a reference says which
 * method it names ({@link SerializedLambda}).
 */
public sealed interface KernelRef extends Serializable permits KernelRef.Of1, KernelRef.Of2, KernelRef.Of3, KernelRef.Of4, KernelRef.Of5, KernelRef.Of6, KernelRef.Of7, KernelRef.Of8, KernelRef.Of9, KernelRef.Of10, KernelRef.Of11, KernelRef.Of12, KernelRef.Of13, KernelRef.Of14, KernelRef.Of15, KernelRef.Of16, KernelRef.Of17, KernelRef.Of18, KernelRef.Of19, KernelRef.Of20 {
    /** A kernel of 1 parameter. */
    @FunctionalInterface non-sealed interface Of1<A> extends KernelRef { void kernel(A a); }

    /** A kernel of 2 parameters. */
    @FunctionalInterface non-sealed interface Of2<A, B> extends KernelRef { void kernel(A a, B b); }

    /** A kernel of 3 parameters. */
    @FunctionalInterface non-sealed interface Of3<A, B, C> extends KernelRef { void kernel(A a, B b, C c); }

    /** A kernel of 4 parameters. */
    @FunctionalInterface non-sealed interface Of4<A, B, C, D> extends KernelRef { void kernel(A a, B b, C c, D d); }

    /** A kernel of 5 parameters. */
    @FunctionalInterface non-sealed interface Of5<A, B, C, D, E> extends KernelRef { void kernel(A a, B b, C c, D d, E e); }

    /** A kernel of 6 parameters. */
    @FunctionalInterface non-sealed interface Of6<A, B, C, D, E, F> extends KernelRef { void kernel(A a, B b, C c, D d, E e, F f); }

    /** A kernel of 7 parameters. */
    @FunctionalInterface non-sealed interface Of7<A, B, C, D, E, F, G> extends KernelRef { void kernel(A a, B b, C c, D d, E e, F f, G g); }

    /** A kernel of 8 parameters. */
    @FunctionalInterface non-sealed interface Of8<A, B, C, D, E, F, G, H> extends KernelRef { void kernel(A a, B b, C c, D d, E e, F f, G g, H h); }

    /** A kernel of 9 parameters. */
    @FunctionalInterface non-sealed interface Of9<A, B, C, D, E, F, G, H, I> extends KernelRef { void kernel(A a, B b, C c, D d, E e, F f, G g, H h, I i); }

    /** A kernel of 10 parameters. */
    @FunctionalInterface non-sealed interface Of10<A, B, C, D, E, F, G, H, I, J> extends KernelRef { void kernel(A a, B b, C c, D d, E e, F f, G g, H h, I i, J j); }

    /** A kernel of 11 parameters. */
    @FunctionalInterface non-sealed interface Of11<A, B, C, D, E, F, G, H, I, J, K> extends KernelRef { void kernel(A a, B b, C c, D d, E e, F f, G g, H h, I i, J j, K k); }

    /** A kernel of 12 parameters. */
    @FunctionalInterface non-sealed interface Of12<A, B, C, D, E, F, G, H, I, J, K, L> extends KernelRef { void kernel(A a, B b, C c, D d, E e, F f, G g, H h, I i, J j, K k, L l); }

    /** A kernel of 13 parameters. */
    @FunctionalInterface non-sealed interface Of13<A, B, C, D, E, F, G, H, I, J, K, L, M> extends KernelRef { void kernel(A a, B b, C c, D d, E e, F f, G g, H h, I i, J j, K k, L l, M m); }

    /** A kernel of 14 parameters. */
    @FunctionalInterface non-sealed interface Of14<A, B, C, D, E, F, G, H, I, J, K, L, M, N> extends KernelRef { void kernel(A a, B b, C c, D d, E e, F f, G g, H h, I i, J j, K k, L l, M m, N n); }

    /** A kernel of 15 parameters. */
    @FunctionalInterface non-sealed interface Of15<A, B, C, D, E, F, G, H, I, J, K, L, M, N, O> extends KernelRef { void kernel(A a, B b, C c, D d, E e, F f, G g, H h, I i, J j, K k, L l, M m, N n, O o); }

    /** A kernel of 16 parameters. */
    @FunctionalInterface non-sealed interface Of16<A, B, C, D, E, F, G, H, I, J, K, L, M, N, O, P> extends KernelRef { void kernel(A a, B b, C c, D d, E e, F f, G g, H h, I i, J j, K k, L l, M m, N n, O o, P p); }

    /** A kernel of 17 parameters. */
    @FunctionalInterface non-sealed interface Of17<A, B, C, D, E, F, G, H, I, J, K, L, M, N, O, P, Q> extends KernelRef { void kernel(A a, B b, C c, D d, E e, F f, G g, H h, I i, J j, K k, L l, M m, N n, O o, P p, Q q); }

    /** A kernel of 18 parameters. */
    @FunctionalInterface non-sealed interface Of18<A, B, C, D, E, F, G, H, I, J, K, L, M, N, O, P, Q, R> extends KernelRef { void kernel(A a, B b, C c, D d, E e, F f, G g, H h, I i, J j, K k, L l, M m, N n, O o, P p, Q q, R r); }

    /** A kernel of 19 parameters. */
    @FunctionalInterface non-sealed interface Of19<A, B, C, D, E, F, G, H, I, J, K, L, M, N, O, P, Q, R, S> extends KernelRef { void kernel(A a, B b, C c, D d, E e, F f, G g, H h, I i, J j, K k, L l, M m, N n, O o, P p, Q q, R r, S s); }

    /** A kernel of 20 parameters. */
    @FunctionalInterface non-sealed interface Of20<A, B, C, D, E, F, G, H, I, J, K, L, M, N, O, P, Q, R, S, T> extends KernelRef { void kernel(A a, B b, C c, D d, E e, F f, G g, H h, I i, J j, K k, L l, M m, N n, O o, P p, Q q, R r, S s, T t); }
}
