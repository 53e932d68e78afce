package dev.tessera.ir;

import dev.tessera.ir.Op.*;
import dev.tessera.types.DType;
import dev.tessera.types.DescriptorType;
import dev.tessera.types.PointerType;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * Checks that IR is well formed: SSA (each value defined once, used only where its definition is
 * visible), regions end where they must, and every op's operand and result types obey its rules.
 * Run after every pass in tests.
 */
public final class Verifier {
    private final Set<Value> defined = new HashSet<>();

    private Verifier() {}

    public static KernelIR verify(KernelIR kernel) {
        Verifier v = new Verifier();
        if (!kernel.body().args().equals(kernel.params().stream().map(KernelIR.Param::value).toList())) {
            throw new IrException(Loc.UNKNOWN, "kernel body arguments differ from its parameters");
        }
        v.region(kernel.body(), false);
        return kernel;
    }

    private void region(Region r, boolean needsYield) {
        Set<Value> outer = new HashSet<>(defined);
        for (Value a : r.args()) define(a, Loc.UNKNOWN);
        List<Op> ops = r.ops();
        for (int i = 0; i < ops.size(); i++) {
            Op op = ops.get(i);
            boolean last = i == ops.size() - 1;
            if (op instanceof Yield && !last) throw new IrException(op.loc(), "yield before the end of its region");
            if (last && needsYield && !(op instanceof Yield)) throw new IrException(op.loc(), "region must end with yield");
            for (Value v : op.operands()) {
                if (!defined.contains(v)) throw new IrException(op.loc(), v + " used where it is not defined: " + Printer.print(op));
            }
            for (Region nested : op.regions()) region(nested, true);
            check(op);
            for (Value res : op.results()) define(res, op.loc());
        }
        if (needsYield && ops.isEmpty()) throw new IrException(Loc.UNKNOWN, "empty region must still yield");
        defined.retainAll(outer);
    }

    private final Set<Value> everDefined = new HashSet<>();

    private void define(Value v, Loc loc) {
        if (!everDefined.add(v)) throw new IrException(loc, v + " defined twice");
        defined.add(v);
    }

    private static void require(boolean ok, Op op, String what) {
        if (!ok) throw new IrException(op.loc(), what + ": " + Printer.print(op));
    }

    private static boolean isInt(Type t) { return t.element() instanceof DType d && (d.isInteger()); }

    private static boolean isIntOrBool(Type t) { return t.element() instanceof DType d && (d.isInteger() || d.isBool()); }

    private static boolean isFloat(Type t) { return t.element() instanceof DType d && d.isFloat(); }

    private static boolean isBoolLike(Value v, Shape shape) {
        return v.type().element() == DType.I1 && v.type().shape().equals(shape);
    }

    private static void check(Op op) {
        switch (op) {
            case ProgramId p -> require(p.result().type().equals(Type.scalar(DType.I32)) && p.axis() >= 0 && p.axis() < 3, op, "program_id is an i32 scalar of axis 0..2");
            case NumPrograms p -> require(p.result().type().equals(Type.scalar(DType.I32)) && p.axis() >= 0 && p.axis() < 3, op, "num_programs is an i32 scalar of axis 0..2");
            case Constant c -> {
                Type t = c.result().type();
                require(!t.isPointer(), op, "pointer constants are not allowed");
                require(t.dtype().isFloat() ? c.value() instanceof Double : c.value() instanceof Long, op, "constant value kind must match its type");
            }
            case Arange a -> require(a.result().type().equals(Type.of(DType.I32, a.end() - a.start())), op, "arange gives i32[end - start]");
            case Splat s -> require(s.source().type().isScalar() && !s.result().type().isScalar()
                    && s.source().type().element().equals(s.result().type().element()), op, "splat takes a scalar to a tile of its type");
            case Broadcast b -> {
                Shape from = b.source().type().shape(), to = b.result().type().shape();
                boolean ok = from.rank() == to.rank() && b.source().type().element().equals(b.result().type().element());
                for (int i = 0; ok && i < from.rank(); i++) ok = from.dim(i) == to.dim(i) || from.dim(i) == 1;
                require(ok, op, "broadcast expands size-1 dimensions only");
            }
            case ExpandDims e -> require(e.result().type().equals(e.source().type().withShape(e.source().type().shape().inserting(e.axis(), 1))), op, "expand_dims inserts a size-1 dimension");
            case Reshape r -> require(r.result().type().numel() == r.source().type().numel()
                    && r.result().type().element().equals(r.source().type().element()), op, "reshape keeps the element count");
            case Permute p -> {
                Shape s = p.source().type().shape();
                boolean ok = p.order().size() == s.rank() && Set.copyOf(p.order()).size() == s.rank();
                int[] dims = new int[s.rank()];
                for (int i = 0; ok && i < dims.length; i++) {
                    ok = p.order().get(i) >= 0 && p.order().get(i) < s.rank();
                    if (ok) dims[i] = s.dim(p.order().get(i));
                }
                require(ok && p.result().type().equals(p.source().type().withShape(Shape.of(dims))), op, "permute reorders dimensions");
            }
            case Join j -> require(j.lhs().type().equals(j.rhs().type()) && j.result().type().equals(
                    j.lhs().type().withShape(j.lhs().type().shape().inserting(j.lhs().type().rank(), 2))), op, "join stacks equal types on a new last dimension");
            case Split s -> {
                Type t = s.source().type();
                require(t.rank() >= 1 && t.shape().dim(t.rank() - 1) == 2 && s.results().size() == 2, op, "split needs a last dimension of 2");
                Type half = t.withShape(t.shape().without(t.rank() - 1));
                require(s.results().get(0).type().equals(half) && s.results().get(1).type().equals(half), op, "split results drop the last dimension");
            }
            case Cat c -> {
                Type l = c.lhs().type(), r = c.rhs().type(), res = c.result().type();
                require(l.rank() >= 1 && l.rank() == r.rank() && l.element().equals(r.element())
                        && l.shape().without(0).equals(r.shape().without(0))
                        && res.equals(l.withShape(l.shape().withDim(0, l.shape().dim(0) + r.shape().dim(0)))), op, "cat joins along dimension 0");
            }
            case Unary u -> {
                require(u.x().type().equals(u.result().type()), op, "unary keeps its operand's type");
                switch (u.fn()) {
                    case NOT -> require(isIntOrBool(u.x().type()), op, "not takes integers or i1");
                    case POPCOUNT -> require(isInt(u.x().type()), op, "popcount takes integers");
                    case NEG, ABS -> require(!u.x().type().isPointer() && !u.x().type().dtype().isBool(), op, "neg and abs take numbers");
                    default -> require(isFloat(u.x().type()), op, u.fn() + " takes floats");
                }
            }
            case Binary b -> {
                Type t = b.result().type();
                require(b.lhs().type().equals(t) && b.rhs().type().equals(t) && !t.isPointer(), op, "binary operands and result share one numeric type");
                switch (b.fn()) {
                    case AND, OR, XOR -> require(isIntOrBool(t), op, "bitwise ops take integers or i1");
                    case SHL, SHR, UMULHI -> require(isInt(t), op, b.fn() + " takes integers");
                    case DIV_RN, POW, MAX_NAN, MIN_NAN -> require(isFloat(t), op, b.fn() + " takes floats");
                    default -> require(!t.dtype().isBool(), op, b.fn() + " does not take i1");
                }
            }
            case Compare c -> require(c.lhs().type().equals(c.rhs().type()) && isBoolLike(c.result(), c.lhs().type().shape()), op, "compare takes equal types and gives i1");
            case Select s -> require(isBoolLike(s.condition(), s.result().type().shape()) && s.ifTrue().type().equals(s.result().type())
                    && s.ifFalse().type().equals(s.result().type()), op, "select takes an i1 condition and two values of the result type");
            case Fma f -> require(isFloat(f.result().type()) && f.a().type().equals(f.result().type())
                    && f.b().type().equals(f.result().type()) && f.c().type().equals(f.result().type()), op, "fma takes three floats of one type");
            case Convert c -> require(!c.source().type().isPointer() && !c.result().type().isPointer()
                    && c.source().type().shape().equals(c.result().type().shape()), op, "convert changes the element type of numbers only");
            case Bitcast b -> require(b.source().type().shape().equals(b.result().type().shape())
                    && bits(b.source().type()) == bits(b.result().type()), op, "bitcast keeps the bit width");
            case PtrAdd p -> require(p.pointer().type().isPointer() && p.result().type().equals(p.pointer().type())
                    && isInt(p.offset().type()) && p.offset().type().shape().equals(p.pointer().type().shape()), op, "ptr_add adds integer offsets to pointers of the same shape");
            case Load l -> {
                Type p = l.pointer().type();
                require(p.isPointer() && l.result().type().equals(Type.scalar(p.pointee()).withShape(p.shape())), op, "load gives the pointee type");
                require(l.mask() == null || isBoolLike(l.mask(), p.shape()), op, "load mask is i1 of the pointer's shape");
                require(l.other() == null || l.other().type().equals(l.result().type()), op, "load other has the result type");
            }
            case Store s -> {
                Type p = s.pointer().type();
                require(p.isPointer() && s.value().type().equals(Type.scalar(p.pointee()).withShape(p.shape())), op, "store value has the pointee type and the pointer's shape");
                require(s.mask() == null || isBoolLike(s.mask(), p.shape()), op, "store mask is i1 of the pointer's shape");
            }
            case Prefetch p -> {
                require(p.pointer().type().isPointer(), op, "prefetch takes a tile of pointers");
                require(p.mask() == null || isBoolLike(p.mask(), p.pointer().type().shape()), op, "prefetch mask is i1 of the pointer's shape");
            }
            case DescriptorLoad d -> {
                require(d.descriptor().type().element() instanceof DescriptorType t && d.descriptor().type().isScalar()
                        && d.result().type().equals(Type.of(t.element(), t.blockShape())), op, "descriptor_load gives the descriptor's block");
                offsets(op, d.descriptor(), d.offsets());
            }
            case DescriptorStore d -> {
                require(d.descriptor().type().element() instanceof DescriptorType t && d.descriptor().type().isScalar()
                        && d.value().type().equals(Type.of(t.element(), t.blockShape())), op, "descriptor_store writes the descriptor's block");
                offsets(op, d.descriptor(), d.offsets());
            }
            case DescriptorAtomicAdd d -> {
                require(d.descriptor().type().element() instanceof DescriptorType t && d.descriptor().type().isScalar()
                        && d.value().type().equals(Type.of(t.element(), t.blockShape())), op, "descriptor_atomic_add adds the descriptor's block");
                offsets(op, d.descriptor(), d.offsets());
            }
            case AtomicRmw a -> {
                Type p = a.pointer().type();
                require(p.isPointer() && a.value().type().equals(Type.scalar(p.pointee()).withShape(p.shape()))
                        && a.result().type().equals(a.value().type()), op, "atomic value and result have the pointee type");
                require(a.mask() == null || isBoolLike(a.mask(), p.shape()), op, "atomic mask is i1 of the pointer's shape");
            }
            case AtomicCas a -> {
                Type p = a.pointer().type();
                Type v = Type.scalar(p.isPointer() ? p.pointee() : DType.I32).withShape(p.shape());
                require(p.isPointer() && a.compare().type().equals(v) && a.value().type().equals(v) && a.result().type().equals(v), op, "cas operands have the pointee type");
            }
            case Reduce r -> {
                Type in = r.input().type();
                require(r.axis() >= 0 && r.axis() < in.rank(), op, "reduce axis out of range");
                DType resultElem = r.kind() == Reduce.Kind.ARGMAX || r.kind() == Reduce.Kind.ARGMIN ? DType.I32 : in.dtype();
                require(r.result().type().equals(Type.scalar(resultElem).withShape(in.shape().without(r.axis()))), op, "reduce drops its axis");
                combine(op, r.kind() == Reduce.Kind.CUSTOM, r.combine(), in);
            }
            case Scan s -> {
                require(s.axis() >= 0 && s.axis() < s.input().type().rank() && s.result().type().equals(s.input().type()), op, "scan keeps its input's type");
                require(s.kind() != Reduce.Kind.ARGMAX && s.kind() != Reduce.Kind.ARGMIN, op, "scan has no arg kinds");
                combine(op, s.kind() == Reduce.Kind.CUSTOM, s.combine(), s.input().type());
            }
            case ReduceTuple r -> {
                tuple(op, r.inputs(), r.axis(), r.combine());
                for (int i = 0; i < r.inputs().size(); i++) {
                    Type in = r.inputs().get(i).type();
                    require(r.results().get(i).type().equals(in.withShape(in.shape().without(r.axis()))), op, "reduce drops its axis");
                }
            }
            case ScanTuple s -> {
                tuple(op, s.inputs(), s.axis(), s.combine());
                for (int i = 0; i < s.inputs().size(); i++) require(s.results().get(i).type().equals(s.inputs().get(i).type()), op, "scan keeps its inputs' types");
            }
            case Sort s -> require(s.result().type().equals(s.source().type()) && s.source().type().rank() >= 1, op, "sort keeps its input's type");
            case Histogram h -> require(isInt(h.source().type()) && Integer.bitCount(h.bins()) == 1
                    && h.result().type().equals(Type.of(DType.I32, h.bins())), op, "histogram counts an integer tile into i32[bins], bins a power of 2");
            case Dot d -> {
                Type a = d.a().type(), b = d.b().type(), c = d.acc().type();
                require(a.rank() == 2 && b.rank() == 2 && c.rank() == 2 && a.shape().dim(1) == b.shape().dim(0)
                        && c.shape().dim(0) == a.shape().dim(0) && c.shape().dim(1) == b.shape().dim(1)
                        && d.result().type().equals(c) && a.element().equals(b.element()), op, "dot takes [M,K]·[K,N] + [M,N]");
            }
            case For f -> {
                Type iv = f.lower().type();
                require(iv.isScalar() && isInt(iv) && f.upper().type().equals(iv) && f.step().type().equals(iv), op, "for bounds are integer scalars of one type");
                List<Value> args = f.body().args();
                require(args.size() == f.inits().size() + 1 && args.getFirst().type().equals(iv), op, "for body takes the induction variable and the carried values");
                for (int i = 0; i < f.inits().size(); i++) {
                    require(args.get(i + 1).type().equals(f.inits().get(i).type()) && f.results().get(i).type().equals(f.inits().get(i).type()), op, "carried value " + i + " changes type");
                }
                yields(op, f.body(), f.inits());
            }
            case If i -> {
                require(isBoolLike(i.condition(), Shape.SCALAR), op, "if condition is an i1 scalar");
                yields(op, i.thenRegion(), i.results());
                yields(op, i.elseRegion(), i.results());
            }
            case While w -> {
                require(w.results().size() == w.inits().size(), op, "while has one result per carried value");
                for (Region r : List.of(w.condition(), w.body())) {
                    require(r.args().size() == w.inits().size(), op, "while regions take the carried values");
                    for (int i = 0; i < w.inits().size(); i++) require(r.args().get(i).type().equals(w.inits().get(i).type()), op, "while carried value changes type");
                }
                Op condEnd = w.condition().terminator();
                require(condEnd instanceof Yield y && y.values().size() == 1 && isBoolLike(y.values().getFirst(), Shape.SCALAR), op, "while condition yields one i1");
                yields(op, w.body(), w.inits());
            }
            case Yield y -> { }
            case Assert a -> require(a.condition().type().element() == DType.I1, op, "assert takes i1");
            case Print p -> { }
            case Hint h -> require(h.result().type().equals(h.source().type()), op, "hint keeps its operand's type");
            case Assume a -> require(isBoolLike(a.condition(), Shape.SCALAR), op, "assume takes an i1 scalar");
            case Barrier b -> { }
        }
    }

    /** One i32 scalar offset per dimension of the descriptor. */
    private static void offsets(Op op, Value descriptor, List<Value> offsets) {
        int rank = ((DescriptorType) descriptor.type().element()).rank();
        require(offsets.size() == rank && offsets.stream().allMatch(o -> o.type().equals(Type.scalar(DType.I32))), op,
                "a descriptor access takes one i32 scalar offset per dimension");
    }

    private static int bits(Type t) { return t.element() instanceof PointerType ? 64 : t.dtype().bits(); }

    private static void combine(Op op, boolean custom, Region combine, Type in) {
        if (!custom) {
            require(combine == null, op, "only CUSTOM takes a combine region");
            return;
        }
        Type scalar = Type.scalar(in.dtype());
        require(combine != null && combine.args().size() == 2 && combine.args().stream().allMatch(a -> a.type().equals(scalar)), op, "combine takes two scalars of the input type");
        yields(op, combine, List.of(combine.args().getFirst()));
    }

    /** Tiles of one shape, as many results, and a combine of 2N scalars (accumulated, then incoming) yielding N. */
    private static void tuple(Op op, List<Value> inputs, int axis, Region combine) {
        require(!inputs.isEmpty() && op.results().size() == inputs.size(), op, "one result per input");
        Shape shape = inputs.getFirst().type().shape();
        require(axis >= 0 && axis < shape.rank(), op, "axis out of range");
        require(combine.args().size() == 2 * inputs.size(), op, "combine takes two scalars per input");
        for (int i = 0; i < inputs.size(); i++) {
            Type in = inputs.get(i).type();
            require(in.shape().equals(shape) && !in.isPointer(), op, "inputs are non-pointer tiles of one shape");
            Type scalar = Type.scalar(in.dtype());
            require(combine.args().get(i).type().equals(scalar) && combine.args().get(inputs.size() + i).type().equals(scalar), op,
                    "combine argument types follow the inputs'");
        }
        yields(op, combine, combine.args().subList(0, inputs.size()));
    }

    private static void yields(Op op, Region r, List<Value> like) {
        require(r.terminator() instanceof Yield, op, "region must end with yield");
        List<Value> ys = ((Yield) r.terminator()).values();
        require(ys.size() == like.size(), op, "yield count " + ys.size() + " != " + like.size());
        for (int i = 0; i < ys.size(); i++) require(ys.get(i).type().equals(like.get(i).type()), op, "yield " + i + " has type " + ys.get(i).type() + ", expected " + like.get(i).type());
    }
}
