package dev.tessera.cpu;

import dev.tessera.ir.KernelIR;
import dev.tessera.ir.Op;
import dev.tessera.ir.Value;
import java.util.ArrayList;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Set;

/**
 * Compiles optimized IR into steps. Top-level ops that depend only on the arguments (not on the
 * program id or memory) move to a prologue that runs once per launch on each worker.
 */
final class CpuCompiler {
    private CpuCompiler() {}

    static CpuKernel compile(KernelIR ir) {
        Lowering l = new Lowering(ir);
        int n = ir.params().size();
        int[] paramSlots = new int[n];
        Storage[] paramStorage = new Storage[n];
        Set<Value> invariant = Collections.newSetFromMap(new IdentityHashMap<>());
        for (int i = 0; i < n; i++) {
            Value v = ir.params().get(i).value();
            paramSlots[i] = l.slot(v);
            paramStorage[i] = l.storage(v);
            invariant.add(v);
        }
        List<Step> prologue = new ArrayList<>(), body = new ArrayList<>();
        for (Op op : ir.body().ops()) {
            Step s = CpuLowering.lower(op, l);
            boolean launchInvariant = isLaunchInvariant(op) && invariant.containsAll(op.operands());
            if (launchInvariant) invariant.addAll(op.results());
            if (s != null) (launchInvariant ? prologue : body).add(s);
        }
        return new CpuKernel(ir, paramSlots, paramStorage, prologue.toArray(Step[]::new), body.toArray(Step[]::new), l::newSlots);
    }

    /** Pure ops whose value is the same in every program of a launch when their operands are. */
    private static boolean isLaunchInvariant(Op op) {
        return switch (op) {
            case Op.Constant c -> true;
            case Op.Arange a -> true;
            case Op.NumPrograms p -> true;
            case Op.Splat s -> true;
            case Op.Broadcast b -> true;
            case Op.ExpandDims e -> true;
            case Op.Reshape r -> true;
            case Op.Permute p -> true;
            case Op.Unary u -> true;
            case Op.Binary b -> true;
            case Op.Compare c -> true;
            case Op.Select s -> true;
            case Op.Fma f -> true;
            case Op.Convert c -> true;
            case Op.Bitcast b -> true;
            case Op.PtrAdd p -> true;
            case Op.Hint h -> true;
            default -> false;
        };
    }
}
