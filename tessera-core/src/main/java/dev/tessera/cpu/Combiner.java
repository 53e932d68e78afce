package dev.tessera.cpu;

import dev.tessera.ir.Op;
import dev.tessera.ir.Region;

/**
 * A user combine function (custom reduce or scan), compiled like any region: its two arguments and
 * its values have slots in the frame. The running value lives in the first argument's slot.
 */
final class Combiner {
    private final int accumulator, incoming, result;
    private final Step[] steps;

    private Combiner(int accumulator, int incoming, int result, Step[] steps) {
        this.accumulator = accumulator;
        this.incoming = incoming;
        this.result = result;
        this.steps = steps;
    }

    static Combiner of(Region r, Lowering l) {
        Step[] steps = l.region(r);
        Op.Yield y = (Op.Yield) r.terminator();
        return new Combiner(l.slot(r.args().get(0)), l.slot(r.args().get(1)), l.slot(y.values().getFirst()), steps);
    }

    State state(ExecFrame f) { return new State(f); }

    /** Combining within one frame. */
    final class State {
        private final ExecFrame f;

        State(ExecFrame f) { this.f = f; }

        void load(Object in, int i) { Elements.copy(in, i, f.slots[accumulator], 0); }

        void combineWith(Object in, int i) {
            Elements.copy(in, i, f.slots[incoming], 0);
            Lowering.runAll(steps, f);
            Elements.copy(f.slots[result], 0, f.slots[accumulator], 0);
        }

        void store(Object out, int i) { Elements.copy(f.slots[accumulator], 0, out, i); }
    }
}
