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
 * program id or memory) move to a prologue that runs once per launch on each worker; the rest run
 * per program, their elementwise runs fused into generated loops unless {@code -Dtessera.cpu.fuse=false}.
 */
final class CpuCompiler {
    private CpuCompiler() {}

    /** Whether fusion is on (the default); the system property turns it off, e.g. to compare. */
    static final boolean FUSE = !"false".equalsIgnoreCase(System.getProperty("tessera.cpu.fuse", "true"));

    static CpuKernel compile(KernelIR ir) { return compile(ir, FUSE); }

    static CpuKernel compile(KernelIR kernel, boolean fuse) {
        // a descriptor is its base, shape and strides here: its accesses become checked masked ones
        KernelIR ir = dev.tessera.passes.ExpandDescriptors.expanded(kernel);
        Lowering l = new Lowering(ir, fuse);
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
        List<Step> prologue = new ArrayList<>();
        List<Op> perProgram = new ArrayList<>();
        for (Op op : ir.body().ops()) {
            if (isLaunchInvariant(op) && invariant.containsAll(op.operands())) {
                invariant.addAll(op.results());
                Step s = CpuLowering.lower(op, l);
                if (s != null) prologue.add(s);
            } else {
                perProgram.add(op);
            }
        }
        Step[] body = l.steps(perProgram);
        return new CpuKernel(ir, paramSlots, paramStorage, prologue.toArray(Step[]::new), body, l::newSlots,
                String.join("\n", l.fusedLoops));
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
