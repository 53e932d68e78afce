package dev.tessera.ir;

/** Memory-model options of loads, stores and atomics (Triton's cache, eviction, sem and scope). */
public final class MemoryOrder {
    private MemoryOrder() {}

    /** Cache operator of a load or store ({@code .ca}, {@code .cg}, ... in PTX). */
    public enum Cache { NONE, CA, CG, CS, CV, WB, WT }

    /** L2 eviction priority hint. */
    public enum Eviction { NORMAL, FIRST, LAST }

    /** Ordering of an atomic with respect to other memory operations. */
    public enum Semantic { RELAXED, ACQUIRE, RELEASE, ACQ_REL }

    /** Which threads an atomic's ordering is guaranteed against. */
    public enum Scope { CTA, GPU, SYS }
}
