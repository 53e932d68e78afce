package dev.tessera.cpu;

import dev.tessera.backend.KernelFault;
import dev.tessera.ir.Op;
import java.util.Arrays;
import java.util.stream.Collectors;
import java.util.stream.IntStream;

/** CPU lowering of program ids, debugging ops and hints. */
final class ProgramRules {
    private ProgramRules() {}

    static Step programId(Op.ProgramId p, Lowering l) {
        int r = l.slot(p.result()), axis = p.axis();
        return f -> f.ints(r)[0] = f.pid[axis];
    }

    static Step numPrograms(Op.NumPrograms n, Lowering l) {
        int r = l.slot(n.result()), axis = n.axis();
        return f -> f.ints(r)[0] = f.grid[axis];
    }

    static Step deviceAssert(Op.Assert a, Lowering l) {
        int c = l.slot(a.condition());
        String where = a.loc() + ": ";
        return f -> {
            boolean[] ok = f.bools(c);
            for (int i = 0; i < ok.length; i++) {
                if (!ok[i]) throw new KernelFault(where + f.where() + ": device assertion failed: " + a.message() + " [lane " + i + "]");
            }
        };
    }

    /** Assumptions are checked here: the CPU backend doubles as a sanitizer. */
    static Step assume(Op.Assume a, Lowering l) {
        int c = l.slot(a.condition());
        return f -> {
            if (!f.bools(c)[0]) throw new KernelFault(a.loc() + ": " + f.where() + ": an assume(...) does not hold");
        };
    }

    static Step print(Op.Print p, Lowering l) {
        int[] values = p.values().stream().mapToInt(l::slot).toArray();
        return f -> {
            String text = IntStream.of(values).mapToObj(v -> render(f.slots[v], p.hex())).collect(Collectors.joining(" "));
            synchronized (System.out) {
                System.out.println("pid (" + f.pid[0] + ", " + f.pid[1] + ", " + f.pid[2] + ") " + p.prefix() + text);
            }
        };
    }

    private static String render(Object array, boolean hex) {
        return switch (array) {
            case int[] a when hex -> Arrays.stream(a).mapToObj(v -> "0x" + Integer.toHexString(v)).collect(Collectors.joining(", ", "[", "]"));
            case long[] a when hex -> Arrays.stream(a).mapToObj(v -> "0x" + Long.toHexString(v)).collect(Collectors.joining(", ", "[", "]"));
            case float[] a -> Arrays.toString(a);
            case double[] a -> Arrays.toString(a);
            case int[] a -> Arrays.toString(a);
            case long[] a -> Arrays.toString(a);
            case boolean[] a -> Arrays.toString(a);
            default -> String.valueOf(array);
        };
    }
}
