package dev.tessera.lang;

/**
 * Memory-model options of loads, stores and atomics, as kernels pass them (Triton's
 * {@code cache_modifier}, {@code eviction_policy}, {@code sem} and {@code scope}). The IR has
 * counterparts of the same names, which the language maps these onto.
 */
public final class MemoryOrder {
    private MemoryOrder() {}

    /** Cache operator of a load or store ({@code .ca}, {@code .cg}, ... in PTX; NONE for the default). */
    public enum Cache { NONE, CA, CG, CS, CV, WB, WT }

    /** L2 eviction priority hint. */
    public enum Eviction { NORMAL, FIRST, LAST }

    /** Ordering of an atomic with respect to other memory operations. */
    public enum Semantic { RELAXED, ACQUIRE, RELEASE, ACQ_REL }

    /** Which threads an atomic's ordering is guaranteed against: the block, the device, the system. */
    public enum Scope { CTA, GPU, SYS }
}
