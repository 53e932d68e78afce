package dev.tessera.ir;

import java.util.List;

/**
 * A single block of ops with arguments, owned by an op (a loop body, a branch, a combine function)
 * or by the kernel. Regions of loops and branches end with a {@link Op.Yield}.
 */
public record Region(List<Value> args, List<Op> ops) {
    public Region {
        args = List.copyOf(args);
        ops = List.copyOf(ops);
    }

    public Op terminator() { return ops.isEmpty() ? null : ops.getLast(); }
}
