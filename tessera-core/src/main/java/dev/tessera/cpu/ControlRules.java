package dev.tessera.cpu;

import dev.tessera.backend.KernelFault;
import dev.tessera.ir.Op;
import dev.tessera.ir.Region;
import dev.tessera.ir.Value;
import java.util.List;

/**
 * CPU lowering of run-time control flow. Carried values live in the loop's argument arrays; each
 * iteration copies the yielded values into them (through temporaries when one yield is another's
 * argument, so swaps stay correct). Results then share the argument arrays.
 */
final class ControlRules {
    private ControlRules() {}

    static Step forLoop(Op.For op, Lowering l) {
        int lo = l.slot(op.lower()), hi = l.slot(op.upper()), st = l.slot(op.step());
        Region body = op.body();
        Step[] steps = l.region(body);
        int iv = l.slot(body.args().getFirst());
        boolean wide = l.storage(body.args().getFirst()) == Storage.LONG;
        int[] args = slots(l, body.args().subList(1, body.args().size()));
        int[] inits = slots(l, op.inits());
        int[] yields = slots(l, ((Op.Yield) body.terminator()).values());
        int[] results = aliasSlots(l, op.results());
        var loc = op.loc();
        return f -> {
            long from = wide ? f.longs(lo)[0] : f.ints(lo)[0];
            long to = wide ? f.longs(hi)[0] : f.ints(hi)[0];
            long step = wide ? f.longs(st)[0] : f.ints(st)[0];
            if (step <= 0) throw new KernelFault(loc + ": " + f.where() + ": range step must be positive, got " + step);
            copyInto(f, inits, args);
            for (long v = from; v < to; v += step) {
                f.stopIfInterrupted(loc);
                if (wide) f.longs(iv)[0] = v; else f.ints(iv)[0] = (int) v;
                Lowering.runAll(steps, f);
                copyInto(f, yields, args);
            }
            for (int i = 0; i < results.length; i++) f.slots[results[i]] = f.slots[args[i]];
        };
    }

    static Step whileLoop(Op.While op, Lowering l) {
        Step[] cond = l.region(op.condition());
        Step[] body = l.region(op.body());
        int[] condArgs = slots(l, op.condition().args());
        int[] bodyArgs = slots(l, op.body().args());
        int[] inits = slots(l, op.inits());
        int test = l.slot(((Op.Yield) op.condition().terminator()).values().getFirst());
        int[] yields = slots(l, ((Op.Yield) op.body().terminator()).values());
        int[] results = aliasSlots(l, op.results());
        var loc = op.loc();
        return f -> {
            copyInto(f, inits, condArgs);
            while (true) {
                f.stopIfInterrupted(loc);
                Lowering.runAll(cond, f);
                if (!f.bools(test)[0]) break;
                copyInto(f, condArgs, bodyArgs);
                Lowering.runAll(body, f);
                copyInto(f, yields, condArgs);
            }
            for (int i = 0; i < results.length; i++) f.slots[results[i]] = f.slots[condArgs[i]];
        };
    }

    static Step ifThenElse(Op.If op, Lowering l) {
        int c = l.slot(op.condition());
        Step[] thenSteps = l.region(op.thenRegion()), elseSteps = l.region(op.elseRegion());
        int[] thenYields = slots(l, ((Op.Yield) op.thenRegion().terminator()).values());
        int[] elseYields = slots(l, ((Op.Yield) op.elseRegion().terminator()).values());
        int[] results = aliasSlots(l, op.results());
        return f -> {
            boolean taken = f.bools(c)[0];
            Lowering.runAll(taken ? thenSteps : elseSteps, f);
            int[] ys = taken ? thenYields : elseYields;
            for (int i = 0; i < results.length; i++) f.slots[results[i]] = f.slots[ys[i]];
        };
    }

    /** Copies the arrays of {@code from} into those of {@code to}, as if all at once. */
    private static void copyInto(ExecFrame f, int[] from, int[] to) {
        boolean overlapping = false;
        for (int i = 0; i < from.length && !overlapping; i++) {
            for (int j = 0; j < to.length; j++) {
                if (i != j && f.slots[from[i]] == f.slots[to[j]]) {
                    overlapping = true;
                    break;
                }
            }
        }
        Object[] sources = new Object[from.length];
        for (int i = 0; i < from.length; i++) {
            Object s = f.slots[from[i]];
            sources[i] = overlapping ? cloneArray(s) : s;
        }
        for (int i = 0; i < from.length; i++) {
            Object dst = f.slots[to[i]];
            if (sources[i] != dst) System.arraycopy(sources[i], 0, dst, 0, java.lang.reflect.Array.getLength(dst));
        }
    }

    private static Object cloneArray(Object a) {
        return switch (a) {
            case float[] x -> x.clone();
            case double[] x -> x.clone();
            case int[] x -> x.clone();
            case long[] x -> x.clone();
            case boolean[] x -> x.clone();
            default -> throw new IllegalStateException();
        };
    }

    private static int[] slots(Lowering l, List<Value> values) {
        return values.stream().mapToInt(l::slot).toArray();
    }

    private static int[] aliasSlots(Lowering l, List<Value> values) {
        return values.stream().mapToInt(l::aliasSlot).toArray();
    }
}
