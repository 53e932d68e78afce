package dev.tessera.cuda.codegen.convert;

import dev.tessera.ir.KernelIR;
import dev.tessera.ir.Op;
import dev.tessera.ir.Op.Binary;
import dev.tessera.ir.Op.Compare;
import dev.tessera.ir.Op.Convert;
import dev.tessera.ir.Op.Dot;
import dev.tessera.ir.Op.Fma;
import dev.tessera.ir.Op.Reduce;
import dev.tessera.ir.Op.Unary;
import dev.tessera.ir.Region;
import dev.tessera.ir.Value;
import dev.tessera.types.DType;
import java.util.ArrayList;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Which 16-bit float values may have a NaN's pattern observed: those some use stores, moves or
 * reinterprets without arithmetic in between (directly, after a conversion to f32, which keeps
 * the register, or carried by a for loop into its body and result). Only their unpacked f16
 * elements carry the tagged NaN of {@link NarrowFloats#held};
 * a value that only feeds arithmetic the hardware answers with its canonical NaN whatever NaN it
 * reads (add, multiply, compare, sum, dot, ...) is unpacked with the bare {@code cvt.f32.f16}.
 * The tagging is four instructions an element: in the layer norm f16 row kernel, 192 of about 580
 * a thread, where Triton's kernel executes half of Tessera's instructions (ncu, H200).
 */
public final class NanPayloads {
    private final Map<Value, List<Op>> users = new IdentityHashMap<>();
    private final Map<Value, Boolean> observed = new IdentityHashMap<>();

    public NanPayloads(KernelIR kernel) { collect(kernel.body()); }

    /** What a for loop's init or yielded value becomes without any op: the carried value and the loop's result. */
    private final Map<Value, List<Value>> carriedAs = new IdentityHashMap<>();
    private final Set<Op> forYields = Collections.newSetFromMap(new IdentityHashMap<>());

    private void collect(Region region) {
        for (Op op : region.ops()) {
            for (Value v : op.operands()) users.computeIfAbsent(v, k -> new ArrayList<>()).add(op);
            if (op instanceof Op.For f) {
                List<Value> yields = ((Op.Yield) f.body().terminator()).values();
                forYields.add(f.body().terminator());
                for (int i = 0; i < yields.size(); i++) {
                    List<Value> into = List.of(f.body().args().get(i + 1), f.results().get(i));
                    carriedAs.computeIfAbsent(yields.get(i), k -> new ArrayList<>()).addAll(into);
                    carriedAs.computeIfAbsent(f.inits().get(i), k -> new ArrayList<>()).addAll(into);
                }
            }
            for (Region r : op.regions()) collect(r);
        }
    }

    /** Whether a NaN pattern of {@code v} may reach a store, a move or a bitcast. */
    public boolean observed(Value v) {
        Boolean known = observed.get(v);
        if (known != null) return known;
        observed.put(v, true); // a use cycle (none in SSA) would stay conservative
        boolean any = false;
        for (Op u : users.getOrDefault(v, List.of())) {
            if (u instanceof Convert c && c.result().type().dtype() == DType.F32) any = observed(c.result());
            else if (u instanceof Op.For || forYields.contains(u)) any = false;   // as the values it is carried as, below
            else any = !blind(u);
            if (any) break;
        }
        // carried by a for loop (the P FlashAttention-3's order multiplies an iteration later): observed where the loop's values are
        for (Value c : carriedAs.getOrDefault(v, List.of())) {
            if (any) break;
            any = observed(c);
        }
        observed.put(v, any);
        return any;
    }

    /** Ops whose result (or effect) is the same for every NaN operand. */
    private static boolean blind(Op op) {
        return switch (op) {
            case Binary b -> switch (b.fn()) {
                case ADD, SUB, MUL, DIV, DIV_RN -> true;
                default -> false;
            };
            case Unary u -> switch (u.fn()) {
                case EXP2, EXP2_FTZ, SQRT, SQRT_RN, RSQRT -> true; // one PTX instruction each
                default -> false;
            };
            case Fma f -> true;
            case Compare c -> true;
            case Dot d -> true;
            case Reduce r -> r.kind() == Reduce.Kind.SUM || r.kind() == Reduce.Kind.PROD;
            case Convert c -> !c.result().type().dtype().isFloat();
            default -> false;
        };
    }
}
