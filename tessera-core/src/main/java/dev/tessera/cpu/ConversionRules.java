package dev.tessera.cpu;

import dev.tessera.ir.Op;
import dev.tessera.types.DType;
import dev.tessera.types.Numerics;

/** CPU lowering of dtype conversions and bit reinterpretation, following {@link Numerics}. */
final class ConversionRules {
    private ConversionRules() {}

    static Step convert(Op.Convert c, Lowering l) {
        int x = l.slot(c.source()), r = l.slot(c.result());
        DType from = l.dtype(c.source()), to = l.dtype(c.result());
        Numerics.Rounding rounding = c.rounding() == null ? Numerics.Rounding.NEAREST_EVEN : c.rounding();
        Storage sf = Storage.of(from), st = Storage.of(to);
        if (to.isBool()) {
            return switch (sf) {
                case FLOAT -> f -> { float[] a = f.floats(x); boolean[] o = f.bools(r); for (int i = 0; i < o.length; i++) o[i] = a[i] != 0; };
                case DOUBLE -> f -> { double[] a = f.doubles(x); boolean[] o = f.bools(r); for (int i = 0; i < o.length; i++) o[i] = a[i] != 0; };
                case INT -> f -> { int[] a = f.ints(x); boolean[] o = f.bools(r); for (int i = 0; i < o.length; i++) o[i] = a[i] != 0; };
                case LONG -> f -> { long[] a = f.longs(x); boolean[] o = f.bools(r); for (int i = 0; i < o.length; i++) o[i] = a[i] != 0; };
                case BOOL -> copy(x, r);
            };
        }
        if (to.isFloat()) {
            if (st == Storage.DOUBLE) {
                return switch (sf) {
                    case FLOAT -> f -> { float[] a = f.floats(x); double[] o = f.doubles(r); for (int i = 0; i < o.length; i++) o[i] = a[i]; };
                    case DOUBLE -> copy(x, r);
                    default -> f -> { double[] o = f.doubles(r); for (int i = 0; i < o.length; i++) o[i] = Numerics.intToDouble(Elements.getLong(f.slots[x], i, from), from); };
                };
            }
            if (from.isFloat()) {
                if (sf == Storage.FLOAT && isExactWidening(from, to)) return copy(x, r);
                if (rounding == Numerics.Rounding.TOWARD_ZERO && to == DType.F32) { // f64 -> f32 (Numerics encodes only narrow floats)
                    return f -> { double[] a = f.doubles(x); float[] o = f.floats(r); for (int i = 0; i < o.length; i++) o[i] = Numerics.f32TowardZero(a[i]); };
                }
                if (rounding == Numerics.Rounding.TOWARD_ZERO) {
                    return f -> { float[] o = f.floats(r); for (int i = 0; i < o.length; i++) o[i] = Numerics.decode(Numerics.encode(Elements.getDouble(f.slots[x], i), to, rounding), to); };
                }
                if (to == DType.F32) {
                    return f -> { double[] a = f.doubles(x); float[] o = f.floats(r); for (int i = 0; i < o.length; i++) o[i] = (float) a[i]; };
                }
                return f -> { float[] o = f.floats(r); for (int i = 0; i < o.length; i++) o[i] = Numerics.round(Elements.getDouble(f.slots[x], i), to); };
            }
            if (from.bits() == 64 && to == DType.F32) {
                return f -> { float[] o = f.floats(r); long[] a = f.longs(x); for (int i = 0; i < o.length; i++) o[i] = Numerics.intToFloat(a[i], from); };
            }
            if (from.bits() == 64) { // one rounding: through f32 (or an ordinary double) first would round twice
                return f -> { float[] o = f.floats(r); long[] a = f.longs(x); for (int i = 0; i < o.length; i++) o[i] = Numerics.round(Numerics.intToDoubleRoundedToOdd(a[i], from), to); };
            }
            return f -> { float[] o = f.floats(r); for (int i = 0; i < o.length; i++) o[i] = Numerics.round(Numerics.intToDouble(Elements.getLong(f.slots[x], i, from), from), to); };
        }
        // to an integer type
        if (from.isFloat()) {
            return f -> {
                Object o = f.slots[r];
                for (int i = 0, n = java.lang.reflect.Array.getLength(o); i < n; i++) {
                    Elements.setLong(o, i, Numerics.floatToInt(Elements.getDouble(f.slots[x], i), to));
                }
            };
        }
        if (sf == Storage.INT && st == Storage.INT) {
            return f -> { int[] a = f.ints(x), o = f.ints(r); for (int i = 0; i < o.length; i++) o[i] = (int) Numerics.wrap(from == DType.U32 ? Integer.toUnsignedLong(a[i]) : a[i], to); };
        }
        return f -> {
            Object o = f.slots[r];
            for (int i = 0, n = java.lang.reflect.Array.getLength(o); i < n; i++) {
                Elements.setLong(o, i, Numerics.wrap(Elements.getLong(f.slots[x], i, from), to));
            }
        };
    }

    static Step bitcast(Op.Bitcast b, Lowering l) {
        int x = l.slot(b.source());
        var fromT = b.source().type();
        var toT = b.result().type();
        if (Storage.of(fromT) == Storage.of(toT) && (fromT.isPointer() || toT.isPointer() || sameHolding(fromT.dtype(), toT.dtype()))) {
            int r = l.aliasSlot(b.result());
            return f -> f.slots[r] = f.slots[x];
        }
        int r = l.slot(b.result());
        DType from = fromT.isPointer() ? DType.I64 : fromT.dtype(), to = toT.isPointer() ? DType.I64 : toT.dtype();
        return f -> {
            Object o = f.slots[r];
            for (int i = 0, n = java.lang.reflect.Array.getLength(o); i < n; i++) Elements.setBits(o, i, to, Elements.getBits(f.slots[x], i, from));
        };
    }

    /** Every value of {@code from} is a value of {@code to} (both held in float[]). */
    private static boolean isExactWidening(DType from, DType to) {
        return from == to || to == DType.F32 || (from.isFp8() && (to == DType.F16 || to == DType.BF16));
    }

    /** Two dtypes whose arrays hold the same numbers for the same bits (i32 and u32 share bit patterns). */
    private static boolean sameHolding(DType a, DType b) {
        return a == b || (a.bits() == 32 && b.bits() == 32 && a.isInteger() && b.isInteger())
                || (a.bits() == 64 && b.bits() == 64 && a.isInteger() && b.isInteger());
    }

    private static Step copy(int x, int r) {
        return f -> System.arraycopy(f.slots[x], 0, f.slots[r], 0, java.lang.reflect.Array.getLength(f.slots[r]));
    }
}
