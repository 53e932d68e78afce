package dev.tessera.cuda.codegen.layout;

import dev.tessera.ir.KernelIR;
import dev.tessera.ir.Op;
import dev.tessera.ir.Op.*;
import dev.tessera.ir.Region;
import dev.tessera.ir.Value;
import java.util.IdentityHashMap;
import java.util.Map;

/**
 * Which values are cheaper to compute again in another layout than to move through shared memory:
 * those built from constants, aranges and scalars by a few integer and shape ops (offsets, masks,
 * pointer tiles). A layout conversion of such a value re-emits its ops in the wanted layout.
 */
public final class Rematerialization {
    /** The most ops one rematerialization may repeat. */
    private static final int MAX_OPS = 24;

    private final Map<Value, Op> producers = new IdentityHashMap<>();
    private final Map<Value, Integer> cost = new IdentityHashMap<>();

    public Rematerialization(KernelIR kernel) { record(kernel.body()); }

    private void record(Region r) {
        for (Op op : r.ops()) {
            for (Value v : op.results()) producers.put(v, op);
            for (Region nested : op.regions()) record(nested);
        }
    }

    public Op producer(Value v) { return producers.get(v); }

    /** Whether {@code v} (a tile) can be recomputed in any layout from scalars. */
    boolean isRematerializable(Value v) { return v.type().isScalar() || cost(v) <= MAX_OPS; }

    private int cost(Value v) {
        if (v.type().isScalar()) return 0;
        Integer known = cost.get(v);
        if (known != null) return known;
        Op op = producers.get(v);
        int c = op == null || !cheap(op) ? Integer.MAX_VALUE / 2 : 1;
        if (c == 1) {
            for (Value operand : op.operands()) {
                c += cost(operand);
                if (c > MAX_OPS) break;
            }
        }
        cost.put(v, Math.min(c, Integer.MAX_VALUE / 2));
        return c;
    }

    private static boolean cheap(Op op) {
        return switch (op) {
            case Constant c -> true;
            case Arange a -> true;
            case Splat s -> true;
            case Broadcast b -> true;
            case ExpandDims e -> true;
            case Reshape r -> true;
            case Permute p -> true;
            case Hint h -> true;
            case PtrAdd p -> true;
            case Compare c -> true;
            case Select s -> true;
            case Binary b -> switch (b.fn()) {
                case ADD, SUB, MUL, AND, OR, XOR, SHL, SHR, MAX, MIN -> !b.result().type().dtype().isFloat();
                default -> false;
            };
            case Unary u -> switch (u.fn()) {
                case NEG, NOT, ABS -> !u.result().type().dtype().isFloat();
                default -> false;
            };
            case Convert c -> !c.source().type().dtype().isFloat() && !c.result().type().dtype().isFloat();
            default -> false;
        };
    }
}
