package dev.tessera.lang;

/** The read-modify-write of {@link TL#atomic}: add, max, min, and, or, xor, exchange. */
public enum AtomicOp { ADD, MAX, MIN, AND, OR, XOR, XCHG }
