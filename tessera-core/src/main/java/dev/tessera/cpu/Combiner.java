package dev.tessera.cpu;

import dev.tessera.ir.Op;
import dev.tessera.ir.Region;
import java.lang.reflect.Array;

/**
 * A user combine function (custom reduce or scan, of one tile or of a tuple of N), compiled like
 * any region: its 2N arguments (N accumulated, N incoming) and its values have slots in the frame.
 * The running values live in the first N arguments' slots.
 */
final class Combiner {
    private final int[] accumulators, incoming, results;
    private final Step[] steps;

    private Combiner(int[] accumulators, int[] incoming, int[] results, Step[] steps) {
        this.accumulators = accumulators;
        this.incoming = incoming;
        this.results = results;
        this.steps = steps;
    }

    static Combiner of(Region r, Lowering l) {
        Step[] steps = l.region(r);
        Op.Yield y = (Op.Yield) r.terminator();
        int n = y.values().size();
        int[] acc = new int[n], in = new int[n], res = new int[n];
        for (int i = 0; i < n; i++) {
            acc[i] = l.slot(r.args().get(i));
            in[i] = l.slot(r.args().get(n + i));
            res[i] = l.slot(y.values().get(i));
        }
        return new Combiner(acc, in, res, steps);
    }

    State state(ExecFrame f) { return new State(f); }

    /** Combining within one frame. */
    final class State {
        private final ExecFrame f;
        /** The results of one combine, held apart before they become the accumulators (a result may be another's accumulator). */
        private final Object[] held;

        State(ExecFrame f) {
            this.f = f;
            held = new Object[results.length];
            for (int i = 0; i < held.length; i++) held[i] = Array.newInstance(f.slots[accumulators[i]].getClass().getComponentType(), 1);
        }

        /** Starts from element {@code i} of the single input. */
        void load(Object in, int i) { Elements.copy(in, i, f.slots[accumulators[0]], 0); }

        void combineWith(Object in, int i) {
            Elements.copy(in, i, f.slots[incoming[0]], 0);
            Lowering.runAll(steps, f);
            Elements.copy(f.slots[results[0]], 0, f.slots[accumulators[0]], 0);
        }

        void store(Object out, int i) { Elements.copy(f.slots[accumulators[0]], 0, out, i); }

        /** Starts from element {@code i} of each input of a tuple. */
        void load(Object[] ins, int i) {
            for (int k = 0; k < ins.length; k++) Elements.copy(ins[k], i, f.slots[accumulators[k]], 0);
        }

        void combineWith(Object[] ins, int i) {
            for (int k = 0; k < ins.length; k++) Elements.copy(ins[k], i, f.slots[incoming[k]], 0);
            Lowering.runAll(steps, f);
            for (int k = 0; k < ins.length; k++) Elements.copy(f.slots[results[k]], 0, held[k], 0);
            for (int k = 0; k < ins.length; k++) Elements.copy(held[k], 0, f.slots[accumulators[k]], 0);
        }

        void store(Object[] outs, int i) {
            for (int k = 0; k < outs.length; k++) Elements.copy(f.slots[accumulators[k]], 0, outs[k], i);
        }
    }
}
