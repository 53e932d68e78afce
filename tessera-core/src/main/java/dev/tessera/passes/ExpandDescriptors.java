package dev.tessera.passes;

import dev.tessera.ir.KernelIR;
import dev.tessera.ir.Loc;
import dev.tessera.ir.MemoryOrder;
import dev.tessera.ir.Op;
import dev.tessera.ir.Region;
import dev.tessera.ir.Type;
import dev.tessera.ir.Value;
import dev.tessera.types.DType;
import dev.tessera.types.DescriptorType;
import dev.tessera.types.Numerics.Rounding;
import dev.tessera.types.PointerType;
import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;

/**
 * Tensor descriptors as plain strided memory, for backends without a tensor-memory accelerator
 * (the CPU, GPUs before Hopper): each descriptor parameter of rank r becomes the 1 + 2r parameters
 * its launch words are (the first element's address, the shape, the strides in elements; see
 * {@link dev.tessera.backend.Backend#launch}), and each descriptor load, store or atomic add becomes a
 * masked load (0 outside the tensor), store or relaxed atomic add through base + Σ index_d · stride_d, the mask being
 * 0 ≤ index_d &lt; shape_d in every dimension (indices are i32, as TMA's coordinates). The innermost stride is 1 by the descriptor's rules,
 * so it is a constant here (its parameter stays, unread, to keep the launch words in place), which
 * keeps the innermost dimension contiguous for AxisInfo. The result is optimized again.
 */
public final class ExpandDescriptors extends Rewriter {
    private final Map<Value, Fields> fields = new IdentityHashMap<>();
    private final List<KernelIR.Param> params = new ArrayList<>();

    /** A descriptor parameter's replacements. */
    private record Fields(Value base, Value[] shape, Value[] strides) {}

    /** The descriptor parameters to expand; the others stay descriptors. */
    private final java.util.function.Predicate<Value> expand;

    private ExpandDescriptors(java.util.function.Predicate<Value> expand) { this.expand = expand; }

    /** {@code kernel} with its descriptors expanded and optimized again; the kernel itself when it has none. */
    public static KernelIR expanded(KernelIR kernel) { return expanded(kernel, p -> true); }

    /**
     * {@code kernel} with the descriptor parameters {@code expand} selects expanded, their accesses
     * masked loads and stores, and optimized again; the others and their accesses are left as they
     * are (a backend copies their blocks itself). The kernel itself when none is selected.
     */
    public static KernelIR expanded(KernelIR kernel, java.util.function.Predicate<Value> expand) {
        if (kernel.params().stream().noneMatch(p -> p.value().type().isDescriptor() && expand.test(p.value()))) return kernel;
        return Pipeline.standard().run(new ExpandDescriptors(expand).run(kernel));
    }

    @Override
    public String name() { return "expand-descriptors"; }

    @Override
    void start(KernelIR kernel) {
        for (KernelIR.Param p : kernel.params()) {
            if (!(p.value().type().element() instanceof DescriptorType d) || !expand.test(p.value())) {
                params.add(p);
                continue;
            }
            int rank = d.rank();
            Value base = fresh(Type.scalar(new PointerType(d.element())));
            params.add(new KernelIR.Param(p.name() + ".base", base, 16));
            Value[] shape = new Value[rank], strides = new Value[rank];
            for (int i = 0; i < rank; i++) {
                shape[i] = fresh(Type.scalar(DType.I64));
                params.add(new KernelIR.Param(p.name() + ".shape" + i, shape[i], 1));
            }
            // every stride but the innermost is a multiple of 16 bytes, which AxisInfo may use for alignment
            int strideDivisor = Math.max(1, 16 / d.element().byteSize());
            for (int i = 0; i < rank; i++) {
                strides[i] = fresh(Type.scalar(DType.I64));
                params.add(new KernelIR.Param(p.name() + ".stride" + i, strides[i], i < rank - 1 ? strideDivisor : 1));
            }
            fields.put(p.value(), new Fields(base, shape, strides));
        }
    }

    @Override
    void visit(Op op) {
        switch (op) {
            case Op.DescriptorLoad l when fields.containsKey(l.descriptor()) -> {
                Addressed a = address(l.descriptor(), l.offsets(), l.loc());
                Value zero = emit(Type.of(a.type.element(), a.type.blockShape()), v -> new Op.Constant(v,
                        a.type.element().isFloat() ? (Number) 0.0 : (Number) 0L, l.loc()));
                emit(new Op.Load(l.result(), a.pointers, a.mask, zero, MemoryOrder.Cache.NONE, l.eviction(), false, l.loc()));
            }
            case Op.DescriptorStore s when fields.containsKey(s.descriptor()) -> {
                Addressed a = address(s.descriptor(), s.offsets(), s.loc());
                emit(new Op.Store(a.pointers, s.value(), a.mask, MemoryOrder.Cache.NONE, MemoryOrder.Eviction.NORMAL, s.loc()));
            }
            case Op.DescriptorAtomicAdd s when fields.containsKey(s.descriptor()) -> {
                Addressed a = address(s.descriptor(), s.offsets(), s.loc());
                emit(s.value().type(), v -> new Op.AtomicRmw(v, Op.AtomicRmw.Fn.ADD, a.pointers, s.value(), a.mask,
                        MemoryOrder.Semantic.RELAXED, MemoryOrder.Scope.GPU, s.loc()));
            }
            default -> emit(op);
        }
    }

    /** The body's arguments become the expanded parameters. */
    @Override
    KernelIR finish(KernelIR kernel, Region body) {
        return new KernelIR(kernel.name(), params, new Region(params.stream().map(KernelIR.Param::value).toList(), body.ops()), kernel.constants());
    }

    /** A block's pointers and its in-bounds mask. */
    private record Addressed(DescriptorType type, Value pointers, Value mask) {}

    private Addressed address(Value descriptor, List<Value> offsets, Loc loc) {
        DescriptorType d = (DescriptorType) descriptor.type().element();
        Fields f = fields.get(descriptor);
        int[] block = d.blockShape();
        int rank = block.length;
        PointerType pt = new PointerType(d.element());
        Value pointers = emit(Type.of(pt, block), v -> new Op.Splat(v, f.base, loc));
        Value mask = null;
        for (int dim = 0; dim < rank; dim++) {
            int n = block[dim];
            // index_d = offset_d + [0, n) in i32, as TMA's coordinates are (an index past 2^31 - 1 wraps
            // negative and is masked off); i64 only where it becomes an address, which keeps the index
            // tiles in 32-bit registers
            Value range = emit(Type.of(DType.I32, n), v -> new Op.Arange(v, 0, n, loc));
            Value index = binary(Op.Binary.Fn.ADD, range, splat(offsets.get(dim), n, loc), loc);
            Value shape = f.shape[dim];
            Value clamped = binary(Op.Binary.Fn.MIN, shape, constant(DType.I64, Integer.MAX_VALUE, loc), loc);
            Value limit = emit(Type.scalar(DType.I32), v -> new Op.Convert(v, clamped, Rounding.NEAREST_EVEN, loc));
            Value lowOk = compare(Op.Compare.Fn.GE, index, splat(constant(DType.I32, 0, loc), n, loc), loc);
            Value highOk = compare(Op.Compare.Fn.LT, index, splat(limit, n, loc), loc);
            Value inside = binary(Op.Binary.Fn.AND, lowOk, highOk, loc);
            Value wide = emit(Type.of(DType.I64, n), v -> new Op.Convert(v, index, Rounding.NEAREST_EVEN, loc));
            Value term = dim == rank - 1 ? wide : binary(Op.Binary.Fn.MUL, wide, splat(f.strides[dim], n, loc), loc);
            Value termBlock = spread(term, dim, block, loc);
            Value insideBlock = spread(inside, dim, block, loc);
            Value p = pointers;
            pointers = emit(Type.of(pt, block), v -> new Op.PtrAdd(v, p, termBlock, loc));
            Value m = mask;
            mask = m == null ? insideBlock : binary(Op.Binary.Fn.AND, m, insideBlock, loc);
        }
        return new Addressed(d, pointers, mask);
    }

    /** A 1-d tile along dimension {@code dim} of {@code block}, repeated over the other dimensions. */
    private Value spread(Value x, int dim, int[] block, Loc loc) {
        if (block.length == 1) return x;
        int[] lined = new int[block.length];
        java.util.Arrays.fill(lined, 1);
        lined[dim] = block[dim];
        DType t = x.type().dtype();
        Value shaped = emit(Type.of(t, lined), v -> new Op.Reshape(v, x, loc));
        return emit(Type.of(t, block), v -> new Op.Broadcast(v, shaped, loc));
    }

    private Value splat(Value scalar, int n, Loc loc) {
        return emit(Type.of(scalar.type().dtype(), n), v -> new Op.Splat(v, scalar, loc));
    }

    private Value constant(DType t, long value, Loc loc) {
        return emit(Type.scalar(t), v -> new Op.Constant(v, value, loc));
    }

    private Value binary(Op.Binary.Fn fn, Value a, Value b, Loc loc) {
        return emit(a.type(), v -> new Op.Binary(v, fn, a, b, loc));
    }

    private Value compare(Op.Compare.Fn fn, Value a, Value b, Loc loc) {
        return emit(a.type().withElement(DType.I1), v -> new Op.Compare(v, fn, a, b, loc));
    }

    /** A new value of {@code type}, defined by the op {@code make} builds around it. */
    private Value emit(Type type, java.util.function.Function<Value, Op> make) {
        Value v = fresh(type);
        emit(make.apply(v));
        return v;
    }
}
