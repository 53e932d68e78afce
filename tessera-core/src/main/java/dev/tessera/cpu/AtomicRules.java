package dev.tessera.cpu;

import dev.tessera.ir.Op;
import dev.tessera.types.DType;
import dev.tessera.types.Numerics;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.VarHandle;

/**
 * CPU lowering of atomics: real atomic operations on device memory (programs run on many threads),
 * one lane after another, after every active lane's address was checked (a faulty atomic changes
 * nothing). Float and narrow updates are compare-and-swap loops on the aligned word that holds the
 * element. Masked-off lanes return 0.
 */
final class AtomicRules {
    private AtomicRules() {}

    private static final VarHandle INT = ValueLayout.JAVA_INT.varHandle();
    private static final VarHandle LONG = ValueLayout.JAVA_LONG.varHandle();

    static Step rmw(Op.AtomicRmw op, Lowering l) {
        int p = l.slot(op.pointer()), v = l.slot(op.value()), r = l.slot(op.result());
        int m = op.mask() == null ? -1 : l.slot(op.mask());
        DType t = l.dtype(op.value());
        Op.AtomicRmw.Fn fn = op.fn();
        MemoryRules.Site site = new MemoryRules.Site("atomic " + fn.name().toLowerCase(java.util.Locale.ROOT), t, op.loc());
        return f -> {
            long[] ptr = f.longs(p);
            boolean[] mask = m < 0 ? null : f.bools(m);
            Object val = f.slots[v], out = f.slots[r];
            // every active lane is checked before any is applied, so a faulty atomic, like a faulty store,
            // changes nothing (a recorded program skips bad lanes instead, lane by lane below)
            for (int i = 0; i < ptr.length && !f.recording; i++) {
                if (mask == null || mask[i]) MemoryRules.checkRun(f, site, ptr[i], i, i + 1, t.byteSize());
            }
            for (int i = 0; i < ptr.length; i++) {
                if (mask != null && !mask[i]) {
                    if (f.recording) RecordingRules.lane(f, site, AccessRecorder.Kind.ATOMIC, ptr[i], true, i);
                    MemoryAccess.fill(out, i, null);
                    continue;
                }
                if (f.recording && !RecordingRules.lane(f, site, AccessRecorder.Kind.ATOMIC, ptr[i], false, i)) {
                    MemoryAccess.fill(out, i, null); // out of bounds while recording: skipped
                    continue;
                }
                MemorySegment seg = CpuMemory.lookup(ptr[i]).segment; // checked above (or by the recorder)
                long off = CpuMemory.offsetOf(ptr[i]);
                long operand = Elements.getBits(val, i, t);
                Elements.setBits(out, i, t, update(seg, off, t, fn, operand));
            }
        };
    }

    static Step cas(Op.AtomicCas op, Lowering l) {
        int p = l.slot(op.pointer()), c = l.slot(op.compare()), v = l.slot(op.value()), r = l.slot(op.result());
        DType t = l.dtype(op.value());
        MemoryRules.Site site = new MemoryRules.Site("atomic cas", t, op.loc());
        return f -> {
            long[] ptr = f.longs(p);
            Object cmp = f.slots[c], val = f.slots[v], out = f.slots[r];
            for (int i = 0; i < ptr.length && !f.recording; i++) MemoryRules.checkRun(f, site, ptr[i], i, i + 1, t.byteSize());
            for (int i = 0; i < ptr.length; i++) {
                if (f.recording && !RecordingRules.lane(f, site, AccessRecorder.Kind.ATOMIC, ptr[i], false, i)) {
                    MemoryAccess.fill(out, i, null); // out of bounds while recording: skipped
                    continue;
                }
                MemorySegment seg = CpuMemory.lookup(ptr[i]).segment; // checked above (or by the recorder)
                long off = CpuMemory.offsetOf(ptr[i]);
                long expected = Elements.getBits(cmp, i, t), desired = Elements.getBits(val, i, t);
                long old = switch (t.bits()) {
                    case 64 -> (long) LONG.compareAndExchange(seg, off, expected, desired);
                    case 32 -> (int) INT.compareAndExchange(seg, off, (int) expected, (int) desired) & 0xFFFF_FFFFL;
                    default -> narrowUpdate(seg, off, t, bits -> bits == expected ? desired : bits);
                };
                Elements.setBits(out, i, t, old);
            }
        };
    }

    /** Applies fn with the operand at (seg, off) atomically; returns the old bit pattern. */
    private static long update(MemorySegment seg, long off, DType t, Op.AtomicRmw.Fn fn, long operand) {
        if (t.isInteger() && t.bits() == 32) {
            int x = (int) operand;
            return 0xFFFF_FFFFL & switch (fn) {
                case ADD -> (int) INT.getAndAdd(seg, off, x);
                case AND -> (int) INT.getAndBitwiseAnd(seg, off, x);
                case OR -> (int) INT.getAndBitwiseOr(seg, off, x);
                case XOR -> (int) INT.getAndBitwiseXor(seg, off, x);
                case XCHG -> (int) INT.getAndSet(seg, off, x);
                case MAX, MIN -> casLoop32(seg, off, old -> combine(fn, t, old & 0xFFFF_FFFFL, operand));
            };
        }
        if (t.isInteger() && t.bits() == 64) {
            return switch (fn) {
                case ADD -> (long) LONG.getAndAdd(seg, off, operand);
                case AND -> (long) LONG.getAndBitwiseAnd(seg, off, operand);
                case OR -> (long) LONG.getAndBitwiseOr(seg, off, operand);
                case XOR -> (long) LONG.getAndBitwiseXor(seg, off, operand);
                case XCHG -> (long) LONG.getAndSet(seg, off, operand);
                case MAX, MIN -> casLoop64(seg, off, old -> combine(fn, t, old, operand));
            };
        }
        return switch (t.bits()) {
            case 64 -> casLoop64(seg, off, old -> combine(fn, t, old, operand));
            case 32 -> casLoop32(seg, off, old -> combine(fn, t, old & 0xFFFF_FFFFL, operand)) & 0xFFFF_FFFFL;
            default -> narrowUpdate(seg, off, t, old -> combine(fn, t, old, operand));
        };
    }

    /** The new bit pattern from the old one and the operand. */
    private static long combine(Op.AtomicRmw.Fn fn, DType t, long oldBits, long operandBits) {
        if (fn == Op.AtomicRmw.Fn.XCHG) return operandBits;
        if (t.isFloat()) {
            double a = fromBits(oldBits, t), b = fromBits(operandBits, t);
            double r = switch (fn) {
                case ADD -> a + b;
                case MAX -> ElementwiseRules.fmax(a, b);
                case MIN -> ElementwiseRules.fmin(a, b);
                default -> throw new IllegalStateException(fn + " on floats");
            };
            return toBits(r, t);
        }
        boolean unsigned = t.isUnsigned();
        long a = Numerics.wrap(oldBits, t), b = Numerics.wrap(operandBits, t);
        long r = switch (fn) {
            case ADD -> a + b;
            case MAX -> (unsigned ? Long.compareUnsigned(a, b) : Long.compare(a, b)) >= 0 ? a : b;
            case MIN -> (unsigned ? Long.compareUnsigned(a, b) : Long.compare(a, b)) <= 0 ? a : b;
            case AND -> a & b;
            case OR -> a | b;
            case XOR -> a ^ b;
            case XCHG -> b;
        };
        return t.bits() == 64 ? r : r & ((1L << t.bits()) - 1);
    }

    private static double fromBits(long bits, DType t) {
        return switch (t) {
            case F64 -> Double.longBitsToDouble(bits);
            case F32 -> Float.intBitsToFloat((int) bits);
            default -> Numerics.decode((int) bits, t);
        };
    }

    private static long toBits(double v, DType t) {
        return switch (t) {
            case F64 -> Double.doubleToRawLongBits(v);
            case F32 -> Float.floatToRawIntBits((float) v) & 0xFFFF_FFFFL;
            default -> Numerics.encode(v, t);
        };
    }

    private static long casLoop32(MemorySegment seg, long off, java.util.function.LongUnaryOperator next) {
        while (true) {
            int old = (int) INT.getVolatile(seg, off);
            int desired = (int) next.applyAsLong(old);
            if (INT.compareAndSet(seg, off, old, desired)) return old;
        }
    }

    private static long casLoop64(MemorySegment seg, long off, java.util.function.LongUnaryOperator next) {
        while (true) {
            long old = (long) LONG.getVolatile(seg, off);
            if (LONG.compareAndSet(seg, off, old, next.applyAsLong(old))) return old;
        }
    }

    /** An atomic update of a 16-bit element through the aligned 32-bit word that holds it. */
    private static long narrowUpdate(MemorySegment seg, long off, DType t, java.util.function.LongUnaryOperator next) {
        long word = off & ~3L;
        int shift = (int) (off - word) * 8;
        long mask = (1L << t.bits()) - 1;
        while (true) {
            int old = (int) INT.getVolatile(seg, word);
            long oldBits = (old >>> shift) & mask;
            long newBits = next.applyAsLong(oldBits) & mask;
            int desired = (int) ((old & ~(mask << shift)) | (newBits << shift));
            if (INT.compareAndSet(seg, word, old, desired)) return oldBits;
        }
    }
}
