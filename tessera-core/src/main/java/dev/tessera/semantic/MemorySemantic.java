package dev.tessera.semantic;

import dev.tessera.ir.Loc;
import dev.tessera.ir.MemoryOrder;
import dev.tessera.ir.Op;
import dev.tessera.ir.Shape;
import dev.tessera.ir.Type;
import dev.tessera.ir.Value;
import dev.tessera.semantic.Typing.Operand;
import dev.tessera.types.DType;
import dev.tessera.types.DescriptorType;
import java.util.EnumSet;
import java.util.Set;

/** The rules of loads, stores and atomics. A tile of pointers sets the shape; masks and values broadcast to it. */
public final class MemorySemantic {
    private MemorySemantic() {}

    private static TraceContext ctx() { return TraceContext.current(); }

    public static Value load(Value pointer, Object mask, Object other, MemoryOrder.Cache cache,
                             MemoryOrder.Eviction eviction, boolean isVolatile) {
        Loc loc = ctx().loc();
        Type p = requirePointer(pointer, loc, "load");
        Value m = mask(mask, p.shape(), loc, "load");
        Value o = null;
        if (other != null) {
            if (mask == null) {
                throw new TraceException(loc, "load was given 'other' but no mask; 'other' fills masked-off lanes, so "
                        + "add a mask or drop 'other'");
            }
            o = fitTo(Typing.operand(other, loc), p.pointee(), p.shape(), loc, "load's other value");
        }
        Value r = ctx().newValue(new Type(p.pointee(), p.shape()));
        return ctx().define(r, new Op.Load(r, pointer, m, o, cache, eviction, isVolatile, loc));
    }

    public static void store(Value pointer, Object value, Object mask, MemoryOrder.Cache cache, MemoryOrder.Eviction eviction) {
        Loc loc = ctx().loc();
        Type p = requirePointer(pointer, loc, "store");
        Value v = fitTo(Typing.operand(value, loc), p.pointee(), p.shape(), loc, "the stored value");
        ctx().emit(new Op.Store(pointer, v, mask(mask, p.shape(), loc, "store"), cache, eviction, loc));
    }

    /** Brings the lines {@code pointer} addresses (where {@code mask}) into L2 ahead of a later load: a hint, no value. */
    public static void prefetch(Value pointer, Object mask) {
        Loc loc = ctx().loc();
        Type p = requirePointer(pointer, loc, "prefetch");
        ctx().emit(new Op.Prefetch(pointer, mask(mask, p.shape(), loc, "prefetch"), loc));
    }

    /** The descriptor's block at element {@code offsets} (integer scalars, outermost first), its lines at {@code eviction}'s L2 priority; outside the tensor reads 0. */
    public static Value descriptorLoad(Value descriptor, MemoryOrder.Eviction eviction, Value... offsets) {
        Loc loc = ctx().loc();
        DescriptorType d = requireDescriptor(descriptor, loc, "load");
        java.util.List<Value> at = offsets(d, offsets, loc, "load");
        Value r = ctx().newValue(Type.of(d.element(), d.blockShape()));
        return ctx().define(r, new Op.DescriptorLoad(r, descriptor, at, eviction, loc));
    }

    /** Writes {@code value} (converted to the descriptor's dtype, broadcast to its block) at {@code offsets}; outside the tensor is dropped. */
    public static void descriptorStore(Value descriptor, Value[] offsets, Object value) {
        Loc loc = ctx().loc();
        DescriptorType d = requireDescriptor(descriptor, loc, "store");
        java.util.List<Value> at = offsets(d, offsets, loc, "store");
        Value v = fitTo(Typing.operand(value, loc), d.element(), Shape.of(d.blockShape()), loc, "the stored block");
        ctx().emit(new Op.DescriptorStore(descriptor, at, v, loc));
    }

    /**
     * The element types a descriptor's blocks can be added into: those Hopper's bulk reduction adds
     * ({@code cp.reduce.async.bulk.tensor .add}: .s32, .u32, .u64, .f16, .bf16, .f32; no .s64), so
     * that a kernel that traces runs on every backend.
     */
    private static final Set<DType> DESCRIPTOR_ADDABLE = EnumSet.of(DType.I32, DType.U32, DType.U64, DType.F16, DType.BF16, DType.F32);

    /** Adds {@code value} (converted to the descriptor's dtype, broadcast to its block) into the block at {@code offsets}, atomically; outside the tensor is dropped. */
    public static void descriptorAtomicAdd(Value descriptor, Value[] offsets, Object value) {
        Loc loc = ctx().loc();
        DescriptorType d = requireDescriptor(descriptor, loc, "atomic add");
        if (!DESCRIPTOR_ADDABLE.contains(d.element())) {
            throw new TraceException(loc, "atomic add through a descriptor does not support " + d.element() + " elements (it takes "
                    + DESCRIPTOR_ADDABLE.stream().map(DType::toString).collect(java.util.stream.Collectors.joining(", ")) + ")");
        }
        java.util.List<Value> at = offsets(d, offsets, loc, "atomic add");
        Value v = fitTo(Typing.operand(value, loc), d.element(), Shape.of(d.blockShape()), loc, "the added block");
        ctx().emit(new Op.DescriptorAtomicAdd(descriptor, at, v, loc));
    }

    private static DescriptorType requireDescriptor(Value descriptor, Loc loc, String what) {
        if (!(descriptor.type().element() instanceof DescriptorType d)) {
            throw new TraceException(loc, what + " through a descriptor needs a TensorDesc parameter, got " + descriptor.type());
        }
        return d;
    }

    /** One integer scalar per dimension, as i32 (TMA's coordinates are 32-bit). */
    private static java.util.List<Value> offsets(DescriptorType d, Value[] offsets, Loc loc, String what) {
        if (offsets.length != d.rank()) {
            throw new TraceException(loc, what + " through a " + d + " takes " + d.rank() + " offsets (one per dimension), got "
                    + offsets.length);
        }
        java.util.List<Value> out = new java.util.ArrayList<>(offsets.length);
        for (int i = 0; i < offsets.length; i++) {
            Type t = offsets[i].type();
            if (!t.isScalar() || !(t.element() instanceof DType e) || !e.isInteger()) {
                throw new TraceException(loc, what + " offset " + i + " must be an integer scalar, got " + t);
            }
            out.add(Semantic.cast(offsets[i], DType.I32, loc));
        }
        return out;
    }

    private static final Set<DType> ADDABLE = EnumSet.of(DType.I32, DType.U32, DType.I64, DType.U64, DType.F16,
            DType.BF16, DType.F32, DType.F64);

    public static Value atomicRmw(Op.AtomicRmw.Fn fn, Value pointer, Object value, Object mask,
                                  MemoryOrder.Semantic semantic, MemoryOrder.Scope scope) {
        Loc loc = ctx().loc();
        Type p = requirePointer(pointer, loc, "atomic " + fn.name().toLowerCase(java.util.Locale.ROOT));
        DType e = p.pointee();
        boolean ok = switch (fn) {
            case ADD -> ADDABLE.contains(e);
            case MAX, MIN -> e.isInteger() && e.bits() >= 32 || e == DType.F32 || e == DType.F64;
            case AND, OR, XOR -> e.isInteger() && e.bits() >= 32;
            case XCHG -> e.bits() >= 32;
        };
        if (!ok) {
            throw new TraceException(loc, "atomic " + fn.name().toLowerCase(java.util.Locale.ROOT) + " does not support " + e
                    + " elements");
        }
        Value v = fitTo(Typing.operand(value, loc), e, p.shape(), loc, "the atomic operand");
        Value r = ctx().newValue(v.type());
        return ctx().define(r, new Op.AtomicRmw(r, fn, pointer, v, mask(mask, p.shape(), loc, "atomic"), semantic, scope, loc));
    }

    public static Value atomicCas(Value pointer, Object compare, Object value, MemoryOrder.Semantic semantic,
                                  MemoryOrder.Scope scope) {
        Loc loc = ctx().loc();
        Type p = requirePointer(pointer, loc, "atomic cas");
        DType e = p.pointee();
        if (e.bits() < 16 || e.isBool()) throw new TraceException(loc, "atomic cas needs 16-, 32- or 64-bit elements, not " + e);
        Value c = fitTo(Typing.operand(compare, loc), e, p.shape(), loc, "the compared value");
        Value v = fitTo(Typing.operand(value, loc), e, p.shape(), loc, "the swapped-in value");
        Value r = ctx().newValue(v.type());
        return ctx().define(r, new Op.AtomicCas(r, pointer, c, v, semantic, scope, loc));
    }

    private static Type requirePointer(Value pointer, Loc loc, String what) {
        if (!pointer.type().isPointer()) {
            throw new TraceException(loc, what + " needs a pointer (or a tile of pointers), got " + pointer.type()
                    + "; pass a tensor to the kernel and offset it, e.g. x.add(offsets)");
        }
        return pointer.type();
    }

    /** The mask as i1 of the pointer's shape; a literal {@code true} means no mask. */
    private static Value mask(Object mask, Shape shape, Loc loc, String what) {
        if (mask == null || Boolean.TRUE.equals(mask)) return null;
        Operand m = Typing.operand(mask, loc);
        if (!m.isLiteral() && m.dtype() != DType.I1) {
            throw new TraceException(loc, what + " mask must be i1 (a comparison), got " + m.type());
        }
        return fitTo(m, DType.I1, shape, loc, what + " mask");
    }

    private static Value fitTo(Operand o, DType t, Shape shape, Loc loc, String what) {
        if (o.isPointer()) throw new TraceException(loc, what + " cannot be a pointer");
        Shape joint = Typing.broadcastShape(o.type().shape(), shape, loc, "fit " + what + " " + o.type() + " to " + shape);
        if (!joint.equals(shape)) {
            throw new TraceException(loc, what + " has shape " + o.type().shape() + ", which does not fit the pointer's "
                    + shape + (shape.isScalar() ? "; offset the pointer by a tile to access a tile" : ""));
        }
        return Semantic.coerce(o, t, shape, loc);
    }
}
