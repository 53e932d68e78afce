package dev.tessera.passes;

import dev.tessera.ir.Op;
import dev.tessera.ir.Value;
import dev.tessera.types.DType;

/**
 * Computes ops whose operands are all constants (a constant op is one value repeated over its
 * shape, so elementwise results are constants too), with the arithmetic of {@link ConstantArithmetic}.
 * Splats and shape changes of a constant become constants of the new shape.
 */
public final class ConstantFolding extends Rewriter {

    @Override
    public String name() { return "fold"; }

    @Override
    void visit(Op op) {
        switch (op) {
            case Op.Binary b when constant(b.lhs()) != null && constant(b.rhs()) != null ->
                    fold(op, ConstantArithmetic.binary(b.fn(), dtype(b.result()), constant(b.lhs()), constant(b.rhs())));
            case Op.Compare c when constant(c.lhs()) != null && constant(c.rhs()) != null ->
                    fold(op, ConstantArithmetic.compare(c.fn(), dtype(c.lhs()), constant(c.lhs()), constant(c.rhs())) ? 1L : 0L);
            case Op.Unary u when constant(u.x()) != null -> fold(op, ConstantArithmetic.unary(u.fn(), dtype(u.result()), constant(u.x())));
            case Op.Fma f when constant(f.a()) != null && constant(f.b()) != null && constant(f.c()) != null ->
                    fold(op, ConstantArithmetic.fma(dtype(f.result()), constant(f.a()), constant(f.b()), constant(f.c())));
            case Op.Convert c when constant(c.source()) != null ->
                    fold(op, ConstantArithmetic.convert(dtype(c.source()), dtype(c.result()), c.rounding(), constant(c.source())));
            case Op.Splat s when constant(s.source()) != null -> fold(op, constant(s.source()));
            case Op.Broadcast b when constant(b.source()) != null -> fold(op, constant(b.source()));
            case Op.ExpandDims e when constant(e.source()) != null -> fold(op, constant(e.source()));
            case Op.Reshape r when constant(r.source()) != null -> fold(op, constant(r.source()));
            case Op.Permute p when constant(p.source()) != null -> fold(op, constant(p.source()));
            default -> emit(op);
        }
    }

    /** The op's single result becomes a constant, or the op stays when the value is not foldable. */
    private void fold(Op op, Number value) {
        emit(value == null ? op : new Op.Constant(op.result(), value, op.loc()));
    }

    private static DType dtype(Value v) { return v.type().dtype(); }
}
